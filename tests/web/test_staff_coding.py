"""Free-text answers: listed with a pseudonymous profile, coded with themes, counted like a
closed question on the summary page and through ``theme_tables``."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_web_support import SLUG, count_selects, load_form, record, signed_in, text_of, token_of
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import make_project

from feedback.db import Contact, Project
from feedback.db.coding import Theme
from feedback.db.session import Database
from feedback.services.coding import theme_tables

pytestmark = pytest.mark.usefixtures("fast_hashing")
PAGE = f"/staff/projects/pilot/free-text?instrument={SLUG}"
BASE = "/staff/projects/pilot/free-text"


@pytest.fixture
def answers(db: Database, tmp_path: Path) -> list[int]:
    """Four comments, and one response without any comment (not listed, not counted)."""
    load_form(db, tmp_path)
    make_project(db, "other")
    ids = record(
        db,
        [
            {"org_type": "vco", "comments": "More networking time please"},
            {"org_type": "statutory", "comments": "Funding advice was useful; more networking"},
            {"comments": "Networking was the best part"},
            {"org_type": "vco", "comments": "Too long"},
            {"org_type": "vco"},
        ],
    )
    return ids[:4]


def _add_theme(client: FlaskClient, label: str, scope: str = "question") -> str:
    token = token_of(client, PAGE)
    response = client.post(
        f"{BASE}/themes",
        data={
            "csrf_token": token,
            "instrument": SLUG,
            "question": "comments",
            "label": label,
            "scope": scope,
        },
    )
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _theme_ids(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {t.label: t.id for t in session.scalars(select(Theme))}


def _code(client: FlaskClient, assignments: dict[int, list[int]]) -> str:
    token = token_of(client, PAGE)
    data: dict[str, object] = {
        "csrf_token": token,
        "instrument": SLUG,
        "question": "comments",
        "shown": [str(rid) for rid in assignments],
    }
    for rid, themes in assignments.items():
        data[f"themes-{rid}"] = [str(t) for t in themes]
    response = client.post(f"{BASE}/coding", data=data)
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_theme_coding_is_counted_like_a_closed_question(
    client: FlaskClient, db: Database, answers: list[int]
) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    _add_theme(evaluator, "Networking")
    _add_theme(evaluator, "Funding")
    themes = _theme_ids(db)
    a, b, c, _uncoded = answers
    page = _code(
        evaluator,
        {a: [themes["Networking"]], b: [themes["Networking"], themes["Funding"]], c: [themes["Networking"]]},
    )
    assert "Coding saved: 4 theme(s) on 3 answer(s)." in text_of(page)

    with db.read() as session:
        [table] = theme_tables(session, SLUG)
    assert (table.base, table.missing, table.not_shown) == (3, 1, 0)
    assert [(r.label, r.n, round(r.percent or 0, 1)) for r in table.rows] == [
        ("Networking", 3, 100.0),
        ("Funding", 1, 33.3),
    ]
    summary = text_of(
        evaluator.get(f"/staff/projects/pilot/summaries?instrument={SLUG}").get_data(as_text=True)
    )
    assert "Themes: Any other comments? comments" in summary
    assert "Base: 3 answered (respondents) Answer n % 95% CI Networking 3 100.0%" in summary
    assert "Funding 1 33.3%" in summary
    assert "Answers not coded yet 1" in summary


def test_unticking_a_theme_removes_it(client: FlaskClient, db: Database, answers: list[int]) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    _add_theme(evaluator, "Networking")
    networking = _theme_ids(db)["Networking"]
    _code(evaluator, {answers[0]: [networking], answers[1]: [networking]})
    _code(evaluator, {answers[0]: []})  # answers[1] is not on the form: left as it was
    with db.read() as session:
        [table] = theme_tables(session, SLUG)
    assert (table.base, table.rows[0].n) == (1, 1)


def test_themes_can_be_renamed_but_not_repeated(
    client: FlaskClient, db: Database, answers: list[int]
) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    _add_theme(evaluator, "Networking")
    page = _add_theme(evaluator, "  networking ")
    assert "There is already a theme called 'networking' here" in text_of(page)
    page = _add_theme(evaluator, "   ")
    assert "Enter a name for the theme" in text_of(page)
    theme = _theme_ids(db)["Networking"]
    token = token_of(evaluator, PAGE)
    response = evaluator.post(
        f"{BASE}/themes/rename",
        data={
            "csrf_token": token,
            "instrument": SLUG,
            "question": "comments",
            "theme": theme,
            "label": "Networks",
        },
    )
    assert response.status_code == 302
    assert _theme_ids(db) == {"Networks": theme}


def test_instrument_wide_themes_are_offered_for_every_text_question(
    client: FlaskClient, db: Database, answers: list[int]
) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    _add_theme(evaluator, "Positive", scope="instrument")
    with db.read() as session:
        theme = session.scalar(select(Theme))
        assert theme is not None and theme.question_name is None
    page = evaluator.get(PAGE).get_data(as_text=True)
    assert f'name="themes-{answers[0]}" type="checkbox" value="{theme.id}"' in page


def test_answers_are_escaped_and_shown_with_a_pseudonymous_profile(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    load_form(db, tmp_path)
    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "pilot"))
        assert project is not None
        contact = Contact(project_id=project.id, name="Alice Example", email="alice@example.org")
        session.add(contact)
        session.flush()
        contact_id = contact.id
    record(
        db,
        [{"org_type": "statutory", "comments": '<script>alert("x")</script><b>bold</b>'}],
        contact_id=contact_id,
    )
    viewer = signed_in(client, db, "viewer@example.org", "viewer")
    html = viewer.get(PAGE).get_data(as_text=True)
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    text = text_of(html)
    assert "Type of organisation Statutory body" in text
    assert "Alice" not in text and "alice@example.org" not in text
    assert "id " in text  # the pseudonymous respondent id (a keyed hash of the contact)


def test_viewers_read_but_cannot_code(client: FlaskClient, db: Database, answers: list[int]) -> None:
    viewer = signed_in(client, db, "viewer@example.org", "viewer")
    page = viewer.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "More networking time please" in html
    assert 'type="checkbox"' not in html and "Add theme" not in html
    token = token_of(viewer, PAGE)
    for path, data in (
        ("/themes", {"label": "Sneaky"}),
        ("/coding", {"shown": str(answers[0])}),
    ):
        response = viewer.post(
            BASE + path, data={"csrf_token": token, "instrument": SLUG, "question": "comments", **data}
        )
        assert response.status_code == 404
    assert _theme_ids(db) == {}


def test_coding_needs_the_csrf_token(client: FlaskClient, db: Database, answers: list[int]) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    response = evaluator.post(
        f"{BASE}/themes", data={"instrument": SLUG, "question": "comments", "label": "X"}
    )
    assert response.status_code == 400
    assert _theme_ids(db) == {}


def test_a_forged_theme_or_answer_is_refused(client: FlaskClient, db: Database, answers: list[int]) -> None:
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    _add_theme(evaluator, "Networking")
    networking = _theme_ids(db)["Networking"]
    page = _code(evaluator, {answers[0]: [networking + 100]})
    assert "Some themes no longer exist for this question" in text_of(page)
    page = _code(evaluator, {answers[0] + 1000: [networking]})
    assert "No answer to 'comments' for response(s)" in text_of(page)
    with db.read() as session:
        assert theme_tables(session, SLUG)[0].base == 0


def test_answers_are_paginated(client: FlaskClient, db: Database, tmp_path: Path) -> None:
    load_form(db, tmp_path)
    record(db, [{"comments": f"comment number {n:02d}"} for n in range(45)])
    viewer = signed_in(client, db, "viewer@example.org", "viewer")
    first = text_of(viewer.get(PAGE).get_data(as_text=True))
    assert "45 answer(s)" in first and "Page 1 of 3" in first
    assert "comment number 00" in first and "comment number 20" not in first
    third = text_of(viewer.get(PAGE + "&page=3").get_data(as_text=True))
    assert "comment number 44" in third and "comment number 39" not in third


def test_a_page_of_answers_costs_the_same_queries_however_long(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    load_form(db, tmp_path)
    evaluator = signed_in(client, db, "evaluator@example.org", "evaluator")
    _add_theme(evaluator, "Networking")
    counts = []
    for n in (3, 30):
        record(db, [{"org_type": "vco", "comments": f"answer {i}"} for i in range(n)])
        with count_selects(db) as statements:
            assert evaluator.get(PAGE).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
