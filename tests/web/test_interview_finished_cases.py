"""Interviewer mode and finished cases, and the page's own saves racing each other (issue 13).

Defect 4: assignment handed out complete and not-eligible cases, an instrument 7 of 7 complete
was offered as "(7 unassigned)", and a completed case opened blank and saved a second response.
Defect 5: "Save and mark complete" sent while the page's autosave was on its way ended "Interview
saved." over a partial response, or a conflict naming the interviewer himself.

CSRF stays on: every POST carries the token read from the page the user had open.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from staff_helpers import csrf_token, login, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Answer, Case, Contact, Instrument, Question, Response
from feedback.db.accounts import User
from feedback.db.audit import AuditEntry
from feedback.db.session import Database
from feedback.services.dispositions import log_call
from feedback.services.interviews import assign_cases
from feedback.services.responses import record_response

pytestmark = pytest.mark.usefixtures("fast_hashing", "loaded_forms")
MOVE = "move-telephone-interview"
BRIEF = "stepup-brief-followup-interview"
COMPLETE_MOVE = {"interviewee_role": "nacro_staff", "notes_services": "The toolkit helped most."}


def add_case(db: Database, slug: str, name: str, *, answers: dict[str, Any] | None = None,
             call: str = "", assign_to: str = "") -> int:  # fmt: skip
    """A case of the instrument for a new contact; with ``answers``, a complete response recorded
    before the case had any interview record (as the demo, web or paper entry record them)."""
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == slug))
        assert instrument is not None
        contact = Contact(project_id=instrument.project_id, name=name)
        session.add(contact)
        session.flush()
        case = Case(instrument_id=instrument.id, contact_id=contact.id, token=secrets.token_urlsafe(32))
        session.add(case)
        session.flush()
        if answers is not None:
            record_response(
                session, instrument, answers, mode="telephone", contact_id=contact.id, case_id=case.id
            )
        if call:
            log_call(session, case, call)
        if assign_to:
            user = session.scalar(select(User).where(User.email == assign_to))
            assert user is not None
            assign_cases(session, [case.id], user, assigned_by="test")
        return case.id


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"the page has no {name} field"
    return match.group(1)


def interview_post(html: str, **fields: str) -> dict[str, str]:
    """The interview form as the page would post it (its version, page token and details)."""
    data = {
        "csrf_token": csrf_token(html),
        "_version": hidden(html, "_version"),
        "_mode": "telephone",
        "_interview_date-day": "3",
        "_interview_date-month": "2",
        "_interview_date-year": "2025",
        "_minutes": "",
        "_action": "save",
    }
    if "_page" in html:
        data["_page"] = hidden(html, "_page")
    data.update(fields)
    return data


def responses_of(db: Database, case_id: int) -> list[tuple[str, dict[str, str]]]:
    """Each live response of the case: its status and its answers by question name."""
    with db.read() as session:
        found = session.scalars(
            select(Response).where(Response.case_id == case_id, Response.deleted_at.is_(None))
        ).all()
        result = []
        for response in found:
            rows = session.execute(
                select(Question.name, Answer.value)
                .join(Answer, Answer.question_id == Question.id)
                .where(Answer.response_id == response.id)
            ).all()
            result.append((response.status, dict(rows)))
    return result


def form_url(case_id: int) -> str:
    return f"/staff/projects/move/interviews/{case_id}"


@pytest.fixture
def move(db: Database, loaded_forms: object) -> None:
    make_user(db, "ann@example.org", roles={"move": "interviewer"})
    make_user(db, "bob@example.org", roles={"move": "interviewer"})
    make_user(db, "eve@example.org", roles={"move": "evaluator"})


# --------------------------------------------------------------------------- defect 4


@pytest.mark.usefixtures("move")
def test_assignment_never_gives_finished_cases(app: Flask, db: Database) -> None:
    add_case(db, MOVE, "Complete Agency", answers=COMPLETE_MOVE)
    add_case(db, MOVE, "Ineligible Agency", call="ineligible")
    add_case(db, MOVE, "Refusing Agency", call="hard_refusal")
    add_case(db, MOVE, "Open Agency")
    add_case(db, MOVE, "Rang Once Agency", call="no_answer")
    eve = signed_in(app, "eve@example.org")
    listing = page(eve, "/staff/projects/move/interviews")
    assert "MOVE telephone interview (2 unassigned)" in listing
    with db.read() as session:
        instrument_id = session.scalar(select(Instrument.id).where(Instrument.slug == MOVE))
        bob = session.scalar(select(User.id).where(User.email == "bob@example.org"))
    done = eve.post(
        "/staff/projects/move/interviews/assign",
        data={"csrf_token": csrf_token(listing), "instrument": str(instrument_id),
              "interviewer": str(bob), "count": "10"},
    )  # fmt: skip
    assert done.status_code == 302
    after = page(eve, done.headers["Location"])
    assert "2 cases assigned." in after
    assert "No case is waiting to be assigned." in after
    bobs = page(signed_in(app, "bob@example.org"), "/staff/projects/move/interviews?finished=1")
    assert "Open Agency" in bobs and "Rang Once Agency" in bobs
    for finished in ("Complete Agency", "Ineligible Agency", "Refusing Agency"):
        assert finished not in bobs


def test_an_instrument_complete_seven_of_seven_is_not_offered(
    app: Flask, db: Database, loaded_forms: object
) -> None:
    make_user(db, "sam@example.org", roles={"step-up": "evaluator"})
    for n in range(7):
        add_case(db, BRIEF, f"Organisation {n}", answers={"participated_beyond": "no"})
    listing = page(signed_in(app, "sam@example.org"), "/staff/projects/step-up/interviews")
    assert "Step Up brief follow-up call (" not in listing
    assert "No case is waiting to be assigned." in listing


@pytest.mark.usefixtures("move")
def test_the_case_list_shows_finished_cases_only_when_asked(app: Flask, db: Database) -> None:
    add_case(db, MOVE, "Complete Agency", answers=COMPLETE_MOVE, assign_to="ann@example.org")
    add_case(db, MOVE, "Ineligible Agency", call="ineligible", assign_to="ann@example.org")
    add_case(db, MOVE, "Open Agency", assign_to="ann@example.org")
    for who in ("ann@example.org", "eve@example.org"):
        client = signed_in(app, who)
        default = page(client, "/staff/projects/move/interviews")
        assert "Include finished cases" in default and "1 unfinished case," in default
        assert "Open Agency" in default
        assert "Complete Agency" not in default and "Ineligible Agency" not in default
        everything = page(client, "/staff/projects/move/interviews?finished=1")
        assert "3 cases," in everything
        assert "Complete Agency" in everything and "Ineligible Agency" in everything
        assert re.search(r'name="finished"[^>]*value="1"[^>]*checked', everything)
        assert everything.count(">Finished</strong>") == 2


@pytest.mark.usefixtures("move")
def test_a_completed_case_opens_with_its_answers_and_saving_edits_that_response(
    app: Flask, db: Database
) -> None:
    case_id = add_case(db, MOVE, "Complete Agency", answers=COMPLETE_MOVE, assign_to="ann@example.org")
    ann = signed_in(app, "ann@example.org")
    html = page(ann, form_url(case_id))
    assert re.search(r"<textarea[^>]*>\s*The toolkit helped most.", html)
    assert re.search(r'value="nacro_staff"[^>]*checked', html)
    assert "Complete" in html
    saved = ann.post(
        form_url(case_id),
        data=interview_post(html, interviewee_role="nacro_staff", notes_services="Mentoring helped most."),
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    assert "Interview saved." in page(ann, saved.headers["Location"])
    assert responses_of(db, case_id) == [
        ("complete", {"interviewee_role": "nacro_staff", "notes_services": "Mentoring helped most."})
    ]
    with db.read() as session:
        response_id = session.scalar(select(Response.id).where(Response.case_id == case_id))
        edits = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "response", AuditEntry.entity_id == response_id,
                AuditEntry.action == "edit",
            )
        ).all()  # fmt: skip
    assert [(e.actor_label, e.before, e.after) for e in edits] == [
        (
            "ann@example.org",
            {"notes_services": ["The toolkit helped most."]},
            {"notes_services": ["Mentoring helped most."]},
        )
    ]
    trail = page(
        signed_in(app, "eve@example.org"), f"/staff/projects/move/audit?entity=response&id={response_id}"
    )
    assert "ann@example.org" in trail and "Mentoring helped most." in trail


# --------------------------------------------------------------------------- defect 5


@pytest.mark.usefixtures("move")
@pytest.mark.parametrize("edited", [True, False], ids=["edited after the autosave", "as autosaved"])
def test_complete_after_the_pages_own_autosave_is_not_a_conflict(
    app: Flask, db: Database, edited: bool
) -> None:
    """The submit leaves with the version the page was shown with, its autosave having moved it on."""
    case_id = add_case(db, MOVE, "Racing Agency", assign_to="ann@example.org")
    ann = signed_in(app, "ann@example.org")
    html = page(ann, form_url(case_id))
    auto = ann.post(
        form_url(case_id) + "/autosave",
        data=interview_post(html, interviewee_role="nacro_staff", notes_services="Draft notes"),
    )
    assert auto.status_code == 200 and auto.json["version"] == 1
    text = "Final notes, edited" if edited else "Draft notes"
    done = ann.post(
        form_url(case_id),
        data=interview_post(html, interviewee_role="nacro_staff", notes_services=text, _action="complete"),
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    assert "Interview saved and marked complete." in page(ann, done.headers["Location"])
    assert responses_of(db, case_id) == [
        ("complete", {"interviewee_role": "nacro_staff", "notes_services": text})
    ]
    # A late autosave from the same page (sent before the submit) is not a conflict either, and
    # does not undo "complete".
    late = ann.post(
        form_url(case_id) + "/autosave",
        data=interview_post(html, interviewee_role="nacro_staff", notes_services=text),
    )
    assert late.status_code == 200
    assert responses_of(db, case_id)[0][0] == "complete"


@pytest.mark.usefixtures("move")
def test_the_same_person_in_another_tab_is_still_told_of_the_newer_version(app: Flask, db: Database) -> None:
    case_id = add_case(db, MOVE, "Two Tabs Agency", assign_to="ann@example.org")
    ann = signed_in(app, "ann@example.org")
    first_tab, second_tab = page(ann, form_url(case_id)), page(ann, form_url(case_id))
    assert hidden(first_tab, "_page") != hidden(second_tab, "_page")
    saved = ann.post(form_url(case_id), data=interview_post(first_tab, notes_services="From the first tab"))
    assert saved.status_code == 302
    stale = ann.post(form_url(case_id), data=interview_post(second_tab, notes_services="From the second tab"))
    assert stale.status_code == 409
    assert "Ann saved this interview" in stale.get_data(as_text=True)
    with db.read() as session:
        assert session.scalar(select(func.count()).where(Response.case_id == case_id)) == 1
    assert responses_of(db, case_id)[0][1] == {"notes_services": "From the first tab"}
