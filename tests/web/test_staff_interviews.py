"""Interviewer mode: case lists, call attempts, the interview form, autosave and conflicts.

CSRF stays on: every POST carries the token read from the page the interviewer had open.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import csrf_token, login, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Answer, Case, Contact, Instrument, Question, Response
from feedback.db.accounts import User
from feedback.db.interviews import InterviewRecord
from feedback.db.sampling import CallAttempt
from feedback.db.session import Database
from feedback.services.dispositions import case_disposition, log_call
from feedback.services.interviews import assign_cases

pytestmark = pytest.mark.usefixtures("fast_hashing", "loaded_forms")
SCHEDULE = "move-telephone-interview"


@pytest.fixture
def fieldwork(db: Database) -> dict[str, Any]:
    """Two interviewers with a case each, an evaluator, and a viewer, in the MOVE project."""
    ann = make_user(db, "ann@example.org", roles={"move": "interviewer"})
    bob = make_user(db, "bob@example.org", roles={"move": "interviewer"})
    make_user(db, "eve@example.org", roles={"move": "evaluator"})
    make_user(db, "val@example.org", roles={"move": "viewer"})
    cases = {}
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SCHEDULE))
        assert instrument is not None
        for who, name, phone in (
            ("ann", "Alice Agency", "0113 496 0001"),
            ("bob", "Bernard Body", "0113 496 0002"),
        ):
            contact = Contact(project_id=instrument.project_id, name=name, organisation=f"{name} Ltd")
            session.add(contact)
            session.flush()
            from feedback.db import ContactAttribute

            session.add(ContactAttribute(contact_id=contact.id, key="phone", value=phone))
            case = Case(instrument_id=instrument.id, contact_id=contact.id, token=secrets.token_urlsafe(32))
            session.add(case)
            session.flush()
            user = session.get(User, ann if who == "ann" else bob)
            assert user is not None
            assign_cases(session, [case.id], user, assigned_by="test")
            cases[who] = case.id
    return cases


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def form_url(case_id: int) -> str:
    return f"/staff/projects/move/interviews/{case_id}"


def version_of(html: str) -> str:
    match = re.search(r'name="_version" value="(\d+)"', html)
    assert match
    return match.group(1)


def interview_post(html: str, **answers: Any) -> dict[str, Any]:
    data = {
        "csrf_token": csrf_token(html),
        "_version": version_of(html),
        "_mode": "telephone",
        "_interview_date-day": "3",
        "_interview_date-month": "2",
        "_interview_date-year": "2025",
        "_minutes": "",
        "_action": "save",
    }
    data.update(answers)
    return data


def test_an_interviewer_sees_only_their_cases(app: Flask, fieldwork: dict[str, int]) -> None:
    ann = signed_in(app, "ann@example.org")
    listing = page(ann, "/staff/projects/move/interviews")
    assert "Alice Agency" in listing and "0113 496 0001" in listing
    assert "Bernard Body" not in listing
    for url in (form_url(fieldwork["bob"]), form_url(fieldwork["bob"]) + "/call"):
        assert ann.get(url).status_code == 404
    token = csrf_token(page(ann, form_url(fieldwork["ann"])))
    refused = ann.post(form_url(fieldwork["bob"]) + "/autosave", data={"csrf_token": token, "_version": "0"})
    assert refused.status_code == 404

    supervisor = page(signed_in(app, "eve@example.org"), "/staff/projects/move/interviews")
    assert "Alice Agency" in supervisor and "Bernard Body" in supervisor
    assert signed_in(app, "val@example.org").get("/staff/projects/move/interviews").status_code == 404


def test_a_failed_call_is_recorded_and_changes_the_disposition(
    app: Flask, db: Database, fieldwork: dict[str, int]
) -> None:
    case_id = fieldwork["ann"]
    with db.read() as session:
        assert case_disposition(session, case_id) == "UH"
    ann = signed_in(app, "ann@example.org")
    call_page = page(ann, form_url(case_id) + "/call")
    assert "No calls yet" in call_page
    response = ann.post(
        form_url(case_id) + "/call",
        data={"csrf_token": csrf_token(call_page), "outcome": "wrong_number", "note": "Number is a fax"},
    )
    assert response.status_code == 302
    listing = page(ann, response.headers["Location"])
    assert "Call recorded: Wrong number. The case&#39;s disposition is now UO." in listing
    with db.read() as session:
        attempts = session.scalars(select(CallAttempt).where(CallAttempt.case_id == case_id)).all()
        assert [(a.outcome, a.note, a.interviewer) for a in attempts] == [
            ("wrong_number", "Number is a fax", "Ann")
        ]
        assert case_disposition(session, case_id) == "UO"
    assert "Number is a fax" in page(ann, form_url(case_id) + "/call")


def test_an_appointment_needs_a_date_and_shows_as_due(
    app: Flask, db: Database, fieldwork: dict[str, int]
) -> None:
    ann = signed_in(app, "ann@example.org")
    url = form_url(fieldwork["ann"]) + "/call"
    call_page = page(ann, url)
    missing = ann.post(
        url, data={"csrf_token": csrf_token(call_page), "outcome": "appointment", "note": "ring back"}
    )
    assert missing.status_code == 400
    html = missing.get_data(as_text=True)
    assert "An appointment needs its date and time" in html and "ring back" in html
    next_year = str(date.today().year + 1)
    made = ann.post(
        url,
        data={
            "csrf_token": csrf_token(call_page),
            "outcome": "appointment",
            "next-day": "1",
            "next-month": "2",
            "next-year": next_year,
            "next_time": "10:30",
        },
    )
    assert made.status_code == 302
    listing = page(ann, "/staff/projects/move/interviews")
    assert f"01 Feb {next_year} 10:30" in listing and ">Due<" not in listing

    # An appointment whose time has passed, with no call since, is due; a call after it ends it.
    with db.write() as session:
        case = session.get(Case, fieldwork["bob"])
        assert case is not None
        log_call(
            session,
            case,
            "appointment",
            attempted_at=datetime(2020, 1, 31, 9, tzinfo=UTC),
            next_appointment=datetime(2020, 2, 1, 10, 30, tzinfo=UTC),
        )
    bob = signed_in(app, "bob@example.org")
    listing = page(bob, "/staff/projects/move/interviews")
    assert "01 Feb 2020 10:30" in listing and ">Due<" in listing
    with db.write() as session:
        case = session.get(Case, fieldwork["bob"])
        assert case is not None
        log_call(session, case, "no_answer")
    assert "01 Feb 2020 10:30" not in page(bob, "/staff/projects/move/interviews")


def test_conducting_an_interview_saves_notes_and_details(
    app: Flask, db: Database, fieldwork: dict[str, int]
) -> None:
    case_id = fieldwork["ann"]
    ann = signed_in(app, "ann@example.org")
    html = page(ann, form_url(case_id))
    assert "Topic 1: type and quality of services provided by MOVE" in html
    assert "Prompt: how MOVE found out what your organisation needed" in html
    assert 'name="interviewee_role"' in html and 'type="radio"' in html  # the coded items
    assert re.search(r'<textarea[^>]+name="notes_services"[^>]+rows="12"', html)
    saved = ann.post(
        form_url(case_id),
        data=interview_post(
            html,
            _mode="face_to_face",
            _minutes="45",
            interviewee_role="nacro_staff",
            services_quality="good",
            notes_services="Training was the most useful <b>by far</b>.",
        ),
    )
    assert saved.status_code == 302
    again = page(ann, saved.headers["Location"])
    assert "Training was the most useful &lt;b&gt;by far&lt;/b&gt;." in again
    with db.read() as session:
        record = session.scalar(select(InterviewRecord).where(InterviewRecord.case_id == case_id))
        assert (
            record is not None and record.interviewer == "Ann" and str(record.interview_date) == "2025-02-03"
        )
        response = session.get(Response, record.response_id)
        assert response is not None
        assert (response.mode, response.duration_seconds, response.status) == (
            "face_to_face",
            2700,
            "partial",
        )
        answers = dict(
            session.execute(
                select(Question.name, Answer.value)
                .join(Answer, Answer.question_id == Question.id)
                .where(Answer.response_id == response.id)
            ).all()
        )
    assert answers == {
        "interviewee_role": "nacro_staff",
        "services_quality": "good",
        "notes_services": "Training was the most useful <b>by far</b>.",
    }
    done = ann.post(
        form_url(case_id), data=interview_post(again, interviewee_role="nacro_staff", _action="complete")
    )
    assert done.status_code == 302
    assert "Complete" in page(ann, done.headers["Location"])


def test_autosave_stores_partial_text(app: Flask, db: Database, fieldwork: dict[str, int]) -> None:
    case_id = fieldwork["ann"]
    ann = signed_in(app, "ann@example.org")
    html = page(ann, form_url(case_id))
    first = ann.post(
        form_url(case_id) + "/autosave", data=interview_post(html, notes_services="They said the trai")
    )
    assert first.status_code == 200 and first.json["version"] == 1
    data = interview_post(html, notes_services="They said the training was good", _minutes="4x")
    data["_version"] = "1"
    second = ann.post(form_url(case_id) + "/autosave", data=data)
    assert second.status_code == 200 and second.json["version"] == 2
    assert "need checking" in second.json["message"]
    reloaded = page(ann, form_url(case_id))
    assert "They said the training was good" in reloaded and version_of(reloaded) == "2"


def test_a_stale_save_is_a_conflict_that_keeps_the_text(
    app: Flask, db: Database, fieldwork: dict[str, int]
) -> None:
    case_id = fieldwork["ann"]
    ann, eve = signed_in(app, "ann@example.org"), signed_in(app, "eve@example.org")
    ann_page, eve_page = page(ann, form_url(case_id)), page(eve, form_url(case_id))
    first = eve.post(form_url(case_id), data=interview_post(eve_page, notes_services="Eve's notes"))
    assert first.status_code == 302
    stale = ann.post(form_url(case_id), data=interview_post(ann_page, notes_services="Ann's own long notes"))
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Someone else has saved this interview" in html and "Eve saved this interview" in html
    assert re.search(r"<textarea[^>]*>\s*Ann&#39;s own long notes", html)
    auto = ann.post(
        form_url(case_id) + "/autosave", data=interview_post(ann_page, notes_services="Ann again")
    )
    assert auto.status_code == 409 and "Eve saved this interview" in auto.json["message"]
    assert "Eve&#39;s notes" in page(eve, form_url(case_id))
    # Saving again from the conflict page is a deliberate choice: it replaces Eve's version.
    replaced = ann.post(form_url(case_id), data=interview_post(html, notes_services="Ann's own long notes"))
    assert replaced.status_code == 302
    assert "Ann&#39;s own long notes" in page(eve, form_url(case_id))


def test_an_evaluator_assigns_unassigned_cases(app: Flask, db: Database, fieldwork: dict[str, int]) -> None:
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SCHEDULE))
        assert instrument is not None
        for n in range(3):
            contact = Contact(project_id=instrument.project_id, name=f"New contact {n}")
            session.add(contact)
            session.flush()
            session.add(
                Case(instrument_id=instrument.id, contact_id=contact.id, token=secrets.token_urlsafe(32))
            )
        instrument_id = instrument.id
        bob = session.scalar(select(User.id).where(User.email == "bob@example.org"))
    eve = signed_in(app, "eve@example.org")
    listing = page(eve, "/staff/projects/move/interviews")
    assert "MOVE telephone interview (3 unassigned)" in listing
    done = eve.post(
        "/staff/projects/move/interviews/assign",
        data={
            "csrf_token": csrf_token(listing),
            "instrument": str(instrument_id),
            "interviewer": str(bob),
            "count": "2",
        },
    )
    assert done.status_code == 302
    assert "2 cases assigned." in page(eve, "/staff/projects/move/interviews")
    bobs = page(signed_in(app, "bob@example.org"), "/staff/projects/move/interviews")
    assert "New contact 0" in bobs and "New contact 1" in bobs and "New contact 2" not in bobs
    outsider = eve.post(
        "/staff/projects/move/interviews/assign",
        data={
            "csrf_token": csrf_token(listing),
            "instrument": str(instrument_id),
            "interviewer": "9999",
            "count": "1",
        },
    )
    assert "Choose an interviewer or evaluator of this project" in page(eve, outsider.headers["Location"])
    ann = signed_in(app, "ann@example.org")
    token = csrf_token(page(ann, "/staff/projects/move/interviews"))
    assert ann.post("/staff/projects/move/interviews/assign", data={"csrf_token": token}).status_code == 404


def test_details_with_errors_come_back_with_the_notes_kept(app: Flask, fieldwork: dict[str, int]) -> None:
    ann = signed_in(app, "ann@example.org")
    html = page(ann, form_url(fieldwork["ann"]))
    data = interview_post(
        html, _minutes="about an hour", _mode="carrier pigeon", notes_impact="Kept, not lost"
    )
    shown = ann.post(form_url(fieldwork["ann"]), data=data)
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Enter the length in whole minutes, from 0 to 1440" in text
    assert "Select how the interview was done" in text
    assert "Kept, not lost" in text and 'value="about an hour"' in text


def test_a_double_click_on_save_is_not_a_conflict(app: Flask, fieldwork: dict[str, int]) -> None:
    ann = signed_in(app, "ann@example.org")
    html = page(ann, form_url(fieldwork["ann"]))
    data = interview_post(html, notes_services="Same text twice")
    assert ann.post(form_url(fieldwork["ann"]), data=data).status_code == 302
    again = ann.post(form_url(fieldwork["ann"]), data=data)
    assert again.status_code == 302
    assert "Same text twice" in page(ann, again.headers["Location"])
