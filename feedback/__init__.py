"""feedback: survey and feedback data collection for programme evaluators.

``create_app`` is a list of ``init_app`` calls (flaskr's pattern), so each part wires itself and
the factory stays a screen long. ``gunicorn 'feedback:create_app()'`` serves it.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings, from_env


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path), instance_relative_config=True)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        DEBUG=settings.debug,
        FEEDBACK_SETTINGS=settings,
        # Respondents keep a page open a long time (an interview, a long survey); an expired token
        # re-renders the page with answers kept, so a generous limit costs nothing in safety.
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        MAX_FORM_PARTS=2000,
    )

    from . import cli, web
    from .db import app as db_app

    db_app.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    if settings.trusted_proxies > 0:
        # The client's address from X-Forwarded-For, through exactly this many proxies (it keys
        # the rate limits; see config.py). Only x_for: Host and scheme are never taken from
        # headers, since every link is built from FEEDBACK_BASE_URL.
        proxied = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies, x_proto=0, x_host=0)
        app.wsgi_app = proxied  # type: ignore[method-assign]  # Flask's documented way to add middleware
    return app
