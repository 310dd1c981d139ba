"""Respondents' failures as pages: a form not found, closed, by invitation, already completed,
or answers too long to send. Plain words, the right status, never a bare error page.
(An expired session re-shows the page it came from, so it stays in :mod:`.respond`.)

A link that is not found is also where guessing is limited (issue 16, item 8): when the request
carried a resume token, an invitation token or an event code, the failure is recorded in the
shared ``token`` bucket of the client's address (:mod:`feedback.web.ratelimit`), and an address
over the limit is answered 429 instead of 404. Only links that are *not* found are counted or
refused: the lookup comes first, so a right link always answers, from any address, however much
guessing came from it (a class on one school's Wi-Fi, a respondent who mistyped a code).
"""

from __future__ import annotations

from flask import make_response, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ...services import respond
from ..ratelimit import client_address, limiter
from .rendering import Rendered, message
from .views import bp


def _page_not_found() -> Rendered:
    return message(
        _("Page not found"),
        [_("If you typed the web address, check it is correct. If you used a link, it may have expired.")],
        status=404,
    )


def _carries_link() -> bool:
    """Whether the request named a respondent's link: a resume token or event code in the path,
    or an invitation token (``t``) in the query or the form. An unknown form's slug alone is not
    a guess at anything secret (the index page lists them)."""
    args = request.view_args or {}
    return bool(args.get("token") or args.get("code") or request.values.get("t"))


def _too_many_guesses(seconds: int) -> Response:
    minutes = max(1, -(-seconds // 60))
    page = make_response(
        message(
            _("Too many links not found"),
            [
                _("Too many web addresses that do not exist have been tried from your connection."),
                ngettext(
                    "Wait %(num)d minute, then try again.", "Wait %(num)d minutes, then try again.", minutes
                ),
                _("If you used a link or a QR code, check it has been copied completely."),
            ],
            status=429,
        )
    )
    page.headers["Retry-After"] = str(seconds)
    return page


@bp.errorhandler(respond.FormNotFound)
def not_found(_exc: Exception) -> Rendered | Response:
    if not _carries_link():
        return _page_not_found()
    address, guesses = client_address(), limiter("token")
    if guesses.blocked(address):
        return _too_many_guesses(guesses.retry_after(address))
    guesses.fail(address)
    return _page_not_found()


@bp.errorhandler(404)
def http_not_found(_exc: Exception) -> Rendered:
    """A 404 from ``abort`` (a page number past the last, a NUL in the address): the link itself
    was found, or is no link of ours, so nothing is counted."""
    return _page_not_found()


@bp.errorhandler(respond.FormClosed)
def closed(exc: respond.FormClosed) -> Rendered:
    return message(
        _("This form is closed"),
        [
            _(
                "“%(title)s” is no longer taking responses. Thank you for your interest.",
                title=exc.title,
            )
        ],
    )


@bp.errorhandler(respond.InvitationOnly)
def invitation_only(exc: respond.InvitationOnly) -> Rendered:
    return message(
        _("This survey is by invitation"),
        [
            _("“%(title)s” is for the people invited to take part.", title=exc.title),
            _(
                "Use the personal link in your invitation. "
                "If you cannot find it, ask the team who invited you."
            ),
        ],
        status=403,
    )


@bp.errorhandler(respond.AlreadyCompleted)
def already_completed(exc: respond.AlreadyCompleted) -> Rendered:
    return message(
        _("You have already completed this form"),
        [
            _(
                "Thank you: your answers to “%(title)s” have been received. "
                "You do not need to do anything else.",
                title=exc.title,
            )
        ],
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: Exception) -> Rendered:
    return message(
        _("Your answers were too long to send"),
        [_("Nothing was saved from that page. Go back, shorten your longest answers and try again.")],
        status=413,
    )
