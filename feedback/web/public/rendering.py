"""Turning respondent state into pages: start, question page, check answers, messages.

Views call these after their transaction; nothing here writes. Texts that come from data
(labels, error messages) are translated here with ``flask_babel.gettext`` and handed to the
templates as plain strings, so Jinja escapes them (Jinja's own ``_()`` marks its result safe and
must only ever see literal strings).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask import render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from ...config import Settings
from ...db import Activity, Instrument
from ...db.app import get_session
from ...domain.answers import CheckedAnswers, check_answers, merge_page, visible_pages
from ...domain.instrument import Instrument as InstrumentModel
from ...domain.instrument import Page
from ...services.respond import Attempt, new_token, stored_answers
from ..forms import PageContext, page_form_class, question_views, raw_answers
from .blocks import question_block
from .i18n import instrument_language

Rendered = tuple[str, int]


def settings() -> Settings:
    from flask import current_app

    return current_app.config["FEEDBACK_SETTINGS"]


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for outside the browser (QR codes, resume links): always from ``settings.base_url``,
    never from the request's Host header, which a client can set to anything."""
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and path.startswith(root):
        path = path[len(root) :]
    return settings().base_url.rstrip("/") + path


def message(title: str, paragraphs: Sequence[str], status: int = 200, **extra: Any) -> Rendered:
    """A friendly page for anything that is not a form: not found, closed, already completed."""
    return render_template("public/message.html", title=title, paragraphs=paragraphs, **extra), status


def language_of(model: InstrumentModel) -> str | None:
    return instrument_language(model.languages, model.default_language)


def section_count(model: InstrumentModel) -> str:
    pages = model.pages()
    exact = not any(p.group is not None and p.group.relevant for p in pages)
    if exact:
        return ngettext("This form has %(num)d section.", "This form has %(num)d sections.", len(pages))
    return ngettext(
        "This form has up to %(num)d section, depending on your answers.",
        "This form has up to %(num)d sections, depending on your answers.",
        len(pages),
    )


def render_start(
    instrument: Instrument,
    model: InstrumentModel,
    *,
    action: str,
    key: str,
    token: str = "",
    resuming: bool = False,
    activity: Activity | None = None,
    notice: str = "",
    status: int = 200,
) -> Rendered:
    language = language_of(model)
    return (
        render_template(
            "public/start.html",
            title=_title(model, language),
            description=model.description,
            sections=section_count(model),
            action=action,
            key=key,
            token=token,
            resuming=resuming,
            activity=activity,
            activity_date=format_date(activity.starts_on, "d MMMM yyyy")
            if activity and activity.starts_on
            else "",
            print_url=url_for(".event_print", code=activity.short_code)
            if activity and activity.short_code
            else url_for(".form_print", slug=instrument.slug),
            notice=notice,
            languages=_switch(model),
        ),
        status,
    )


def _title(model: InstrumentModel, language: str | None) -> str:
    """The form's title in ``language`` (a ``form_title::<language>`` setting), else its title.

    ``language`` is the instrument's name for it, "Welsh (cy)"; the settings sheet may say
    ``form_title::Welsh (cy)`` (kept as ``welsh_(cy)``, settings keys are normalised) or just
    ``form_title::cy``: each is looked up."""
    if not language:
        return model.title
    settings = dict(model.settings)
    code = re.search(r"\(([^()]+)\)\s*$", language)
    for name in (language, language.lower().replace(" ", "_"), code.group(1) if code else None):
        if name and f"form_title::{name}" in settings:
            return settings[f"form_title::{name}"]
    return model.title


def _switch(model: InstrumentModel) -> list[dict[str, str]]:
    """Links to the other languages the instrument has (only Welsh has our catalogue too)."""
    from .i18n import current_locale

    offered = [("en", "English")]
    if any(lang == "cy" or lang.endswith("(cy)") for lang in model.languages):
        offered.append(("cy", "Cymraeg"))
    if len(offered) < 2:
        return []
    here = current_locale()
    return [{"code": code, "name": name, "href": f"?lang={code}"} for code, name in offered if code != here]


def page_title(model: InstrumentModel, page: Page, language: str | None) -> str:
    if page.group is not None and page.group.label:
        return page.group.text_in("label", language)
    return _title(model, language)


def labelled(label: str, error: str) -> str:
    """An error summary line: the question, then what is wrong ("Which type...? Select an answer")."""
    label = label.strip()
    return f"{label} {error}" if label.endswith(("?", ".", ":", "!")) else f"{label}: {error}"


def render_page(
    attempt: Attempt,
    page: Page,
    *,
    posted: MultiDict[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    notices: Sequence[str] = (),
    warning: str = "",
    status: int = 200,
    key: str = "",
    stored: Mapping[str, object] | None = None,
    checked: CheckedAnswers | None = None,
) -> Rendered:
    """One page of questions: stored answers, or what was just posted when re-showing it.

    ``key`` is the page's submission key (a fresh one unless given): a page shown again after
    errors or a conflict gets a new key, so pressing Continue on it counts as a new POST.
    ``stored`` (and ``checked``, the stored answers checked) save reading and checking the
    answers again when the caller has just done it."""
    model = attempt.model
    language = language_of(model)
    if stored is None:
        stored = stored_answers(get_session(), attempt)
    form_class = page_form_class(model, page, language)
    if posted is not None:
        form = form_class(formdata=posted)
        scope_raw: Mapping[str, object] = merge_page(stored, page, raw_answers(form))
    else:
        form = form_class(data=stored)
        scope_raw = stored
    if checked is None or posted is not None:
        checked = check_answers(model, scope_raw, enforce_required=False)
    translated = {name: _(text) for name, text in (errors or {}).items()}
    ctx = PageContext(model, page, checked.shown, checked.values, translated, language)
    views = question_views(ctx, form)
    visible = visible_pages(model, checked)
    indexes = [p.index for p in visible]
    position = indexes.index(page.index) + 1 if page.index in indexes else page.index + 1
    earlier = [i for i in indexes if i < page.index]
    slug, token = attempt.instrument.slug, attempt.response.resume_token
    # No back link on the first page: pressing "Start now" again would begin a second response.
    back = url_for(".page", slug=slug, token=token, number=earlier[-1] + 1) if earlier else ""
    error_list = [{"text": notice} for notice in notices] + [
        # The question with the message: two "Select an answer" links would not say which is which.
        {"text": labelled(v.label, v.error), "href": f"#{v.anchor}"}
        for v in views
        if v.error
    ]
    return (
        render_template(
            "public/page.html",
            title=page_title(model, page, language),
            form_title=_title(model, language),
            blocks=[question_block(view) for view in views],
            error_list=error_list,
            position=position,
            total=max(len(visible), position),
            back=back,
            action=url_for(".page", slug=slug, token=token, number=page.index + 1),
            return_to_check=(posted.get("_return") if posted is not None else request.args.get("return"))
            == "check",
            warning=warning,
            activity=attempt.activity,
            languages=_switch(model),
            key=key or new_token(),
        ),
        status,
    )


def display_value(model: InstrumentModel, name: str, value: object, language: str | None) -> Markup:
    """An answer as the respondent would read it: option labels, dates in words, text as typed.

    Always escaped Markup: the summary list macro prints ``html`` unescaped."""
    question = model.question(name)
    if question.is_select:
        labels = {c.name: c.label_in(language) for c in model.choices_for(question)}
        codes: tuple[str, ...] = value if isinstance(value, tuple) else (str(value),)
        return Markup("<br>").join(labels.get(code, code) for code in codes)
    if isinstance(value, date):
        return escape(format_date(value, "d MMMM yyyy"))
    if isinstance(value, float) and value.is_integer():
        return escape(str(int(value)))
    return Markup("<br>").join(str(value).split("\n"))  # join escapes every line


#: ``?return=check`` on a page link: ``return`` is a Python keyword, so it goes in as ``**``
#: (values typed ``Any``: url_for's own keyword arguments, like ``_external``, are not strings).
_BACK_TO_CHECK: dict[str, Any] = {"return": "check"}


def render_check(
    attempt: Attempt,
    *,
    errors: Mapping[str, str] | None = None,
    notice: str = "",
    status: int = 200,
    key: str = "",
) -> Rendered:
    """Every shown question with its answer and a Change link, grouped by page (with a fresh
    submission key unless ``key`` is given)."""
    model = attempt.model
    language = language_of(model)
    checked = check_answers(model, stored_answers(get_session(), attempt), enforce_required=False)
    slug, token = attempt.instrument.slug, attempt.response.resume_token
    sections = []
    error_list = []
    for page in visible_pages(model, checked):
        page_url = url_for(".page", slug=slug, token=token, number=page.index + 1, **_BACK_TO_CHECK)
        rows = []
        for question in page.questions():
            if not question.is_input or question.name not in checked.shown:
                continue
            anchor = f"{question.name}-day" if question.type == "date" else question.name
            label = question.text_in("label", language)
            value = checked.values.get(question.name)
            if errors and question.name in errors:
                error_list.append(
                    {"text": labelled(label, _(errors[question.name])), "href": f"{page_url}#{anchor}"}
                )
            rows.append(
                {
                    "key": {"text": label},
                    "value": {"html": display_value(model, question.name, value, language)}
                    if value is not None
                    else {"text": _("Not answered")},
                    "actions": {
                        "items": [
                            {
                                "href": f"{page_url}#{anchor}",
                                "text": _("Change"),
                                "visuallyHiddenText": label,
                            }
                        ]
                    },
                }
            )
        if rows:
            sections.append({"title": page_title(model, page, language), "rows": rows})
    return (
        render_template(
            "public/check.html",
            title=_("Check your answers"),
            form_title=_title(model, language),
            sections=sections,
            error_list=error_list,
            notice=notice,
            action=url_for(".check", slug=slug, token=token),
            activity=attempt.activity,
            key=key or new_token(),
        ),
        status,
    )
