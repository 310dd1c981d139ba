"""Templates and assets shared by both faces: GOV.UK Frontend macros, CSRF, demo banner.

GOV.UK Frontend is installed from the npm registry by the setup and compiled into
``feedback/static/build`` (git-ignored); its Jinja macros come from the govuk-frontend-jinja
package. Neither is copied into the repository.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader

csrf = CSRFProtect()


def _demo_flag() -> dict[str, Any]:
    from sqlalchemy import select

    from ..db import Programme
    from ..db.app import get_session

    if "has_demo" not in g:
        try:
            g.has_demo = bool(get_session().scalar(select(Programme.id).where(Programme.is_demo).limit(1)))
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
