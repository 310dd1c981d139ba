"""The respondents' face: public pages that need no account.

``views`` (index, health), ``respond`` (answering an instrument: start, pages, check, submit,
save and resume), ``events`` (event links, QR codes, paper versions); ``i18n`` sets up
Flask-Babel. All routes hang off one blueprint, ``public``.
"""

from __future__ import annotations

from flask import Flask

from . import events, guards, respond  # noqa: F401 -- registers their routes and hooks on the blueprint
from .i18n import init_app as init_i18n
from .views import bp


def init_app(app: Flask) -> None:
    init_i18n(app)
    app.register_blueprint(bp)
