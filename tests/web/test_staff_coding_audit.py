"""Theme coding through the free-text page ends up in the audit trail: tagging and untagging on
the response's trail, adding, renaming and deleting a theme on the instrument's, with the
signed-in evaluator as the actor, on the trail pages and in their CSV. CSRF stays on."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from analysis_web_support import SLUG, load_form, record, signed_in, text_of, token_of
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Instrument
from feedback.db.coding import Theme, tags_of
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")
PAGE = f"/staff/projects/pilot/free-text?instrument={SLUG}"
BASE = "/staff/projects/pilot/free-text"
TRAIL = "/staff/projects/pilot/audit"


@pytest.fixture
def answers(db: Database, tmp_path: Path) -> list[int]:
    load_form(db, tmp_path)
    return record(db, [{"comments": "More networking please"}, {"comments": "Funding advice helped"}])


def post(client: FlaskClient, path: str, data: dict[str, object]) -> str:
    """POST from the free-text page with its CSRF token; the text of the page it sends us back to."""
    form = {"csrf_token": token_of(client, PAGE), "instrument": SLUG, "question": "comments", **data}
    response = client.post(BASE + path, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    return text_of(client.get(response.headers["Location"]).get_data(as_text=True))


def theme_ids(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {t.label: t.id for t in session.scalars(select(Theme))}


def csv_rows(client: FlaskClient, query: str) -> list[list[str]]:
    download = client.get(f"{TRAIL}.csv?{query}")
    assert download.status_code == 200
    return list(csv.reader(io.StringIO(download.get_data(as_text=True))))[1:]


def test_tagging_and_untagging_are_on_the_response_trail_and_its_csv(
    client: FlaskClient, db: Database, answers: list[int]
) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    post(evaluator, "/themes", {"label": "Networking"})
    post(evaluator, "/themes", {"label": "Funding"})
    themes = theme_ids(db)
    first, second = answers
    networking, funding = themes["Networking"], themes["Funding"]
    post(evaluator, "/coding", {"shown": [first, second], f"themes-{first}": [networking, funding]})
    page = post(evaluator, "/coding", {"shown": [first], f"themes-{first}": [funding]})
    assert "Coding saved: 1 theme(s) on 1 answer(s)." in page

    html = evaluator.get(PAGE).get_data(as_text=True)
    assert f'href="{TRAIL}?entity=response&amp;id={first}"' in html  # each answer links to its trail
    trail = text_of(evaluator.get(f"{TRAIL}?entity=response&id={first}").get_data(as_text=True))
    assert "2 entries, newest first" in trail
    assert "evaluator@example.org code response" in trail
    assert "comments (themes) Networking; Funding → Funding" in trail  # untagged "Networking"
    assert "comments (themes) – → Networking; Funding" in trail
    # The second answer was shown and left without themes: no change, no entry.
    assert "No changes recorded for this record" in text_of(
        evaluator.get(f"{TRAIL}?entity=response&id={second}").get_data(as_text=True)
    )

    rows = csv_rows(evaluator, f"entity=response&id={first}")
    assert {(r[1], r[2], r[3], r[4], r[5]) for r in rows} == {
        ("evaluator@example.org", "code", "response", str(first), "comments (themes)")
    }
    assert [(r[6], r[7]) for r in rows] == [("Networking; Funding", "Funding"), ("", "Networking; Funding")]


def test_codebook_changes_are_on_the_instrument_trail_and_its_csv(
    client: FlaskClient, db: Database, answers: list[int]
) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    post(evaluator, "/themes", {"label": "Networking"})
    theme = theme_ids(db)["Networking"]
    post(evaluator, "/coding", {"shown": [answers[0]], f"themes-{answers[0]}": [theme]})
    post(evaluator, "/themes/rename", {"theme": theme, "label": "Networks"})
    # The Delete button asks first, saying what would be lost; nothing is deleted yet.
    form = {"csrf_token": token_of(evaluator, PAGE), "instrument": SLUG, "question": "comments"}
    form["theme"] = theme
    asked = evaluator.post(f"{BASE}/themes/delete", data=form)
    assert asked.status_code == 200
    assert "Delete the theme ‘Networks’? It is on 1 answer(s)" in text_of(asked.get_data(as_text=True))
    assert theme_ids(db) == {"Networks": theme}
    page = post(evaluator, "/themes/delete", {"theme": theme, "confirm": "yes"})
    assert "Theme 'Networks' deleted; it was taken off 1 answer(s)." in page
    assert theme_ids(db) == {}
    with db.read() as session:
        assert tags_of(session, answers, "comments") == {}
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        assert instrument is not None
        instrument_id = instrument.id

    html = evaluator.get(PAGE).get_data(as_text=True)
    assert f'href="{TRAIL}?entity=instrument&amp;id={instrument_id}"' in html
    trail = text_of(evaluator.get(f"{TRAIL}?entity=instrument&id={instrument_id}").get_data(as_text=True))
    assert f"delete theme instrument {instrument_id} theme {theme} Networks → –" in trail
    assert f"rename theme instrument {instrument_id} theme {theme} Networking → Networks" in trail
    assert (
        f"add theme instrument {instrument_id} theme {theme} – → Networking applies to – → comments" in trail
    )

    rows = csv_rows(evaluator, f"entity=instrument&id={instrument_id}")
    assert [(r[2], r[5], r[6], r[7]) for r in rows] == [
        ("delete theme", f"theme {theme}", "Networks", ""),
        ("delete theme", "applies to", "comments", ""),
        ("delete theme", "answers with it", "1", ""),
        ("rename theme", f"theme {theme}", "Networking", "Networks"),
        ("add theme", f"theme {theme}", "", "Networking"),
        ("add theme", "applies to", "", "comments"),
    ]
    assert {r[1] for r in rows} == {"evaluator@example.org"}
    # The answer that lost the theme says so on its own trail.
    lost = csv_rows(evaluator, f"entity=response&id={answers[0]}")[0]
    assert (lost[6], lost[7], lost[8]) == ("Networks", "", "theme 'Networks' deleted")


def test_deleting_a_theme_needs_an_evaluator_and_the_csrf_token(
    app: Flask, client: FlaskClient, db: Database, answers: list[int]
) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    post(evaluator, "/themes", {"label": "Networking"})
    theme = theme_ids(db)["Networking"]
    forged = evaluator.post(f"{BASE}/themes/delete", data={"instrument": SLUG, "theme": theme})
    assert forged.status_code == 400
    page = post(evaluator, "/themes/delete", {"theme": theme + 100, "confirm": "yes"})
    assert "That theme no longer exists; reload the page" in page
    for odd in ("9" * 40, "-1", ""):
        refused = evaluator.post(
            f"{BASE}/themes/delete",
            data={"csrf_token": token_of(evaluator, PAGE), "instrument": SLUG, "theme": odd},
        )
        assert refused.status_code == 400, odd
    viewer = signed_in(app.test_client(), db, "viewer@example.org", "viewer")
    assert f"{BASE}/themes/delete" not in viewer.get(PAGE).get_data(as_text=True)  # no button
    refused = viewer.post(
        f"{BASE}/themes/delete",
        data={"csrf_token": token_of(viewer, PAGE), "instrument": SLUG, "theme": theme, "confirm": "yes"},
    )
    assert refused.status_code == 404
    assert theme_ids(db) == {"Networking": theme}
