"""Staff accounts: users, their roles per project, their signed-in sessions, password-reset
tokens and identified access, with the few queries the sessions need.

Roles are per project (viewer, evaluator, interviewer); ``is_admin`` is global. Reset tokens and
session tokens are stored only as SHA-256 hashes, so a copy of the database hands out neither
working links nor working sessions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CursorResult,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .models import Project

#: Project roles, in the order the admin page offers them.
ROLES = ("viewer", "evaluator", "interviewer")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(300))  # None: no password set yet
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # No longer read (sessions are StaffSession rows since migration 0003). Kept because dropping
    # it makes SQLite rebuild ``users``, and that DROP TABLE cascades to project_roles under
    # foreign_keys=ON; a migration can drop it in place once SQLite 3.35 is the oldest we support.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    roles: Mapped[list[ProjectRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ProjectRole.project_id"
    )

    # Flask-Login's user protocol, kept here so the web layer needs no wrapper class.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    if TYPE_CHECKING:  # not a column (the ORM would map a runtime annotation), so for mypy only
        #: The token of the StaffSession this object was signed in or loaded with.
        session_token: str | None

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the token of this browser's StaffSession, never
        the user's id, so that deleting the row on the server ends the session. Set by
        :func:`feedback.services.accounts.start_session` and by the user loader."""
        token = getattr(self, "session_token", None)
        if not token:
            raise RuntimeError("no session started for this user: use services.accounts.start_session")
        return str(token)


class ProjectRole(Base):
    """A user's role in one project. ``can_identify`` allows names and e-mails (evaluators only)."""

    __tablename__ = "project_roles"
    __table_args__ = (UniqueConstraint("user_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # viewer | evaluator | interviewer
    can_identify: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    project: Mapped[Project] = relationship()


class StaffSession(Base):
    """One signed-in browser. Flask-Login's cookie carries the token; the row is what makes it work.

    Why a row per session rather than a counter on the user: signing out must end *this*
    browser's session on the server (a copied cookie stops working) without signing the user out
    of their other browsers, such as the phone an interviewer is part-way through a call on; a
    counter can only end all of them at once. Password changes, deactivation and an admin's
    "Sign out everywhere" delete all the user's rows. The cookie still expires after 12 hours
    without use; ``created_at`` also bounds a session's whole life (``SESSION_MAX_AGE`` in
    :mod:`feedback.services.accounts`), so rows of browsers that never signed out can be removed.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class IdentifiedAccess(Base):
    """One look at identified data (names, e-mails): who, which project, which page, when."""

    __tablename__ = "identified_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def signed_in_user(session: Session, token_hash: str, *, started_after: datetime) -> User | None:
    """The active user whose session has this token hash and began after ``started_after``."""
    return session.scalar(
        select(User)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(
            StaffSession.token_hash == token_hash,
            StaffSession.created_at > started_after,
            User.active.is_(True),
        )
    )


def delete_sessions(
    session: Session,
    *,
    user_id: int | None = None,
    token_hash: str | None = None,
    started_before: datetime | None = None,
) -> int:
    """Delete the sessions matching every condition given (at least one); returns how many."""
    conditions: list[ColumnElement[bool]] = []
    if user_id is not None:
        conditions.append(StaffSession.user_id == user_id)
    if token_hash is not None:
        conditions.append(StaffSession.token_hash == token_hash)
    if started_before is not None:
        conditions.append(StaffSession.created_at < started_before)
    if not conditions:
        raise ValueError("delete_sessions needs a condition: it never deletes every session")
    result = session.execute(
        delete(StaffSession).where(*conditions), execution_options={"synchronize_session": False}
    )
    return cast(CursorResult[Any], result).rowcount
