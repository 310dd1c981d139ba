"""The respondent pages outside a journey pass axe-core too: the list of open forms, the paper
versions (with their QR code), a link that leads nowhere, and an invitation already answered."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import expect  # noqa: E402 - after the skip, so a missing Playwright skips
from sqlalchemy import select  # noqa: E402

from feedback.db import Case, Instrument, Response  # noqa: E402
from feedback.db.app import EXTENSION  # noqa: E402

pytestmark = pytest.mark.browser


def _answered_invitation(live_server: Any) -> str | None:
    """The token of an invitation to the CRISP survey whose response was sent (demo data)."""
    with live_server.app.extensions[EXTENSION].read() as session:
        return session.scalar(
            select(Case.token)
            .join(Response, Response.case_id == Case.id)
            .join(Instrument, Instrument.id == Case.instrument_id)
            .where(Instrument.slug == "crisp-web-survey", Response.status == "complete")
            .limit(1)
        )


def test_other_respondent_pages_are_accessible(context: Any, journey: Any, live_server: Any) -> None:
    page = journey.watch(context.new_page())
    page.goto("/")
    expect(page.get_by_role("link", name="CRISP participant survey")).to_be_visible()
    journey.step(page, "open forms")

    page.goto("/f/crisp-web-survey/print")
    expect(page.get_by_role("heading", level=1)).to_have_text("CRISP participant survey")
    assert page.locator("#qr-code").evaluate("img => img.complete && img.naturalWidth > 0"), (
        "QR code not drawn"
    )
    journey.step(page, "paper version")

    code, event = live_server.event_code()
    page.goto(f"/e/{code}/print")
    expect(page.locator("#event-name")).to_contain_text(event)
    expect(page.locator("#online-link")).to_have_text(f"{live_server.url}/e/{code}")
    journey.step(page, "event paper version")

    response = page.goto("/f/no-such-form")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    journey.step(page, "not found")

    token = _answered_invitation(live_server)
    if token is not None:  # the demo's invitations; without the demo there are none
        page.goto(f"/f/crisp-web-survey?t={token}")
        expect(page.get_by_role("heading", level=1)).to_have_text("You have already completed this form")
        journey.step(page, "invitation already answered")
    journey.assert_clean()
    journey.assert_no_console_errors()
