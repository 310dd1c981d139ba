"""Requests the public pages refuse before any view or query sees them.

* A NUL character (code 0) in the path or the query string: no link of ours contains one, and
  PostgreSQL refuses NUL in text ("text fields cannot contain NUL"), which would otherwise surface
  as a server error instead of "Page not found". NUL in the form fields that reach a query
  (``t``, the invitation token; ``key``, the start key) is refused the same way (404: a link or
  key nobody was given). Typed answers need no check here: the domain removes control
  characters from text answers.
* A url-encoded body larger than ``MAX_FORM_MEMORY_SIZE``: Werkzeug applies that limit (and
  ``MAX_FORM_PARTS``) to multipart bodies only, and our forms post url-encoded. No page of ours
  can need more (a text answer is at most 32,767 characters), and a huge value would otherwise be
  echoed back into the page that shows its error. The ``413`` page says what to do.
"""

from __future__ import annotations

from flask import abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from .views import bp

#: Form fields whose values are looked up in the database as they are.
LOOKED_UP = ("t", "key")


@bp.before_request
def refuse_unstorable_requests() -> None:
    if any("\x00" in value for value in (request.view_args or {}).values() if isinstance(value, str)):
        abort(404)
    if any("\x00" in text for pair in request.args.items(multi=True) for text in pair):
        abort(404)
    if request.method != "POST":
        return
    limit = current_app.config.get("MAX_FORM_MEMORY_SIZE")
    if (
        limit
        and request.mimetype == "application/x-www-form-urlencoded"
        and (request.content_length or 0) > limit
    ):
        raise RequestEntityTooLarge()
    if any("\x00" in value for name in LOOKED_UP for value in request.form.getlist(name)):
        abort(404)  # an invitation or start key nobody was given
