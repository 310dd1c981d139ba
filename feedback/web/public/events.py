"""Event feedback links, QR codes and printable paper versions.

``/e/<short_code>`` opens the activity's project's event feedback instrument with the response
tagged to that activity (``Response.activity_id``). ``/e/<code>/qr.svg`` and ``.png`` draw the
QR code for that link and ``/e/<code>/print`` is the paper version with the code on it; the
same exist for any instrument under ``/f/<slug>/...``. Links inside QR codes and on paper are
built from ``settings.base_url``, never from the request's Host header.
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, url_for
from flask_babel import gettext as _

from ...db.app import get_db, get_session
from ...domain.answers import simple_condition
from ...domain.instrument import INTERVIEWER_KINDS, NO_RESPONDENT_KINDS, Group, Instrument, Item
from ...services import respond
from .qr import qr_png, qr_svg
from .rendering import Rendered, absolute_url, language_of, render_start
from .views import bp


def render_event_start(code: str, *, notice: str = "", status: int = 200) -> Rendered:
    activity, instrument, model = respond.find_event(get_session(), code)
    return render_start(
        instrument,
        model,
        action=url_for(".event_start_post", code=code),
        key=respond.new_token(),
        activity=activity,
        notice=notice,
        status=status,
    )


@bp.get("/e/<code>")
def event_start(code: str) -> Rendered:
    return render_event_start(code)


@bp.post("/e/<code>")
def event_start_post(code: str) -> Any:
    from flask import request

    with get_db().write() as session:
        activity, instrument, _model = respond.find_event(session, code)
        response = respond.start_response(
            session, instrument, key=request.form.get("key", "")[:64], activity=activity
        )
        slug, token = instrument.slug, response.resume_token
    return redirect(url_for(".resume", slug=slug, token=token))


def _image(body: bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _event_link(code: str) -> str:
    respond.find_event(get_session(), code)  # 404 page for unknown codes, closed page for closed forms
    return absolute_url(".event_start", code=code)


def _form_link(slug: str) -> str:
    respond.open_instrument(get_session(), slug)
    return absolute_url(".start", slug=slug)


@bp.get("/e/<code>/qr.svg")
def event_qr_svg(code: str) -> Response:
    return _image(qr_svg(_event_link(code)), "image/svg+xml")


@bp.get("/e/<code>/qr.png")
def event_qr_png(code: str) -> Response:
    return _image(qr_png(_event_link(code)), "image/png")


@bp.get("/f/<slug>/qr.svg")
def form_qr_svg(slug: str) -> Response:
    return _image(qr_svg(_form_link(slug)), "image/svg+xml")


@bp.get("/f/<slug>/qr.png")
def form_qr_png(slug: str) -> Response:
    return _image(qr_png(_form_link(slug)), "image/png")


def print_sections(model: Instrument, language: str | None) -> list[dict[str, Any]]:
    """Pages as sections of numbered questions, each with what paper needs: boxes or lines, and
    "Answer only if..." for simple skip rules (paper cannot hide a question)."""
    numbers: dict[str, int] = {}
    sections = []
    counter = 0
    for page in model.pages():
        entries: list[dict[str, Any]] = []

        def visit(items: tuple[Item, ...], entries: list[dict[str, Any]] = entries) -> None:
            nonlocal counter
            for item in items:
                if isinstance(item, Group):
                    if item.label:
                        entries.append({"kind": "heading", "label": item.text_in("label", language)})
                    visit(item.children)
                    continue
                if item.type == "note":
                    entries.append({"kind": "note", "label": item.text_in("label", language)})
                    continue
                if not item.is_input:
                    continue
                counter += 1
                numbers[item.name] = counter
                entries.append(
                    {
                        "kind": item.type,
                        "number": counter,
                        "name": item.name,
                        "label": item.text_in("label", language),
                        "hint": item.text_in("hint", language),
                        "multiline": item.multiline,
                        "choices": [c.label_in(language) for c in model.choices_for(item)],
                        "condition": _condition_text(model, item.relevant, numbers, language),
                    }
                )

        visit(page.items)
        group = page.group
        relevant = group.relevant if group is not None else ""
        sections.append(
            {
                "title": group.text_in("label", language) if group is not None else "",
                "condition": _condition_text(model, relevant, numbers, language),
                "entries": entries,
            }
        )
    return sections


def _condition_text(model: Instrument, rule: str, numbers: dict[str, int], language: str | None) -> str:
    if not rule:
        return ""
    pairs = simple_condition(rule)
    if pairs is None or any(name not in numbers for name, _value in pairs):
        return _("This question may not apply to you: answer it if it does.")
    parts = []
    for name, value in pairs:
        question = model.question(name)
        label = next((c.label_in(language) for c in model.choices_for(question) if c.name == value), value)
        parts.append(_("“%(answer)s” at question %(number)s", answer=label, number=numbers[name]))
    return _("Answer only if you chose %(choices)s.", choices=_(" or ").join(parts))


def _render_print(model: Instrument, link: str, qr_url: str, activity: Any = None) -> str:
    language = language_of(model)
    return render_template(
        "public/print.html",
        title=model.title,
        description=model.description,
        sections=print_sections(model, language),
        link=link,
        qr_url=qr_url,
        activity=activity,
    )


@bp.get("/f/<slug>/print")
def form_print(slug: str) -> str:
    instrument, model = respond.open_instrument(get_session(), slug, self_completion=False)
    if instrument.kind in INTERVIEWER_KINDS | NO_RESPONDENT_KINDS:  # not answered online: no link
        return _render_print(model, "", "")
    return _render_print(model, absolute_url(".start", slug=slug), url_for(".form_qr_svg", slug=slug))


@bp.get("/e/<code>/print")
def event_print(code: str) -> str:
    activity, _instrument, model = respond.find_event(get_session(), code)
    return _render_print(
        model, absolute_url(".event_start", code=code), url_for(".event_qr_svg", code=code), activity
    )
