"""A whole instrument on one staff page, built with the respondents' form machinery.

Interviewers scroll one schedule and data-entry staff key one paper form per page, so both show
every question at once: a synthetic :class:`~feedback.domain.instrument.Page` holding all the
instrument's items goes through the same WTForms classes (:func:`feedback.web.forms.page_form_class`)
and the same question views (:func:`feedback.web.forms.question_views`) as a respondent's page,
and the answers through the same :func:`feedback.domain.answers.check_answers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from ...domain.answers import check_answers
from ...domain.instrument import Instrument as InstrumentModel
from ...domain.instrument import Page
from ..forms import PageContext, QuestionView, page_form_class, question_views, raw_answers, refused_fields


def whole_page(model: InstrumentModel) -> Page:
    return Page(0, None, model.items)


@dataclass
class EntryForm:
    """What was posted (or stored), as raw answers and as views for the templates."""

    raw: dict[str, str | list[str]]
    views: list[QuestionView]
    refused: list[str]


def answers_only(formdata: MultiDict[str, str], control: Iterable[str]) -> MultiDict[str, str]:
    """The posted fields without this page's own controls (lock version, mode, batch...)."""
    drop = set(control)
    kept: MultiDict[str, str] = MultiDict()
    for key, value in formdata.items(multi=True):
        if key not in drop and not any(key.startswith(f"{c}-") for c in drop):
            kept.add(key, value)
    return kept


def entry_form(
    model: InstrumentModel,
    *,
    posted: MultiDict[str, str] | None = None,
    data: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> EntryForm:
    """Bind posted answers (or stored ones) to the whole-instrument form and make its views.

    ``refused`` lists problems with the request itself (a field the instrument does not ask),
    as :func:`feedback.web.forms.refused_fields` words them; the caller saves nothing then.
    """
    page = whole_page(model)
    form_class = page_form_class(model, page)
    form = form_class(formdata=posted) if posted is not None else form_class(data=data or {})
    raw = raw_answers(form)
    checked = check_answers(model, raw, enforce_required=False)
    ctx = PageContext(model, page, checked.shown, checked.values, dict(errors or {}))
    refused = refused_fields(form, posted) if posted is not None else []
    return EntryForm(raw, question_views(ctx, form), refused)


def error_list(views: list[QuestionView], extra: Iterable[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """GOV.UK error summary items: the question with its message, linking to the field."""
    items = [{"text": text, "href": href} for text, href in extra]
    for view in views:
        if view.error:
            items.append({"text": f"{view.label.strip()}: {view.error}", "href": f"#{view.anchor}"})
    return items
