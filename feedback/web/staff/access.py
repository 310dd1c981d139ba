"""Who may open which project page: roles as sets of abilities, and the decorators that check them.

A role grants abilities: a viewer reads summaries and rates; an interviewer works their assigned
cases; an evaluator can do both and also responses, exports and contacts. "member" is any role.
Admins have every ability in every project. Seeing names and e-mail addresses ("identify") is a
separate flag on an evaluator's role, and every identified page view is written to
``identified_access``.

A project the user may not open answers 404, exactly like a project that does not exist, so
nobody learns which projects exist by trying slugs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from ...db import Project
from ...db.accounts import IdentifiedAccess, ProjectRole, User
from ...db.app import get_db, get_session
from ...services.identified import identify_allowed

ABILITIES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"member", "viewer"}),
    "interviewer": frozenset({"member", "interviewer"}),
    "evaluator": frozenset({"member", "viewer", "interviewer", "evaluator"}),
}
LEVELS = ("member", "viewer", "interviewer", "evaluator")

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])


@dataclass(frozen=True)
class ProjectAccess:
    """What the signed-in user may do in one project (``g.access`` during a project view)."""

    project: Project
    role: str | None  # None: an admin without a role in this project
    is_admin: bool
    can_identify: bool

    def can(self, level: str) -> bool:
        return self.is_admin or (self.role is not None and level in ABILITIES.get(self.role, ()))


def declared_access(view: Callable[..., Any]) -> str:
    """The access a staff view's decorators ask for: public, signed_in (the blueprint's default),
    admin, or a project level (member, viewer, interviewer, evaluator, identify)."""
    return getattr(view, "staff_access", "signed_in")


def access_to(user: User, project: Project) -> ProjectAccess | None:
    """The user's access to ``project``, or None if they may not open it at all."""
    grant = get_session().scalar(
        select(ProjectRole).where(ProjectRole.user_id == user.id, ProjectRole.project_id == project.id)
    )
    if grant is None and not user.is_admin:
        return None
    return ProjectAccess(
        project=project,
        role=grant.role if grant else None,
        is_admin=user.is_admin,
        can_identify=identify_allowed(user, grant),
    )


def log_identified_access(user: User, project: Project, detail: str = "") -> None:
    """Record that ``user`` looked at names or e-mail addresses in ``project`` (own transaction)."""
    with get_db().write() as session:
        session.add(
            IdentifiedAccess(
                user_id=user.id,
                project_id=project.id,
                endpoint=request.endpoint or "",
                detail=detail or request.full_path[:500],
            )
        )


def require_project_role(min_role: str = "member", *, identify: bool = False) -> Callable[[F], F]:
    """Load the project named by the URL's ``slug``, check the user's role, pass it as ``project``.

    ``min_role`` is one of :data:`LEVELS`. ``identify=True`` also needs the identify permission and
    logs the visit. Anything short of that is a 404.
    """
    if min_role not in LEVELS:
        raise ValueError(f"unknown role level {min_role!r}; expected one of {LEVELS}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, slug: str, **kwargs: Any) -> ResponseReturnValue:
            if not current_user.is_authenticated:
                from .login import login_manager

                return login_manager.unauthorized()
            project = get_session().scalar(select(Project).where(Project.slug == slug))
            if project is None:
                abort(404)
            access = access_to(current_user, project)
            if access is None or not access.can(min_role) or (identify and not access.can_identify):
                abort(404)
            g.access = access
            if identify:
                log_identified_access(current_user, project)
            return view(*args, project=project, **kwargs)

        wrapped.staff_access = "identify" if identify else min_role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def require_admin(view: F) -> F:
    """Admin-only pages; everyone else gets 404 (an admin area is not advertised)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not current_user.is_authenticated:
            from .login import login_manager

            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    wrapped.staff_access = "admin"  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]
