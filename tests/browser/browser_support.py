"""Answering instrument pages in the browser: by accessible name, or by keyboard alone.

Answers are written as ``{question name: choice name | [choice names] | text}``, the way the
instrument YAML names them. :func:`answer_by_label` turns each into the question's label and
the choice's label from the instrument itself and finds the control by its accessible name
(``get_by_role(..., name=...)``), so a journey that passes proves every field is labelled.
:func:`answer_by_keyboard` presses Tab through the page and operates each control with Space,
the arrow keys and typing, and returns what it reached, so a test can say every field was.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from feedback.domain.instrument import Instrument
from feedback.domain.loader import load_file

FORMS = Path(__file__).resolve().parents[2] / "forms"
Answers = dict[str, Any]


@cache
def instrument(slug: str) -> Instrument:
    return load_file(FORMS / f"{slug}.yaml").instrument


def _choice_label(model: Instrument, name: str, value: str) -> str:
    question = model.question(name)
    return next(c.label_in(None) for c in model.choices_for(question) if c.name == value)


def answer_by_label(page: Any, slug: str, answers: Answers) -> None:
    """Fill a page through the labels a screen reader would announce."""
    model = instrument(slug)
    for name, value in answers.items():
        question = model.question(name)
        label = question.text_in("label", None)
        if question.type == "select_one":
            group = page.get_by_role("group", name=label, exact=True)
            group.get_by_role("radio", name=_choice_label(model, name, value), exact=True).check()
        elif question.type == "select_multiple":
            group = page.get_by_role("group", name=label, exact=True)
            for code in value:
                group.get_by_role("checkbox", name=_choice_label(model, name, code), exact=True).check()
        elif question.type == "date":
            group = page.get_by_role("group", name=label, exact=True)
            year, month, day = value.split("-")
            for part, text in (("Day", day), ("Month", month), ("Year", year)):
                group.get_by_role("textbox", name=part, exact=True).fill(str(int(text)))
        else:
            page.get_by_role("textbox", name=label, exact=True).fill(value)


FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  return {id: e.id || "", name: e.getAttribute("name") || "", type: (e.type || "").toLowerCase(),
          tag: e.tagName.toLowerCase(), value: e.value || "", checked: !!e.checked};
}"""

FIELDS = """() => [...document.querySelectorAll("#page-form input, #page-form textarea, #page-form select")]
  .filter(e => e.type !== "hidden" && e.checkVisibility())
  .map(e => e.name)"""

RADIO_VALUES = """(name) => [...document.getElementsByName(name)].map(e => e.value)"""


def tab_to(page: Any, element_id: str, limit: int = 120) -> list[dict[str, Any]]:
    """Press Tab until the element with ``element_id`` has focus; return every stop on the way."""
    page.wait_for_load_state()  # every field parsed and the page's scripts run before the first Tab
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        stops.append(focused)
        if focused["id"] == element_id:
            return stops
    raise AssertionError(f"#{element_id} never got focus after {limit} presses of Tab; stops: {stops[-10:]}")


def answer_by_keyboard(page: Any, answers: Answers, submit_id: str = "continue") -> set[str]:
    """Tab through the form operating each control from the keyboard, until ``submit_id`` has
    focus. Radios: Space picks the focused one, arrow keys move and pick. Checkboxes: Space.
    Text: typed (after Ctrl+A, so a restored answer is replaced). Returns the fields reached."""
    page.wait_for_load_state()
    reached: set[str] = set()
    done: set[tuple[str, str]] = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        if focused["id"] == submit_id:
            break
        name = focused["name"]
        if not name:
            continue
        reached.add(name)
        wanted = answers.get(name)
        if wanted is None:
            continue
        if focused["type"] == "radio" and (name, "") not in done:
            values = page.evaluate(RADIO_VALUES, name)
            steps = values.index(wanted) - values.index(focused["value"])
            if steps == 0:
                page.keyboard.press("Space")
            for _step in range(abs(steps)):
                page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
            done.add((name, ""))
        elif (
            focused["type"] == "checkbox"
            and focused["value"] in wanted
            and (name, focused["value"]) not in done
        ):
            if not focused["checked"]:
                page.keyboard.press("Space")
            done.add((name, focused["value"]))
        elif focused["tag"] == "textarea" or focused["type"] == "text":
            if (name, "") in done:
                continue
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.type(wanted)
            done.add((name, ""))
    else:
        raise AssertionError(f"#{submit_id} never got focus; reached {sorted(reached)}")
    return reached


def visible_fields(page: Any) -> set[str]:
    """Names of the fields a sighted respondent sees in the page's form."""
    return set(page.evaluate(FIELDS))


def checked_values(page: Any, name: str) -> list[str]:
    return page.eval_on_selector_all(
        f'input[name="{name}"]:checked', "elements => elements.map(e => e.value)"
    )
