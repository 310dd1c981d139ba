"""The two faces: ``public`` for respondents and ``staff`` for evaluators and interviewers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import assets, ids, public, security, server_header, staff

    ids.init_app(app)  # first: the blueprints' routes use its ``<id:...>`` converter
    assets.init_app(app)
    public.init_app(app)
    staff.init_app(app)
    security.init_app(app)
    server_header.init_app(app)  # under gunicorn: `Server: feedback`, no product or version
