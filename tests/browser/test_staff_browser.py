"""The staff face in Chromium: an evaluator signs in, reads the dashboard and a project, signs out.

Checks what only a browser shows: the CSP lets GOV.UK Frontend's scripts run (their nonce
matches) and refuses nothing (a refusal is a console error), pages pass axe-core, and signing
out is a real POST form with its CSRF token.
"""

from __future__ import annotations

import secrets
from typing import Any

from feedback.db.app import EXTENSION
from feedback.services import accounts

PASSWORD = "correct horse battery staple"


def _evaluator(live_server: Any, project: str) -> str:
    email = f"eve-{secrets.token_hex(4)}@example.org"
    with live_server.app.extensions[EXTENSION].write() as session:
        user = accounts.create_user(session, email, "Eve Evaluator", password=PASSWORD)
        accounts.grant_role(session, user, project, "evaluator")
    return email


def test_evaluator_signs_in_reads_a_project_and_signs_out(
    context: Any, live_server: Any, journey: Any
) -> None:
    email = _evaluator(live_server, "crisp")
    page = journey.watch(context.new_page())
    page.goto("/staff/")
    assert page.url.endswith("/staff/login?next=%2Fstaff%2F")
    journey.step(page, "sign in page")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Sign in").click()
    refused = page.get_by_text("Enter a correct e-mail address and password").first
    refused.wait_for()  # the POST's answer, not the page it replaces (is_visible() does not wait)
    assert refused.is_visible()
    journey.step(page, "wrong password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")
    assert "govuk-frontend-supported" in (page.evaluate("document.body.className") or "")
    assert page.get_by_role("heading", name="Your projects").is_visible()
    assert page.get_by_role("link", name="Crisp").is_visible()
    assert page.get_by_role("link", name="Move").count() == 0  # not her project
    journey.step(page, "dashboard")

    page.get_by_role("link", name="Crisp").click()
    assert page.get_by_role("heading", name="Instruments").is_visible()
    journey.step(page, "project")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/login")
    assert page.get_by_text("You have signed out.").is_visible()
    page.goto("/staff/projects/crisp")
    assert "/staff/login" in page.url
    journey.assert_clean()
    journey.assert_no_console_errors()
