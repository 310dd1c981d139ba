"""The staff blueprint, closed by default: every route needs a signed-in user unless marked public.

Adding a staff page:

1. write the view in a module of this package, decorated with ``@bp.get(...)`` and
   ``@require_project_role("viewer")`` (or ``"evaluator"``, ``identify=True``...) from
   :mod:`.access`, which also turns the URL's ``<slug>`` into a ``project`` argument;
2. import the module in ``feedback/web/staff/__init__.py``;
3. add the endpoint to ``RULES`` in ``tests/web/test_staff_authz.py`` with the level its decorator
   asks for (the test fails until you do, and fails if the two disagree).

A route forgotten by step 1 is still not public: ``_require_login`` below sends anonymous visitors
to the login page. A route with a ``<slug>`` but no project check fails the authorisation test.
Test helpers for staff pages (users, projects, signing in with CSRF on, cheap password hashing)
are in ``tests/web/staff_helpers.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import NotFound

bp = Blueprint("staff", __name__, url_prefix="/staff")

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
_PUBLIC: set[str] = set()


def public(view: F) -> F:
    """Mark a staff view as reachable without signing in (login and reset pages only)."""
    _PUBLIC.add(f"{bp.name}.{view.__name__}")
    view.staff_access = "public"  # type: ignore[attr-defined]
    return view


@bp.before_request
def _require_login() -> ResponseReturnValue | None:
    if request.endpoint in _PUBLIC or current_user.is_authenticated:
        return None
    from .login import login_manager

    return login_manager.unauthorized()


@bp.errorhandler(404)
def _not_found(_error: NotFound) -> ResponseReturnValue:
    """One page for "no such project" and "not yours": the two must look the same."""
    return render_template("staff/not_found.html", page_title="Page not found"), 404
