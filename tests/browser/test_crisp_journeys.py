"""The CRISP participant survey in Chromium: keyboard only, without JavaScript, on a 320-pixel
screen, with an error to correct, and saved half-way then resumed from its link in a new browser.

Every page of every journey is screenshotted and checked with axe-core (see ``Journey`` in
conftest.py). The answers take the branches the survey's skip rules offer: "Other" organisation
type (a question appears on the same page), two activities (page 3 asks only about those, and
the action learning page appears), a service "being developed" and "yes, under conditions".
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import (  # noqa: E402 - after the skip, so a missing Playwright skips instead of failing
    answer_by_keyboard,
    answer_by_label,
    checked_values,
    tab_to,
    visible_fields,
)
from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

SLUG = "crisp-web-survey"
#: (page heading, answers) in the order the respondent meets them with the answers below.
PAGES: list[tuple[str, dict[str, Any]]] = [
    (
        "About you and your organisation",
        {
            "org_type": "other",
            "org_type_other": "Housing association",
            "primary_work": "offenders",
            "location": "north_east",
        },
    ),
    (
        "Your involvement in CRISP",
        {
            "activities": ["rise", "action_learning"],
            "expectations": ["new_contacts"],
            "expectations_met": "partly",
            "expectations_detail": "Contacts with prison staff.",
        },
    ),
    (
        "How useful were CRISP's activities?",
        {"useful_rise": "very_useful", "useful_action_learning": "neither"},
    ),
    (
        "What CRISP achieved for you",
        {
            "ach_information": "very_successful",
            "new_services": "developing",
            "new_services_when": "within_12_months",
            "can_do_now": "Work with the local prison.",
        },
    ),
    ("Your views of statutory services and voluntary organisations", {"confidence_vco": "more"}),
    ("Action learning sets", {"al_stereotypes": "helpful"}),
    (
        "How CRISP was run and its future",
        {"replicate": "yes_conditions", "replicate_conditions": "Commitment from managers."},
    ),
]
#: Questions each page shows only because of an answer given on that same page.
REVEALED = {0: "org_type_other", 3: "new_services_when", 6: "replicate_conditions"}
#: Typed answers the check page must show.
TYPED = ["Housing association", "Contacts with prison staff.", "Commitment from managers."]


def heading(page: Any) -> Any:
    return page.get_by_role("heading", level=1)


def open_start(page: Any, journey: Any) -> None:
    page.goto(f"/f/{SLUG}")
    expect(heading(page)).to_have_text("CRISP participant survey")
    expect(page.locator("#sections")).to_contain_text("up to 7 sections")
    journey.step(page, "start")


def check_and_send(page: Any, journey: Any, *, keyboard: bool = False) -> None:
    expect(heading(page)).to_have_text("Check your answers")
    for text in TYPED:
        expect(page.locator("main")).to_contain_text(text)
    expect(page.locator("main")).to_contain_text("Regional Information and Skills Events (RISE)")
    journey.step(page, "check-your-answers")
    if keyboard:
        tab_to(page, "submit")
        page.keyboard.press("Enter")
    else:
        page.get_by_role("button", name="Send answers").click()
    expect(page.locator("#confirmation")).to_contain_text("Thank you")
    journey.step(page, "confirmation")


def crisp_by_label(page: Any, journey: Any, *, javascript: bool = True) -> None:
    """The whole survey through accessible names; without JavaScript the same-page conditional
    questions are on screen from the start (and the server drops answers their rules refuse)."""
    open_start(page, journey)
    page.get_by_role("button", name="Start now").click()
    for number, (title, answers) in enumerate(PAGES):
        expect(heading(page)).to_have_text(title)
        revealed = REVEALED.get(number)
        if revealed:
            target = page.locator(f"#question-{revealed}")
            if javascript:
                expect(target).to_be_hidden()
            else:
                expect(target).to_be_visible()
        answer_by_label(page, SLUG, answers)
        if revealed:
            expect(page.locator(f"#question-{revealed}")).to_be_visible()
        if number == 0 and not javascript:
            # Shown without JavaScript, though its rule asks for "Other" main work: not stored.
            page.get_by_role("textbox", name="What other work does your organisation mainly do?").fill(
                "Dropped answer"
            )
        journey.step(page, f"page-{number + 1}")
        page.get_by_role("button", name="Continue").click()
    if not javascript:
        expect(page.locator("main")).not_to_contain_text("Dropped answer")
        # A Change link goes to the question and, once answered, straight back here.
        page.get_by_role("link", name="Change Where does your organisation mainly work?").click()
        expect(heading(page)).to_have_text(PAGES[0][0])
        answer_by_label(page, SLUG, {"location": "east_midlands"})
        journey.step(page, "changed-answer")
        page.get_by_role("button", name="Continue").click()
        expect(heading(page)).to_have_text("Check your answers")
        expect(page.locator("main")).to_contain_text("East Midlands")
    check_and_send(page, journey)


def test_crisp_by_keyboard_alone_with_skip_logic(context: Any, journey: Any) -> None:
    """Every field on every page is reached with Tab and answered with Space, arrows and typing;
    each page is sent with Enter. Skip rules show questions as the answers call for them."""
    page = journey.watch(context.new_page())
    open_start(page, journey)
    tab_to(page, "start")
    page.keyboard.press("Enter")
    expect(page.locator("#progress")).to_have_text("Section 1 of 5")
    for number, (title, answers) in enumerate(PAGES):
        expect(heading(page)).to_have_text(title)
        if number == 2:
            # Only the activities ticked on page 2 are asked about; the action learning page now counts.
            expect(page.locator("#progress")).to_have_text("Section 3 of 7")
            expect(page.locator("#question-useful_light_lunch")).to_have_count(0)
        revealed = REVEALED.get(number)
        if revealed:
            expect(page.locator(f"#question-{revealed}")).to_be_hidden()
        reached = answer_by_keyboard(page, answers)
        missed = visible_fields(page) - reached
        assert not missed, f"page {number + 1}: Tab never reached {sorted(missed)}"
        for name, wanted in answers.items():
            if isinstance(wanted, list):
                assert checked_values(page, name) == wanted, name
            elif page.locator(f'input[type="radio"][name="{name}"]').count():
                assert checked_values(page, name) == [wanted], name
            else:
                expect(page.locator(f'[name="{name}"]')).to_have_value(wanted)
        journey.step(page, f"page-{number + 1}")
        page.keyboard.press("Enter")  # focus is on Continue
    check_and_send(page, journey, keyboard=True)
    journey.assert_clean()
    journey.assert_no_console_errors()


def test_crisp_with_javascript_disabled(js_disabled: Any, context: Any, journey: Any) -> None:
    journey.mirror = context.new_page()
    page = js_disabled.new_page()
    page.goto(f"/f/{SLUG}")
    assert "govuk-frontend-supported" not in page.evaluate("document.body.className")  # no script ran
    crisp_by_label(page, journey, javascript=False)
    journey.assert_clean()


def test_crisp_on_a_320_pixel_screen(narrow: Any, journey: Any) -> None:
    """No page scrolls sideways at 320 CSS pixels (checked on every step by the journey). The
    same pages pass axe-core at desktop width in the other journeys, so it is not run again."""
    journey.max_width = 320
    journey.axe = False
    page = journey.watch(narrow.new_page())
    crisp_by_label(page, journey)
    journey.assert_clean()


def test_missing_answer_is_shown_linked_and_corrected(context: Any, journey: Any) -> None:
    page = journey.watch(context.new_page())
    page.goto(f"/f/{SLUG}")
    page.get_by_role("button", name="Start now").click()
    answer_by_label(page, SLUG, {"location": "north_east"})
    page.get_by_role("button", name="Continue").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK moves focus to the summary so it is read out first
    expect(page).to_have_title("Error: About you and your organisation – feedback")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(page.locator("#org_type-error")).to_contain_text("Select an answer")
    assert checked_values(page, "location") == ["north_east"], "the answer given was lost"
    journey.step(page, "error")

    summary.get_by_role("link", name="Which type of organisation do you work for?").click()
    expect(page.locator("#org_type")).to_be_focused()
    journey.step(page, "error-link-followed")

    answer_by_label(page, SLUG, {"org_type": "vco", "primary_work": "offenders"})
    page.get_by_role("button", name="Continue").click()
    expect(heading(page)).to_have_text("Your involvement in CRISP")
    expect(page.locator("#error-summary")).to_have_count(0)
    journey.step(page, "corrected")
    journey.assert_clean()
    journey.assert_no_console_errors()


def test_save_close_and_resume_from_the_link(
    browser: Any, context: Any, journey: Any, live_server: Any
) -> None:
    page = journey.watch(context.new_page())
    page.goto(f"/f/{SLUG}")
    page.get_by_role("button", name="Start now").click()
    first, second = PAGES[0][1], PAGES[1][1]
    answer_by_label(page, SLUG, first)
    page.get_by_role("button", name="Continue").click()
    answer_by_label(page, SLUG, second)
    journey.step(page, "before-saving", axe=False)  # page 2: checked elsewhere
    page.get_by_role("button", name="Save and come back later").click()

    expect(heading(page)).to_have_text("Your answers have been saved")
    link = page.locator("#resume-link")
    resume = link.get_attribute("href")
    assert resume and resume.startswith(live_server.url + f"/f/{SLUG}/r/"), resume
    expect(link).to_have_text(resume)  # shown on screen, to copy or write down
    journey.step(page, "saved")
    context.close()

    later = browser.new_context()  # a fresh browser profile: no cookies, no history
    try:
        page = journey.watch(later.new_page())
        page.goto(resume)
        # Pages 1 and 2 are done, so the link carries on at page 3, about the activities ticked.
        expect(heading(page)).to_have_text(PAGES[2][0])
        journey.step(page, "resumed", axe=False)
        page.get_by_role("link", name="Back", exact=True).click()
        expect(heading(page)).to_have_text(PAGES[1][0])
        assert checked_values(page, "activities") == second["activities"]
        assert checked_values(page, "expectations_met") == [second["expectations_met"]]
        expect(
            page.get_by_role(
                "textbox", name="Tell us more about what you expected from CRISP and whether it happened"
            )
        ).to_have_value(second["expectations_detail"])
        journey.step(page, "restored-page-2", axe=False)
        page.get_by_role("button", name="Continue").click()
        for title, answers in PAGES[2:]:
            expect(heading(page)).to_have_text(title)
            answer_by_label(page, SLUG, answers)
            page.get_by_role("button", name="Continue").click()
        check_and_send(page, journey)
        page.goto(resume)  # the link of a sent response shows the confirmation, not the form again
        expect(page.locator("#confirmation")).to_contain_text("Thank you")
    finally:
        later.close()
    journey.assert_clean()
    journey.assert_no_console_errors()
