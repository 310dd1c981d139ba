"""Interviewer mode and paper entry in Chromium.

An interviewer logs a failed call, then conducts an interview whose notes the page script saves
on its own (on leaving the box) and which survive a reload; a keyer enters three paper forms
starting from the focused first field. Pages pass axe-core, and the CSP refuses nothing (the
autosave script is a file with the page's nonce, never inline).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select

from feedback.db import Activity, Answer, Case, Contact, Instrument, Project, Question, Response
from feedback.db.accounts import User
from feedback.db.app import EXTENSION
from feedback.services import accounts
from feedback.services.interviews import assign_cases

PASSWORD = "correct horse battery staple"


def _user(live_server: Any, project: str, role: str) -> str:
    email = f"{role}-{secrets.token_hex(4)}@example.org"
    with live_server.app.extensions[EXTENSION].write() as session:
        user = accounts.create_user(session, email, f"Test {role.title()}", password=PASSWORD)
        accounts.grant_role(session, user, project, role)
    return email


def _sign_in(page: Any, email: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")


def _assigned_case(live_server: Any, email: str) -> str:
    name = f"Agency {secrets.token_hex(3)}"
    with live_server.app.extensions[EXTENSION].write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == "move-telephone-interview"))
        assert instrument is not None and instrument.project_id is not None
        contact = Contact(project_id=instrument.project_id, name=name)
        session.add(contact)
        session.flush()
        case = Case(instrument_id=instrument.id, contact_id=contact.id, token=secrets.token_urlsafe(32))
        session.add(case)
        session.flush()
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
        assign_cases(session, [case.id], user)
    return name


def test_interviewer_logs_a_failed_call_then_interviews_with_autosave(
    context: Any, live_server: Any, journey: Any
) -> None:
    email = _user(live_server, "move", "interviewer")
    name = _assigned_case(live_server, email)
    page = journey.watch(context.new_page())
    _sign_in(page, email)
    page.goto("/staff/projects/move/interviews")
    assert page.get_by_role("cell", name=name, exact=True).is_visible()
    journey.step(page, "case list")

    page.get_by_role("link", name=f"Log a call to {name}").click()
    page.wait_for_url("**/call")
    page.get_by_label("No answer").check()
    page.get_by_label("Note (optional)").fill("Rang twice, no reply")
    journey.step(page, "call form")
    page.get_by_role("button", name="Record the call").click()
    page.get_by_text("Call recorded: No answer. The case's disposition is now UH.").wait_for()
    row = page.get_by_role("row").filter(has_text=name)
    assert row.get_by_role("cell").nth(3).inner_text().startswith("1\nlast ")  # one attempt so far
    journey.step(page, "after the call")

    row.get_by_role("link", name=f"Interview {name}").click()
    page.get_by_text("Prompt: how MOVE found out what your organisation needed").wait_for()
    vco_only = page.get_by_text("Before MOVE, had the organisation delivered services to offenders?")
    vco_only.wait_for(state="hidden")  # the skip rule, applied as the interviewer answers
    page.get_by_label("Representative of a voluntary or community organisation").check()
    vco_only.wait_for(state="visible")
    page.get_by_label("Nacro staff").check()
    vco_only.wait_for(state="hidden")
    notes = page.get_by_label("Notes on type and quality of services")
    notes.fill("The self-assessment toolkit was used by every member organisation.")
    with page.expect_response(
        lambda r: r.url.endswith("/autosave") and "toolkit" in (r.request.post_data or "") and r.ok
    ):
        notes.press("Tab")  # leaving the box saves it
    assert page.locator("#autosave-status").filter(has_text="Saved at").is_visible()
    journey.step(page, "autosaved")

    page.reload()
    assert page.get_by_label("Notes on type and quality of services").input_value() == (
        "The self-assessment toolkit was used by every member organisation."
    )
    assert page.get_by_label("Nacro staff").is_checked()
    journey.step(page, "after reload")
    journey.assert_clean()
    journey.assert_no_console_errors()


def test_keyer_enters_three_paper_forms(context: Any, live_server: Any, journey: Any) -> None:
    email = _user(live_server, "pirr", "interviewer")
    title = f"Paper test workshop {secrets.token_hex(3)}"
    database = live_server.app.extensions[EXTENSION]
    with database.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "pirr"))
        assert project is not None
        activity = Activity(project_id=project.id, title=title)
        session.add(activity)
        session.flush()
        activity_id = activity.id
    page = journey.watch(context.new_page())
    _sign_in(page, email)
    page.goto("/staff/projects/pirr/paper")
    page.get_by_label("Questionnaire").select_option(label="PiRR event feedback")
    page.get_by_label("Event the forms came from").select_option(label=title)
    page.get_by_label("Key every how many forms twice?").fill("0")
    journey.step(page, "start a batch")
    page.get_by_role("button", name="Start keying").click()

    for n, rating in enumerate(("Good", "Neither good nor poor", "Poor"), start=1):
        page.wait_for_url("**/paper/entry")
        page.wait_for_load_state()
        assert page.evaluate("document.activeElement.name") == "event_type"  # ready to key
        page.keyboard.press("Space")  # the first option, straight from the keyboard
        page.get_by_label(rating, exact=True).check()
        page.get_by_label("Any other comments?").fill(f"Form {n}")
        if n == 1:
            journey.step(page, "first form")
        page.get_by_role("button", name="Save and enter next").click()
        page.get_by_text(f"Form {n} of this batch saved.").wait_for()
    assert page.locator("#batch-count").inner_text() == "Forms keyed in this batch: 3"
    journey.step(page, "after three forms")
    with database.read() as session:
        count = session.scalar(
            select(func.count()).where(Response.activity_id == activity_id, Response.mode == "paper")
        )
        events = session.scalars(
            select(Answer.value)
            .join(Question, Question.id == Answer.question_id)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.activity_id == activity_id, Question.name == "event_type")
        ).all()
    assert count == 3
    assert events == ["launch"] * 3  # the first option, chosen with the space bar
    journey.assert_clean()
    journey.assert_no_console_errors()
