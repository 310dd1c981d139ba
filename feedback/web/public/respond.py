"""Answering an instrument on the web. URL scheme (all under the public blueprint):

=====================================  =====================================================
``GET  /f/<slug>[?t=<case token>]``    start page (title, description, sections, Start now)
``POST /f/<slug>``                     create (or find) the response, go to its first page
``GET  /f/<slug>/r/<resume>``          the resume link: goes to the first unfinished page
``GET|POST /f/<slug>/r/<resume>/p/<n>`` page n (1-based, one top-level group per page)
``GET|POST /f/<slug>/r/<resume>/check`` "Check your answers"; POST submits
``GET  /f/<slug>/r/<resume>/saved``    "come back later": shows the resume link
``GET  /f/<slug>/r/<resume>/done``     confirmation
=====================================  =====================================================

The resume token (256 random bits) is the respondent's only key to a response, so it lives in
the URL (it can be bookmarked or written down) and never in a cookie. Views are thin: parse the
request, call :mod:`feedback.services.respond` inside one write transaction, render or redirect.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as HTTPResponse

from ...db.app import get_db, get_session
from ...domain.answers import (
    CheckedAnswers,
    check_answers,
    first_unfinished_page,
    page_names,
    page_shown,
    visible_pages,
)
from ...domain.instrument import Page
from ...services import page_keys, respond
from ..forms import page_form_class, raw_answers, refused_fields
from .failures import already_completed, closed, not_found
from .i18n import current_locale, remember_language
from .rendering import Rendered, absolute_url, language_of, message, render_check, render_page, render_start
from .views import bp

ViewResult = Rendered | HTTPResponse

bp.before_request(remember_language)
bp.context_processor(lambda: {"htmlLang": current_locale()})


@bp.after_request
def private_pages(response: HTTPResponse) -> HTTPResponse:
    """Pages under a resume link or an invitation show someone's answers: keep them out of shared
    caches, other sites' Referer logs and search engines. ``same-origin``, not ``no-referrer``:
    Flask-WTF's HTTPS check needs the Referer of our own POSTs."""
    if (request.view_args or {}).get("token") or request.args.get("t"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page(attempt: respond.Attempt, number: int) -> Page:
    pages = attempt.model.pages()
    if not 1 <= number <= len(pages):
        abort(404)
    return pages[number - 1]


def _go(slug: str, token: str, index: int | None) -> HTTPResponse:
    if index is None:
        return redirect(url_for(".check", slug=slug, token=token))
    return redirect(url_for(".page", slug=slug, token=token, number=index + 1))


@bp.get("/f/<slug>")
def start(slug: str) -> Rendered:
    session = get_session()
    instrument, model = respond.open_instrument(session, slug)
    token = request.args.get("t", "")
    resuming = False
    if token:
        case = respond.find_case(session, instrument, token)
        resuming = respond.case_response(session, case) is not None
    else:
        respond.require_public_access(session, instrument)
    return render_start(
        instrument,
        model,
        action=url_for(".start_post", slug=slug),
        key=respond.new_token(),
        token=token,
        resuming=resuming,
    )


@bp.post("/f/<slug>")
def start_post(slug: str) -> HTTPResponse:
    with get_db().write() as session:
        instrument, _model = respond.open_instrument(session, slug)
        token = request.form.get("t", "")
        case = respond.find_case(session, instrument, token, for_update=True) if token else None
        if case is None:
            respond.require_public_access(session, instrument)
        response = respond.start_response(
            session, instrument, key=request.form.get("key", "")[:64], case=case
        )
        resume = response.resume_token
    return redirect(url_for(".resume", slug=slug, token=resume))


@bp.get("/f/<slug>/r/<token>")
def resume(slug: str, token: str) -> HTTPResponse:
    session = get_session()
    attempt = respond.load_attempt(session, slug, token)
    if attempt.complete:
        return redirect(url_for(".done", slug=slug, token=token))
    index = first_unfinished_page(attempt.model, respond.stored_answers(session, attempt))
    return _go(slug, token, index)


@bp.get("/f/<slug>/r/<token>/p/<id:number>")
def page(slug: str, token: str, number: int) -> ViewResult:
    session = get_session()
    attempt = respond.load_attempt(session, slug, token)
    if attempt.complete:
        return redirect(url_for(".done", slug=slug, token=token))
    current = _page(attempt, number)
    stored = respond.stored_answers(session, attempt)
    checked = check_answers(attempt.model, stored, enforce_required=False)
    if not page_shown(current, checked):  # the rules skip this page now: go on to the next
        later = [p.index for p in visible_pages(attempt.model, checked) if p.index > current.index]
        return _go(slug, token, later[0] if later else None)
    return render_page(attempt, current, stored=stored, checked=checked)


def _page_key() -> tuple[str, str, list[str]]:
    """The posted submission key, the fingerprint of what was posted, and a problem if the key was
    tampered with. No key at all (a page from before keys existed) is accepted without replay."""
    key = request.form.get("_key", "")
    fingerprint = page_keys.fingerprint(request.form.lists())
    if key and not page_keys.valid_key(key):
        return "", fingerprint, [_("This page was changed before it was sent. Nothing on it was saved.")]
    return key, fingerprint, []


def _conflict_notice() -> str:
    return _(
        "This page had already been sent with different answers (from another tab or window, or "
        "after using the back button), so nothing was changed. The answers below are the ones you "
        "have just sent: press Continue to save them instead."
    )


def _next_location(attempt: respond.Attempt, current: Page, checked: CheckedAnswers, action: str) -> str:
    slug, token = attempt.instrument.slug, attempt.response.resume_token
    if token is None:  # cannot happen: a respondent's attempt is found by its resume token
        abort(404)
    if action == "save":
        return url_for(".saved", slug=slug, token=token)
    if request.form.get("_return") == "check":
        return url_for(".check", slug=slug, token=token)
    later = [p.index for p in visible_pages(attempt.model, checked) if p.index > current.index]
    return _go(slug, token, later[0] if later else None).location


@bp.post("/f/<slug>/r/<token>/p/<id:number>")
def page_post(slug: str, token: str, number: int) -> ViewResult:
    """Store one page. A repeated POST with the page's key and the same fields is answered with
    the first one's redirect and stores nothing; with different fields it is refused (409)."""
    key, fingerprint, problems = _page_key()
    try:
        return _store_page(slug, token, number, key, fingerprint, problems)
    except page_keys.KeyTaken:  # the key was used before (or by a racing POST): this one rolled back
        return _after_race(slug, token, number, key, fingerprint)


def _store_page(
    slug: str, token: str, number: int, key: str, fingerprint: str, problems: list[str]
) -> ViewResult:
    """Save the page, then remember its key. A key seen before is found without a lookup on the
    common path: recording it fails on the unique key, which rolls everything of this POST back,
    and :func:`_after_race` answers as the first POST was answered (a replay) or refuses it (the
    same key with other answers). Only a page that comes back with errors, and so records no key,
    looks the key up first, and rolls back too when it is known. (Looking every key up before
    saving cost a query on every page POST to serve the rare resubmission.)"""
    action = request.form.get("_action", "continue")
    errors: dict[str, str] = {}
    with get_db().write() as session:
        attempt = respond.load_attempt(session, slug, token, for_update=True)
        if attempt.complete:
            return redirect(url_for(".done", slug=slug, token=token))
        current = _page(attempt, number)
        form = page_form_class(attempt.model, current, language_of(attempt.model))(formdata=request.form)
        problems = problems or refused_fields(form, request.form)
        if not problems:
            checked = respond.save_page(
                session, attempt, current, raw_answers(form), enforce_required=action != "save"
            )
            errors = {k: v for k, v in checked.errors.items() if k in page_names(current)}
            location = "" if errors else _next_location(attempt, current, checked, action)
            rid = attempt.response.id
            if key and location:
                page_keys.record(session, key, rid, number, fingerprint, location)
            elif key and page_keys.previous(session, key, rid, number, fingerprint) is not None:
                raise page_keys.KeyTaken(key)  # sent before: roll back what this POST saved
    if problems:
        return render_page(attempt, current, posted=request.form, notices=problems, status=400)
    if errors:
        warning = _("Your other answers on this page have been saved.") if action == "save" else ""
        return render_page(attempt, current, posted=request.form, errors=errors, warning=warning)
    return redirect(location)


def _after_race(slug: str, token: str, number: int, key: str, fingerprint: str) -> ViewResult:
    session = get_session()
    attempt = respond.load_attempt(session, slug, token)
    earlier = page_keys.previous(session, key, attempt.response.id, number, fingerprint)
    if isinstance(earlier, page_keys.Replay):
        return redirect(earlier.location)
    if number == page_keys.CHECK_PAGE:
        return render_check(attempt, notice=_check_conflict_notice(), status=409)
    return render_page(
        attempt, _page(attempt, number), posted=request.form, notices=[_conflict_notice()], status=409
    )


def _check_conflict_notice() -> str:
    return _("This page had already been sent. Check your answers, then send them.")


@bp.get("/f/<slug>/r/<token>/check")
def check(slug: str, token: str) -> ViewResult:
    attempt = respond.load_attempt(get_session(), slug, token)
    if attempt.complete:
        return redirect(url_for(".done", slug=slug, token=token))
    return render_check(attempt)


@bp.post("/f/<slug>/r/<token>/check")
def check_post(slug: str, token: str) -> ViewResult:
    """Submit. Idempotent twice over: a complete response is never changed, and the page's key
    is remembered like a question page's."""
    key, fingerprint, problems = _page_key()
    done_url = url_for(".done", slug=slug, token=token)
    outcome = None
    try:
        with get_db().write() as session:
            attempt = respond.load_attempt(session, slug, token, for_update=True)
            earlier = None
            if key and not problems:
                earlier = page_keys.previous(
                    session, key, attempt.response.id, page_keys.CHECK_PAGE, fingerprint
                )
                if isinstance(earlier, page_keys.Replay):
                    return redirect(earlier.location)
            if not problems and earlier is None:
                outcome = respond.submit(session, attempt)
                if key and outcome.submitted:
                    page_keys.record(
                        session, key, attempt.response.id, page_keys.CHECK_PAGE, fingerprint, done_url
                    )
    except page_keys.KeyTaken:
        return _after_race(slug, token, page_keys.CHECK_PAGE, key, fingerprint)
    if outcome is None:
        notice = problems[0] if problems else _check_conflict_notice()
        return render_check(attempt, notice=notice, status=400 if problems else 409)
    if not outcome.submitted:  # not submitted means the check found errors to show
        return render_check(attempt, errors=outcome.checked.errors if outcome.checked else None)
    return redirect(done_url)


@bp.get("/f/<slug>/r/<token>/saved")
def saved(slug: str, token: str) -> ViewResult:
    attempt = respond.load_attempt(get_session(), slug, token)
    if attempt.complete:
        return redirect(url_for(".done", slug=slug, token=token))
    return message(
        _("Your answers have been saved"),
        [
            _("You can come back and finish at any time using this link. Copy it or bookmark it now:"),
        ],
        resume_link=absolute_url(".resume", slug=slug, token=token),
        invited=attempt.response.case_id is not None,
        continue_url=url_for(".resume", slug=slug, token=token),
    )


@bp.get("/f/<slug>/r/<token>/done")
def done(slug: str, token: str) -> ViewResult:
    attempt = respond.load_attempt(get_session(), slug, token)
    if not attempt.complete:
        return redirect(url_for(".check", slug=slug, token=token))
    return message(
        _("Thank you"),
        [_("Your answers have been sent. You can close this page.")],
        panel=True,
    )


# --------------------------------------------------------------------------- failures as pages


@bp.errorhandler(CSRFError)
def session_expired(_exc: CSRFError) -> ViewResult:
    """An expired or missing CSRF token: show the same page again with what was typed and a fresh
    token, never a bare 400. Nothing is saved, since the request cannot be trusted."""
    notice = _(
        "Your session timed out, so your answers on this page have not been saved yet. "
        "Check them and continue."
    )
    args = request.view_args or {}
    session = get_session()
    try:
        if request.endpoint == "public.page_post":
            attempt = respond.load_attempt(session, args["slug"], args["token"])
            if attempt.complete:
                return redirect(url_for(".done", slug=args["slug"], token=args["token"]))
            current = _page(attempt, args["number"])
            return render_page(attempt, current, posted=request.form, notices=[notice], status=400)
        elif request.endpoint == "public.check_post":
            attempt = respond.load_attempt(session, args["slug"], args["token"])
            if attempt.complete:
                return redirect(url_for(".done", slug=args["slug"], token=args["token"]))
            notice = _("Your session timed out. Check your answers and send them again.")
            return render_check(attempt, notice=notice, status=400)
        elif request.endpoint == "public.start_post":
            instrument, model = respond.open_instrument(session, args["slug"])
            return render_start(
                instrument,
                model,
                action=url_for(".start_post", slug=args["slug"]),
                key=respond.new_token(),
                token=request.form.get("t", ""),
                notice=_("Your session timed out. Please press the button again."),
                status=400,
            )
        elif request.endpoint == "public.event_start_post":
            from .events import render_event_start

            return render_event_start(
                args["code"], notice=_("Your session timed out. Please press the button again."), status=400
            )
    except respond.FormClosed as exc:
        return closed(exc)
    except respond.AlreadyCompleted as exc:
        return already_completed(exc)
    except respond.FormNotFound as exc:
        return not_found(exc)
    return message(_("Your session timed out"), [_("Go back and try again.")], status=400)
