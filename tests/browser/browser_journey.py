"""Recording a browser journey: a screenshot, axe-core and a reflow check at every step.

Used through the ``journey`` fixture in conftest.py. axe-core is evaluated through DevTools,
so the app's Content-Security-Policy stays fully in force (nothing is bypassed) and a refusal
by it still shows up as a console error, which :meth:`Journey.assert_no_console_errors` reports.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
#: axe-core impacts that fail a test; "moderate" and "minor" findings are printed, not failed.
BLOCKING = ("serious", "critical")

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
  }));
}"""


@dataclass
class Journey:
    """Screenshots, axe-core and layout checks for each step of one test's journey.

    ``step(name)`` saves ``<nn>-<name>.png`` and runs axe-core on the page as it is. Findings at
    the serious or critical level are collected and :meth:`assert_clean` fails the test with
    every one of them (rule, help, elements), so one broken page does not hide the others.
    """

    name: str
    axe_source: str
    base_url: str  # the live server's; the mirror page is opened there
    mirror: Any = None  # a JavaScript-enabled page where pages seen with JavaScript off are checked
    max_width: int | None = None
    axe: bool = True  # False: the journey repeats pages other journeys check (see test_crisp_journeys)
    count: int = 0
    blocking: list[str] = field(default_factory=list)
    advisory: list[str] = field(default_factory=list)
    overflow: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: {"screenshot": 0.0, "axe": 0.0})

    @property
    def folder(self) -> Path:
        return SCREENSHOTS / self.name

    def watch(self, page: Any) -> Any:
        """Record console errors (CSP refusals appear there) of ``page``; returns it."""

        def seen(message: Any) -> None:
            where = (message.location or {}).get("url", "")
            # The browser's own favicon request, and a page's status (a 404 page is meant to be one).
            expected = where.endswith("/favicon.ico") or (
                where == page.url and message.text.startswith("Failed to load resource")
            )
            if message.type == "error" and not expected:
                self.console.append(f"{page.url}: {message.text}")

        page.on("console", seen)
        return page

    def step(self, page: Any, name: str, *, axe: bool = True) -> None:
        self.count += 1
        label = f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"
        self.folder.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        page.screenshot(path=str(self.folder / f"{label}.png"), full_page=True)
        self.seconds["screenshot"] += time.perf_counter() - began
        if self.max_width is not None:
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > self.max_width:
                wide = page.evaluate(WIDEST, self.max_width)
                self.overflow.append(
                    f"{label} ({page.url}): scrollWidth {width}px > {self.max_width}px; {wide}"
                )
        if axe and self.axe:
            began = time.perf_counter()
            self._axe(page, label)
            self.seconds["axe"] += time.perf_counter() - began

    def _axe(self, page: Any, label: str) -> None:
        target = page
        if self.mirror is not None:
            # axe-core needs the page's JavaScript; re-create the page as the server sent it in
            # a JavaScript-enabled tab on the same origin (its scripts stay blocked by CSP: their
            # nonces belong to another response, exactly as if JavaScript were off).
            target = self.mirror
            if not target.url.startswith(self.base_url):
                target.goto(self.base_url + "/healthz")
            target.set_content(SCRIPT.sub("", page.content()))
        if not target.evaluate("typeof axe !== 'undefined'"):
            target.evaluate(self.axe_source)  # through DevTools: the app's CSP does not apply
        for violation in target.evaluate(AXE_RUN):
            line = (
                f"{label} [{violation['impact']}] {violation['id']}: {violation['help']} "
                f"on {violation['nodes']} ({violation['url']})"
            )
            (self.blocking if violation["impact"] in BLOCKING else self.advisory).append(line)

    def assert_clean(self) -> None:
        """Fail with every serious or critical axe-core violation and every overflowing page."""
        spent = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        print(f"{self.name}: {self.count} steps; {spent}")
        if self.advisory:
            print("axe-core, moderate or minor (not failing):\n  " + "\n  ".join(self.advisory))
        problems = self.blocking + self.overflow
        assert not problems, "\n".join(problems)

    def assert_no_console_errors(self) -> None:
        assert not self.console, "\n".join(self.console)


SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
WIDEST = """(limit) => {
  const classes = e => typeof e.className === "string" ? e.className.trim().split(/\\s+/) : [];
  const describe = e => [e.tagName.toLowerCase() + (e.id ? "#" + e.id : ""), ...classes(e)]
    .filter(Boolean).join(".");
  const wide = [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > limit + 0.5);
  return wide.slice(-3).map(describe).join(", ");
}"""
