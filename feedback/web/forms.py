"""WTForms classes built from the instrument model, one per page, and what the templates need.

WTForms reads the posted fields (radios, checkboxes, text, the three boxes of a date) and gives
them back as raw text; it validates nothing. Validation, skip rules, constraints and choice
filters are :func:`feedback.domain.answers.check_answers`' job, so a value refused here is
refused in every mode. Forms derive from :class:`wtforms.form.BaseForm`, which keeps fields in
a dict: a question called ``data`` or ``process`` cannot shadow a form method.

Field names are the question names; the date input posts ``<name>-day``, ``<name>-month`` and
``<name>-year`` (GOV.UK's convention). Control fields: ``csrf_token``, ``_action``, ``_return``,
``_key`` (the page's submission key, see :mod:`feedback.services.page_keys`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from flask_babel import gettext as _
from wtforms import Field, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs are 3.2
from wtforms.form import BaseForm
from wtforms.utils import unset_value

from ..domain.answers import MAX_LINE, MAX_TEXT, allowed_choices, simple_condition
from ..domain.expressions import ExpressionError, references
from ..domain.instrument import Group, Instrument, Item, Page, Question

CONTROL_FIELDS = frozenset({"csrf_token", "_action", "_return", "_key"})
DATE_PARTS = ("day", "month", "year")


class DatePartsField(Field):
    """GOV.UK date input: three boxes posted separately, kept as typed and joined as ISO text."""

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors: list[Any] = []
        self.parts = dict.fromkeys(DATE_PARTS, "")
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in DATE_PARTS):
            self.parts = {p: str(formdata.get(f"{self.name}-{p}", "")).strip() for p in DATE_PARTS}
        elif data not in (unset_value, None, ""):
            try:
                given = date.fromisoformat(str(data))
                self.parts = {"day": str(given.day), "month": str(given.month), "year": str(given.year)}
            except ValueError:
                pass
        self.data = self.iso()

    def iso(self) -> str:
        """ISO text for a real date, "" when all boxes are empty, else text the domain refuses."""
        day, month, year = (self.parts[p] for p in DATE_PARTS)
        if not (day or month or year):
            return ""
        typed = typed_date(day, month, year)
        # not ISO: check_answers answers "Enter a real date"
        return typed.isoformat() if typed else f"{day}/{month}/{year}"


def typed_date(day: str, month: str, year: str) -> date | None:
    """The date typed in day, month and year boxes, or None if it is not a real one.

    The year has four digits. ``int`` reads any script's decimal digits, as before; a number too
    big for ``date`` (a 30-digit month) is no date, not an ``OverflowError``."""
    if len(year.strip()) != 4:
        return None
    try:
        return date(int(year), int(month), int(day))
    except (ValueError, OverflowError):
        return None


def _unbound(question: Question, choices: list[SelectChoice]) -> Any:
    if question.type == "select_one":
        return RadioField(choices=choices, validate_choice=False)
    if question.type == "select_multiple":
        return SelectMultipleField(choices=choices, validate_choice=False)
    if question.type == "date":
        return DatePartsField()
    return StringField()


class PageForm(BaseForm):
    """One page's form, built from posted data or from stored answers. Each page has its own
    subclass whose ``page_fields`` are the unbound fields of the page's input questions."""

    page_fields: ClassVar[list[tuple[str, Any]]] = []

    def __init__(self, formdata: Any = None, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(self.page_fields)
        self.process(formdata, data=dict(data or {}))


def page_form_class(model: Instrument, page: Page, language: str | None = None) -> type[PageForm]:
    """A form class for one page: a field per input question, every option of its list.

    Made once per instrument version, page and language and kept on the model (unbound fields
    are templates WTForms copies for every form, so one class serves every request)."""
    # Keyed by the page's input questions, not its index: staff entry forms use one whole-
    # instrument page numbered 0 like the first page.
    key = ("page_form_class", tuple(q.name for q in page.questions() if q.is_input), language)
    found = model.memo.get(key)
    if not (isinstance(found, type) and issubclass(found, PageForm)):  # not made yet
        found = model.memo[key] = _page_form_class(model, page, language)
    return found


def _page_form_class(model: Instrument, page: Page, language: str | None) -> type[PageForm]:
    fields = []
    for question in page.questions():
        if question.is_input:
            choices = [SelectChoice(c.name, c.label_in(language)) for c in model.choices_for(question)]
            fields.append((question.name, _unbound(question, choices)))

    class OnePage(PageForm):
        page_fields = fields

    OnePage.__name__ = f"PageForm_{page.index + 1}"
    return OnePage


def raw_answers(form: BaseForm) -> dict[str, str | list[str]]:
    """What the respondent typed or ticked, as text, keyed by question name."""
    raw: dict[str, str | list[str]] = {}
    for name, bound in form._fields.items():
        value = bound.data
        if isinstance(value, list):
            raw[name] = [str(v) for v in value]
        else:
            raw[name] = "" if value is None else str(value)
    return raw


def refused_fields(form: BaseForm, formdata: Any) -> list[str]:
    """Problems with the request itself (not with an answer): unknown fields, repeated values.

    A field this page does not ask comes from a tampered or out-of-date page; saving the rest
    could store answers the respondent never saw, so the whole page is refused.
    """
    allowed = set(CONTROL_FIELDS)
    single = set(CONTROL_FIELDS)
    for name, bound in form._fields.items():
        if isinstance(bound, DatePartsField):
            parts = {f"{name}-{p}" for p in DATE_PARTS}
            allowed |= parts
            single |= parts
        else:
            allowed.add(name)
            if not isinstance(bound, SelectMultipleField):
                single.add(name)
    problems = []
    unknown = sorted(set(formdata.keys()) - allowed)
    if unknown:
        shown = ", ".join(repr(n[:40]) for n in unknown[:5])
        problems.append(_("This page does not ask for %(fields)s. Nothing on it was saved.", fields=shown))
    repeated = sorted(n for n in single if len(formdata.getlist(n)) > 1)
    if repeated:
        problems.append(
            _(
                "More than one answer was sent for %(fields)s. Nothing on this page was saved.",
                fields=", ".join(repr(n) for n in repeated[:5]),
            )
        )
    return problems


@dataclass
class QuestionView:
    """One thing on a page, ready for the GOV.UK macros in ``public/_questions.html``."""

    kind: str  # radios, checkboxes, input, number, date, textarea, note, heading
    name: str
    label: str
    hint: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    value: str = ""
    parts: dict[str, str] = field(default_factory=dict)
    error: str = ""
    max_length: int = MAX_LINE
    inputmode: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        """The id an error summary links to (the first box of a date)."""
        return f"{self.name}-day" if self.kind == "date" else self.name


def _kind(question: Question) -> str:
    if question.type == "select_one":
        return "radios"
    if question.type == "select_multiple":
        return "checkboxes"
    if question.type in ("integer", "decimal"):
        return "number"
    if question.type == "date":
        return "date"
    if question.type == "text" and question.multiline:
        return "textarea"
    return "note" if question.type == "note" else "input"


def _reveal(rules: list[str], on_page: set[str]) -> dict[str, str] | None:
    """Data attributes for the page script when a rule depends on this page's answers, else None."""
    rules = [r for r in rules if r]
    try:
        local = [r for r in rules if references(r) & on_page]
    except ExpressionError:
        return None
    if not local:
        return None
    pairs = simple_condition(rules[0]) if len(rules) == 1 else None
    if pairs is not None and all(name in on_page for name, _value in pairs):
        return {"data-show-if": json.dumps([list(p) for p in pairs])}
    return {}


@dataclass
class PageContext:
    """What decides which questions a page shows: the answers so far and what the rules show."""

    model: Instrument
    page: Page
    shown: set[str]
    scope: Mapping[str, object]
    errors: Mapping[str, str]
    language: str | None = None


def question_views(ctx: PageContext, form: BaseForm) -> list[QuestionView]:
    """The page's items in order. A question the rules hide is left out unless its rule reads an
    answer on this same page: then it is shown (so the page works without JavaScript) with data
    attributes the script uses to hide it, and the server drops its answer if it stays hidden."""
    on_page = {q.name for q in ctx.page.questions() if q.is_input}
    views: list[QuestionView] = []

    def visit(items: tuple[Item, ...], rules: list[str]) -> None:
        for item in items:
            if isinstance(item, Group):
                group_rules = [*rules, item.relevant]
                attributes = _reveal(group_rules, on_page)
                if (
                    item.relevant
                    and attributes is None
                    and not any(q.name in ctx.shown for q in item.questions())
                ):
                    continue
                if item.label:
                    views.append(
                        QuestionView(
                            "heading",
                            item.name,
                            item.text_in("label", ctx.language),
                            attributes=attributes or {},
                        )
                    )
                visit(item.children, group_rules)
                continue
            if not (item.is_input or item.type == "note"):
                continue
            attributes = _reveal([*rules, item.relevant], on_page)
            if attributes is None:
                if item.name not in ctx.shown:
                    continue
                attributes = {}
            views.append(_view(ctx, item, form, attributes))

    visit(ctx.page.items, [])
    return views


def _view(ctx: PageContext, question: Question, form: BaseForm, attributes: dict[str, str]) -> QuestionView:
    language = ctx.language
    view = QuestionView(
        _kind(question),
        question.name,
        question.text_in("label", language),
        hint=question.text_in("hint", language),
        error=ctx.errors.get(question.name, ""),
        attributes=attributes,
    )
    if question.type == "note":
        return view
    bound = form[question.name]
    if view.kind in ("radios", "checkboxes"):
        on_page = {q.name for q in ctx.page.questions()}
        filtered = question.choice_filter and not (references(question.choice_filter) & on_page)
        choices = (
            allowed_choices(ctx.model, question, ctx.scope) if filtered else ctx.model.choices_for(question)
        )
        picked = set(bound.data or []) if view.kind == "checkboxes" else {bound.data or ""}
        view.items = [
            {"value": c.name, "text": c.label_in(language), "checked": c.name in picked} for c in choices
        ]
    elif view.kind == "date" and isinstance(bound, DatePartsField):
        view.parts = dict(bound.parts)
    else:
        view.value = "" if bound.data is None else str(bound.data)
        view.max_length = MAX_TEXT if view.kind == "textarea" else MAX_LINE
        if view.kind == "number":
            view.inputmode = "numeric" if question.type == "integer" else "decimal"
    return view
