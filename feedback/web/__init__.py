"""The two faces: ``public`` for respondents and ``staff`` for evaluators and interviewers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import assets, public, security, staff

    assets.init_app(app)
    public.init_app(app)
    staff.init_app(app)
    security.init_app(app)
