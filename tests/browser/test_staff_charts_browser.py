"""Staff charts in Chromium, on a phone (320 px) and a desktop: no label is ever clipped.

The issue: "ry or community organisation (VC…" — an SVG label running off the chart's left edge.
Labels are now text that wraps; this checks what only a browser can: every label and figure lies
inside its chart, nothing overflows its box, and the rows keep the table's order.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from feedback.db.app import EXTENSION
from feedback.services import accounts

PASSWORD = "correct horse battery staple"
PAGES = (
    ("/staff/projects/crisp/summaries?instrument=crisp-web-survey", "summaries"),
    ("/staff/projects/crisp/rates", "rates"),
)
# Every chart's labels and figures: their boxes against the figure's, and whether they overflow.
MEASURE = """() => [...document.querySelectorAll('figure.app-chart')].map(figure => {
  const box = figure.getBoundingClientRect();
  const cells = [...figure.querySelectorAll('.app-chart__label, .app-chart__value')];
  return {
    id: figure.id,
    labels: [...figure.querySelectorAll('.app-chart__label')].map(e => e.textContent.trim()),
    outside: cells.filter(e => {
      const r = e.getBoundingClientRect();
      return r.left < box.left - 1 || r.right > box.right + 1 || e.scrollWidth > e.clientWidth + 1;
    }).map(e => e.textContent.trim()),
  };
})"""


def _sign_in(page: Any, live_server: Any) -> None:
    email = f"eve-{secrets.token_hex(4)}@example.org"
    with live_server.app.extensions[EXTENSION].write() as session:
        user = accounts.create_user(session, email, "Eve Evaluator", password=PASSWORD)
        accounts.grant_role(session, user, "crisp", "evaluator")
    page.goto("/staff/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")


@pytest.mark.parametrize("width", ["narrow", "context"])
def test_chart_labels_are_whole_and_inside_their_chart(
    width: str, request: pytest.FixtureRequest, live_server: Any, journey: Any
) -> None:
    page = journey.watch(request.getfixturevalue(width).new_page())
    _sign_in(page, live_server)
    for url, name in PAGES:
        page.goto(url)
        charts = page.evaluate(MEASURE)
        assert charts, f"{url}: no chart"
        for chart in charts:
            assert chart["labels"] and all(chart["labels"]), chart
            assert not chart["outside"], f"{url} {chart['id']}: clipped or overflowing {chart['outside']}"
        journey.step(page, f"{name} charts")
    # the long label of the issue is shown whole, in the table's order
    page.goto(PAGES[0][0])
    figure = page.locator("figure.app-chart", has_text="Voluntary or community organisation").first
    labels = figure.locator(".app-chart__label").all_inner_texts()
    assert any(label.startswith("Voluntary or community organisation (VCO)") for label in labels)
    table_rows = figure.locator("xpath=preceding-sibling::table[1]//tbody[1]/tr/th").all_inner_texts()
    assert [label.split(" not in the current form")[0] for label in table_rows] == labels
    journey.assert_clean()
    journey.assert_no_console_errors()
