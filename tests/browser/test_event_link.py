"""An event's short feedback link (``/e/<code>``), as an attendee opens it from a QR code."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import answer_by_label  # noqa: E402 - after the skip, so a missing Playwright skips
from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from feedback.db import Activity, Response  # noqa: E402
from feedback.db.app import EXTENSION  # noqa: E402

pytestmark = pytest.mark.browser

SLUG = "pirr-event-feedback"
PAGES: list[tuple[str, dict[str, Any]]] = [
    ("The event", {"event_type": "launch", "event_date": "2006-11-14", "overall_rating": "good"}),
    ("What you thought", {"most_useful": "Meeting other providers.", "will_use": "yes"}),
    ("About your organisation", {"cbg_interest": "yes", "cbg_contact": "Call the office."}),
]


def test_event_form_from_its_short_link_names_the_event(context: Any, journey: Any, live_server: Any) -> None:
    code, event = live_server.event_code()
    page = journey.watch(context.new_page())
    page.goto(f"/e/{code}")
    expect(page.get_by_role("heading", level=1)).to_have_text("PiRR event feedback")
    expect(page.locator("#event-name")).to_contain_text(event)
    journey.step(page, "start")
    page.get_by_role("button", name="Start now").click()
    for number, (title, answers) in enumerate(PAGES):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.locator("#event-name")).to_contain_text(event)
        answer_by_label(page, SLUG, answers)
        journey.step(page, f"page-{number + 1}")
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.locator("#event-name")).to_contain_text(event)
    expect(page.locator("main")).to_contain_text("14 November 2006")
    journey.step(page, "check-your-answers")
    page.get_by_role("button", name="Send answers").click()
    expect(page.locator("#confirmation")).to_contain_text("Thank you")
    journey.step(page, "confirmation")

    token = page.url.split("/r/")[1].split("/")[0]
    with live_server.app.extensions[EXTENSION].read() as session:
        row = session.execute(
            select(Response.status, Activity.short_code)
            .join(Activity, Activity.id == Response.activity_id)
            .where(Response.resume_token == token)
        ).one()
    assert tuple(row) == ("complete", code), "the response is not tagged with the event it came from"
    journey.assert_clean()
    journey.assert_no_console_errors()


def test_journey_checks_catch_violations_and_overflow(narrow: Any, journey: Any) -> None:
    """The checks every journey runs can fail: on a page of this site (so the same CSP applies),
    an image without alternative text, an unlabelled field and a 400-pixel-wide image on a
    320-pixel screen are all reported."""
    journey.max_width = 320
    page = narrow.new_page()
    page.goto("/healthz")
    page.set_content(
        '<html lang="en"><body><main><h1>Broken</h1><img src="/x.png" width="400" height="10"><input></main>'
        "</body></html>"
    )
    journey.step(page, "broken")
    with pytest.raises(AssertionError) as failure:
        journey.assert_clean()
    report = str(failure.value)
    assert "[critical] image-alt" in report
    assert "label" in report
    assert "> 320px" in report  # the page is as wide as the image, or wider
