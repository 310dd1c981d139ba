"""Pressing "Save and mark complete" straight after an edit, in Chromium (issue 13, defect 5).

Clicking the button takes the focus out of the box just edited, so the page script's autosave
and the form's own submit leave at the same moment. Whichever the server sees first, the
interview must end complete with the edit stored: never "Interview saved." over a partial
response, never "Someone else has saved this interview" naming the interviewer himself.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from test_staff_interview_browser import _assigned_case, _sign_in, _user

from feedback.db import Answer, Case, Contact, Question, Response
from feedback.db.app import EXTENSION

ROUNDS = 20


def _outcome(live_server: Any, name: str) -> tuple[list[str], list[str]]:
    """The statuses of the case's live responses and its stored notes on services."""
    with live_server.app.extensions[EXTENSION].read() as session:
        case_id = session.scalar(
            select(Case.id).join(Contact, Contact.id == Case.contact_id).where(Contact.name == name)
        )
        statuses = session.scalars(
            select(Response.status).where(Response.case_id == case_id, Response.deleted_at.is_(None))
        ).all()
        notes = session.scalars(
            select(Answer.value)
            .join(Question, Question.id == Answer.question_id)
            .join(Response, Response.id == Answer.response_id)
            .where(Response.case_id == case_id, Question.name == "notes_services")
        ).all()
    return list(statuses), list(notes)


def test_an_edit_then_save_and_mark_complete_at_once_ends_complete(
    context: Any, live_server: Any, journey: Any
) -> None:
    email = _user(live_server, "move", "interviewer")
    page = journey.watch(context.new_page())
    _sign_in(page, email)
    for n in range(ROUNDS):
        name = _assigned_case(live_server, email)
        page.goto("/staff/projects/move/interviews")
        page.get_by_role("link", name=f"Interview {name}").click()
        page.get_by_text("Prompt: how MOVE found out what your organisation needed").wait_for()
        page.get_by_label("Nacro staff").check()
        notes = page.get_by_label("Notes on type and quality of services")
        if n % 2:  # half the rounds edit a box the autosave has already saved once
            notes.fill("First thoughts")
            with page.expect_response(lambda r: r.url.endswith("/autosave") and r.ok):
                notes.press("Tab")
        text = f"Round {n}: the toolkit {secrets.token_hex(4)} was the most useful part."
        notes.fill(text)  # the focus is still in the box: the click below takes it out
        page.get_by_role("button", name="Save and mark complete").click()
        page.get_by_text("Interview saved and marked complete.").wait_for()
        assert page.get_by_text("Someone else has saved this interview").count() == 0
        assert _outcome(live_server, name) == (["complete"], [text]), f"round {n}"
        assert page.get_by_label("Notes on type and quality of services").input_value() == text
    journey.step(page, "the last round, complete")
    journey.assert_no_console_errors()
