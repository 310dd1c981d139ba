"""Paper data entry: a batch for one event, fast keying, the web form's checks, double keying.

CSRF stays on: every POST carries the token read from the page the keyer had open.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import csrf_token, login, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Activity, Answer, Instrument, Project, Question, Response
from feedback.db.paper import PaperBatch
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing", "loaded_forms")
FORM = "pirr-event-feedback"
BATCH = "/staff/projects/pirr/paper"


@pytest.fixture
def event(db: Database) -> dict[str, int]:
    make_user(db, "kim@example.org", roles={"pirr": "interviewer"})
    make_user(db, "eve@example.org", roles={"pirr": "evaluator"})
    make_user(db, "val@example.org", roles={"pirr": "viewer"})
    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "pirr"))
        instrument = session.scalar(select(Instrument).where(Instrument.slug == FORM))
        assert project is not None and instrument is not None
        activity = Activity(
            project_id=project.id, title="Bid-writing training, Leeds", starts_on=date(2008, 3, 4)
        )
        session.add(activity)
        session.flush()
        return {"activity": activity.id, "instrument": instrument.id}


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def get(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def start(client: FlaskClient, event: dict[str, int], every: str = "0") -> None:
    html = get(client, BATCH)
    response = client.post(
        BATCH,
        data={
            "csrf_token": csrf_token(html),
            "instrument": str(event["instrument"]),
            "activity": str(event["activity"]),
            "second_every": every,
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/paper/entry")


def key(client: FlaskClient, url: str, **answers: str) -> Any:
    html = get(client, url)
    return client.post(url, data={"csrf_token": csrf_token(html), **answers})


def stored(db: Database) -> list[tuple[str, int | None, str, dict[str, str]]]:
    with db.read() as session:
        responses = session.scalars(select(Response).order_by(Response.id)).all()
        out = []
        for response in responses:
            answers = session.execute(
                select(Question.name, Answer.value)
                .join(Answer, Answer.question_id == Question.id)
                .where(Answer.response_id == response.id)
            ).all()
            out.append((response.mode, response.activity_id, response.status, dict(answers)))
        return out


def test_three_paper_forms_are_stored_for_the_batchs_event(
    app: Flask, db: Database, event: dict[str, int]
) -> None:
    kim = signed_in(app, "kim@example.org")
    start(kim, event)
    entry = get(kim, f"{BATCH}/entry")
    assert "Bid-writing training, Leeds" in entry and "Forms keyed in this batch: <strong>0</strong>" in entry
    form = entry.split('id="paper-form"')[1]
    first_input = re.search(r'<input(?![^>]*type="hidden")[^>]*>', form)
    assert first_input and "autofocus" in first_input.group(0) and 'name="event_type"' in first_input.group(0)
    for rating, comment in (("good", "Clear"), ("very_good", ""), ("poor", "Too long")):
        saved = key(
            kim, f"{BATCH}/entry", event_type="training_bid_writing", overall_rating=rating, comments=comment
        )
        assert saved.status_code == 302
    assert "Forms keyed in this batch: <strong>3</strong>" in get(kim, f"{BATCH}/entry")
    rows = stored(db)
    assert [(mode, activity, status) for mode, activity, status, _ in rows] == [
        ("paper", event["activity"], "complete")
    ] * 3
    assert [answers.get("overall_rating") for *_, answers in rows] == ["good", "very_good", "poor"]
    assert rows[2][3]["comments"] == "Too long"


def test_an_invalid_form_shows_errors_and_keeps_what_was_typed(
    app: Flask, db: Database, event: dict[str, int]
) -> None:
    kim = signed_in(app, "kim@example.org")
    start(kim, event)
    refused = key(
        kim,
        f"{BATCH}/entry",
        event_type="conference",
        overall_rating="excellent",
        **{"event_date-day": "31", "event_date-month": "2", "event_date-year": "2008"},
        comments="Typed from the back page",
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Select one of the options shown" in html and "Enter a real date" in html
    assert "Typed from the back page" in html and 'value="31"' in html
    assert re.search(r'value="conference"\s+checked', html) or re.search(
        r'checked[^>]*value="conference"', html
    )
    assert stored(db) == []


def test_double_keying_reports_discrepancies(app: Flask, db: Database, event: dict[str, int]) -> None:
    kim = signed_in(app, "kim@example.org")
    start(kim, event, every="2")
    for rating in ("good", "average", "poor"):
        assert key(kim, f"{BATCH}/entry", event_type="launch", overall_rating=rating).status_code == 302
    second = get(kim, f"{BATCH}/second")
    assert "Key form 2 again" in second and "checked" not in second  # blind: nothing pre-filled
    again = key(kim, f"{BATCH}/second", event_type="launch", overall_rating="good", comments="extra")
    assert again.status_code == 302
    assert "No form of this batch is waiting" in get(kim, f"{BATCH}/second")
    with db.read() as session:
        first_id = session.scalar(select(Response.id).order_by(Response.id).limit(1))
    chosen = get(kim, f"{BATCH}/second?response={first_id}")
    assert "Key form 1 again" in chosen
    same = kim.post(
        f"{BATCH}/second",
        data={
            "csrf_token": csrf_token(chosen),
            "_response": str(first_id),
            "event_type": "launch",
            "overall_rating": "good",
        },
    )
    assert same.status_code == 302
    assert get(kim, f"{BATCH}/discrepancies", 404)  # keyers key; evaluators read the report
    with db.read() as session:
        batch_id = session.scalar(select(PaperBatch.id))
    eve = signed_in(app, "eve@example.org")
    report = get(eve, f"{BATCH}/discrepancies?batch={batch_id}")
    assert "2 differences in 2 forms keyed twice (n = 2)" in report
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", report, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows[1:]]
    flat = [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in row] for row in cells]
    assert flat[0][0] == "2" and flat[0][2:] == ["average", "good"]
    assert flat[1][0] == "2" and flat[1][2:] == ["(blank)", "extra"]
    assert "Overall" in flat[0][1] or "overall_rating" in flat[0][1]


def test_who_may_key_and_read(app: Flask, event: dict[str, int]) -> None:
    viewer = signed_in(app, "val@example.org")
    for url in (BATCH, f"{BATCH}/entry", f"{BATCH}/second", f"{BATCH}/discrepancies"):
        assert viewer.get(url).status_code == 404
    kim = signed_in(app, "kim@example.org")
    assert kim.get(f"{BATCH}/entry").status_code == 302  # no batch yet: choose one first
    eve = signed_in(app, "eve@example.org")
    start(eve, event)
    # A batch is the keyer's own: another person's session does not continue it.
    assert kim.get(f"{BATCH}/entry").status_code == 302
    assert eve.get(f"{BATCH}/entry").status_code == 200


def test_the_same_page_posted_twice_stores_one_form(app: Flask, db: Database, event: dict[str, int]) -> None:
    kim = signed_in(app, "kim@example.org")
    start(kim, event)
    html = get(kim, f"{BATCH}/entry")
    data = {"csrf_token": csrf_token(html), "_key": re.search(r'name="_key" value="([^"]+)"', html).group(1)}
    data.update(event_type="launch", overall_rating="good")
    assert kim.post(f"{BATCH}/entry", data=data).status_code == 302
    again = kim.post(f"{BATCH}/entry", data=data)
    assert again.status_code == 302
    assert "Form 1 of this batch was already saved" in get(kim, again.headers["Location"])
    assert len(stored(db)) == 1
