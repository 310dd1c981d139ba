"""The staff face: evaluators, interviewers and administrators under ``/staff``.

Closed by default (see :mod:`.blueprint`): every page needs a signed-in user, project pages check
the user's role through :func:`.access.require_project_role`. To add a page, write it in a module
here and add one import line below; then give it a rule in ``tests/web/test_staff_authz.py``.
"""

from __future__ import annotations

from flask import Flask

from . import admin, auth, views  # noqa: F401 -- importing a module registers its routes on bp
from .blueprint import bp
from .login import init_app as _init_login


def init_app(app: Flask) -> None:
    _init_login(app)
    app.register_blueprint(bp)
