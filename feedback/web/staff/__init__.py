"""The staff face: evaluators, interviewers and administrators (accounts arrive with the staff issue)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to register yet: staff pages are built in the staff issue."""
    del app
