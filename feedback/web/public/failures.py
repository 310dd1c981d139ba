"""Respondents' failures as pages: a form not found, closed, by invitation, already completed,
or answers too long to send. Plain words, the right status, never a bare error page.
(An expired session re-shows the page it came from, so it stays in :mod:`.respond`.)"""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from ...services import respond
from .rendering import Rendered, message
from .views import bp


@bp.errorhandler(respond.FormNotFound)
def not_found(_exc: Exception) -> Rendered:
    return message(
        _("Page not found"),
        [_("If you typed the web address, check it is correct. If you used a link, it may have expired.")],
        status=404,
    )


@bp.errorhandler(404)
def http_not_found(_exc: Exception) -> Rendered:
    return not_found(_exc)


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
