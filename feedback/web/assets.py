"""Templates and assets shared by both faces: GOV.UK Frontend macros, CSRF, demo banner.

GOV.UK Frontend is installed from the npm registry by the setup and compiled into
``feedback/static/build`` (git-ignored); its Jinja macros come from the govuk-frontend-jinja
package. Neither is copied into the repository.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

csrf = CSRFProtect()


DEMO_CHECK_EVERY = 30.0  # seconds a worker trusts its last answer to "does this site hold demo data?"


def _demo_flag() -> dict[str, Any]:
    """Whether to show the demo banner. Asked of the database at most every
    :data:`DEMO_CHECK_EVERY` seconds per worker (it was a query on every page, a twelfth of a
    page's time on PostgreSQL), so a demo loaded by the CLI shows within half a minute."""
    from sqlalchemy import select

    from ..db import Programme
    from ..db.app import get_db, get_session

    if "has_demo" not in g:
        database = get_db()
        known: tuple[bool, float] | None = getattr(database, "demo_flag", None)
        if known is not None and time.monotonic() - known[1] < DEMO_CHECK_EVERY:
            g.has_demo = known[0]
        else:
            try:
                query = select(Programme.id).where(Programme.is_demo).limit(1)
                g.has_demo = bool(get_session().scalar(query))
                database.demo_flag = (g.has_demo, time.monotonic())  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a banner must never break a page (e.g. before migrations)
                g.has_demo = False
    return {"demo_data": g.has_demo}


def _csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def init_app(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            PackageLoader("feedback"),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf.init_app(app)
    app.context_processor(_demo_flag)
    app.context_processor(lambda: {"csp_nonce": _csp_nonce()})
