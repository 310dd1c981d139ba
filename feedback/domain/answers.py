"""Checking answers against an instrument: types, choices, constraints, required, skip rules.

One function, :func:`check_answers`, serves every way answers arrive (web pages, paper entry,
interviews, imports, the demo), so a value refused on the web is refused everywhere. Rules are
evaluated in definition order with :mod:`.expressions`; answers to questions that the rules do
not show are dropped, never stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from .expressions import ExpressionError, evaluate, is_true, to_string
from .instrument import Choice, Instrument, Page, Question

AnswerValue = str | int | float | date | tuple[str, ...]

MAX_TEXT = 32_767  # Excel's cell limit: longer answers could not be exported whole
MAX_LINE = 1_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class AnswerError(ValueError):
    """A value that cannot be an answer to its question; the message is shown to the respondent."""


@dataclass
class CheckedAnswers:
    values: dict[str, AnswerValue] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)

    @property
    def answered(self) -> int:
        return len(self.values)

    @property
    def ok(self) -> bool:
        return not self.errors


def _empty(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip() == ""
    if isinstance(raw, list | tuple | set | frozenset):
        return all(_empty(item) for item in raw)
    return False


def expression_value(value: object) -> object:
    """How an answer (or a raw value in a rule's scope) looks to a rule: dates as ISO text, the
    rest as they are."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def allowed_choices(
    instrument: Instrument, question: Question, values: Mapping[str, object]
) -> tuple[Choice, ...]:
    """The options a respondent may pick, after the question's ``choice_filter``."""
    choices = instrument.choices_for(question)
    if not question.choice_filter:
        return choices
    scope = {k: expression_value(v) for k, v in values.items()}
    kept = []
    for choice in choices:
        try:
            if is_true(question.choice_filter, scope, choice=choice.columns):
                kept.append(choice)
        except ExpressionError:
            continue
    return tuple(kept)


def parse_value(question: Question, raw: object, choices: Iterable[Choice] = ()) -> AnswerValue:
    """Turn what was typed or ticked into a typed answer, or raise :class:`AnswerError`."""
    qtype = question.type
    if qtype == "select_one":
        code = str(raw).strip()
        if code not in {c.name for c in choices}:
            raise AnswerError("Select one of the options shown")
        return code
    if qtype == "select_multiple":
        items = raw if isinstance(raw, list | tuple | set | frozenset) else str(raw).split()
        codes = {str(item).strip() for item in items if str(item).strip()}
        order = [c.name for c in choices]
        unknown = codes - set(order)
        if unknown:
            raise AnswerError("Select only from the options shown")
        return tuple(name for name in order if name in codes)
    if qtype == "integer":
        text = str(raw).strip().replace(",", "")
        if not re.fullmatch(r"[+-]?\d{1,15}", text):
            raise AnswerError("Enter a whole number, like 12")
        return int(text)
    if qtype == "decimal":
        text = str(raw).strip().replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AnswerError("Enter a number, like 12 or 12.5") from None
        if not number.is_finite() or abs(number) > Decimal(10) ** 15:
            raise AnswerError("Enter a number, like 12 or 12.5")
        return float(number)
    if qtype == "date":
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            raise AnswerError("Enter a real date") from None
    if qtype in ("text", "calculate"):
        text = _CONTROL.sub("", str(raw)).replace("\r\n", "\n").strip()
        if len(text) > MAX_TEXT:
            raise AnswerError(f"Answer must be {MAX_TEXT:,} characters or fewer")
        if qtype == "text" and not question.multiline and len(text) > MAX_LINE:
            raise AnswerError(f"Answer must be {MAX_LINE:,} characters or fewer")
        return text
    raise AnswerError(f"'{qtype}' questions do not take answers")


def _required_message(question: Question) -> str:
    if question.required_message:
        return question.required_message
    return {
        "select_one": "Select an answer",
        "select_multiple": "Select at least one answer",
        "integer": "Enter a whole number",
        "decimal": "Enter a number",
        "date": "Enter a date",
    }.get(question.type, "Enter an answer")


def _group_shown(groups_relevant: Iterable[str], scope: Mapping[str, object]) -> bool:
    return all(is_true(rule, scope) for rule in groups_relevant if rule)


def check_answers(
    instrument: Instrument,
    raw: Mapping[str, object],
    *,
    only: Iterable[str] | None = None,
    enforce_required: bool = True,
) -> CheckedAnswers:
    """Check ``raw`` (question name -> typed or text value) against the whole instrument.

    ``only`` limits errors to the questions of one page (answers from other pages still feed the
    rules); ``enforce_required=False`` is for saving a page to come back to later. Unknown names
    in ``raw`` are ignored here; the web layer refuses them before calling this.
    """
    result = CheckedAnswers()
    limit = set(only) if only is not None else None
    groups = instrument.enclosing_groups()
    scope: dict[str, object] = {}
    for question in instrument.questions():
        name = question.name
        unconditional = not question.relevant and not groups.get(name)
        if question.type in ("start", "end", "today", "note") and unconditional:
            result.shown.add(name)
            continue
        try:
            shown = _group_shown((g.relevant for g in groups.get(name, ())), scope) and (
                not question.relevant or is_true(question.relevant, scope)
            )
        except ExpressionError:
            shown = True  # rules were parsed at load time; an evaluation error should not hide a question
        if not shown:
            continue
        result.shown.add(name)
        if question.type == "calculate":
            try:
                computed = to_string(evaluate(question.calculation, scope))
            except ExpressionError:
                computed = ""
            if computed not in ("", "NaN"):
                result.values[name] = computed
                scope[name] = computed
            continue
        if not question.is_input:
            continue
        checking = limit is None or name in limit
        given = raw.get(name)
        if _empty(given):
            if checking and enforce_required and question.required:
                result.errors[name] = _required_message(question)
            continue
        choices = allowed_choices(instrument, question, scope) if question.is_select else ()
        try:
            value = parse_value(question, given, choices)
        except AnswerError as exc:
            if checking:
                result.errors[name] = str(exc)
            continue
        if question.constraint:
            try:
                ok = is_true(question.constraint, scope, current=expression_value(value))
            except ExpressionError:
                ok = True
            if not ok:
                if checking:
                    result.errors[name] = (
                        question.constraint_message or "Check your answer: it is not allowed here"
                    )
                continue
        result.values[name] = value
        scope[name] = expression_value(value)
    return result


def applicable_inputs(instrument: Instrument, checked: CheckedAnswers) -> int:
    """How many questions asking for an answer were shown: the base for the partial threshold."""
    return sum(1 for q in instrument.input_questions() if q.name in checked.shown)


def storable(question: Question, value: AnswerValue) -> list[tuple[str, str | None, float | None]]:
    """Rows for the answers table: (value text, choice code, number)."""
    if question.type == "select_one":
        return [(str(value), str(value)[:200], None)]
    if isinstance(value, tuple):
        return [(code, code, None) for code in value]
    if isinstance(value, bool):
        return [("yes" if value else "no", None, None)]
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return []
        text = str(value) if isinstance(value, int) or not value.is_integer() else str(int(value))
        return [(text, None, float(value))]
    if isinstance(value, date):
        return [(value.isoformat(), None, None)]
    return [(value, None, None)]


def simple_condition(rule: str) -> tuple[tuple[str, str], ...] | None:
    """``rule`` as (question, value) pairs any one of which makes it true, when it is that simple.

    ``${a} = 'x' or selected(${b}, 'y')`` gives ``(("a", "x"), ("b", "y"))``. A page script can
    then show or hide a question as the respondent answers, and a printed form can say "answer
    only if...". Anything more complex gives None; the server's evaluation stays the authority.
    """
    from ._expr_functions import Binary, Call, Ref, String
    from .expressions import parse

    try:
        node = parse(rule)
    except ExpressionError:
        return None

    def pairs(expr: object) -> list[tuple[str, str]] | None:
        if isinstance(expr, Binary) and expr.op == "or":
            left, right = pairs(expr.left), pairs(expr.right)
            return None if left is None or right is None else left + right
        if isinstance(expr, Binary) and expr.op == "=":
            if isinstance(expr.left, Ref) and isinstance(expr.right, String):
                return [(expr.left.name, expr.right.value)]
            return None
        if isinstance(expr, Call) and expr.name == "selected" and len(expr.args) == 2:
            target, value = expr.args
            if isinstance(target, Ref) and isinstance(value, String):
                return [(target.name, value.value)]
        return None

    found = pairs(node)
    return tuple(found) if found else None


# ----------------------------------------------------------------- pages of a response


def page_shown(page: Page, checked: CheckedAnswers) -> bool:
    """Whether the rules show a page: any input (or, lacking inputs, any note) on it is shown."""
    questions = [q for q in page.questions() if q.is_input or q.type == "note"]
    inputs = [q for q in questions if q.is_input] or questions
    return any(q.name in checked.shown for q in inputs)


def visible_pages(model: Instrument, checked: CheckedAnswers) -> list[Page]:
    return [page for page in model.pages() if page_shown(page, checked)]


def page_names(page: Page) -> list[str]:
    return [q.name for q in page.questions() if q.is_input]


def merge_page(stored: Mapping[str, object], page: Page, posted: Mapping[str, object]) -> dict[str, object]:
    """Stored answers with this page's answers replaced by what was posted (blank means cleared)."""
    names = set(page_names(page))
    merged = {k: v for k, v in stored.items() if k not in names}
    merged.update({k: v for k, v in posted.items() if k in names})
    return merged


def first_unfinished_page(model: Instrument, raw: Mapping[str, object]) -> int | None:
    """Where a resumed response carries on: the first shown page with nothing answered or with
    an error; None when every page is done (the respondent goes to "Check your answers")."""
    checked = check_answers(model, raw, enforce_required=True)
    for page in visible_pages(model, checked):
        names = page_names(page)
        shown = [n for n in names if n in checked.shown]
        if any(n in checked.errors for n in names) or (shown and not any(n in raw for n in shown)):
            return page.index
    return None
