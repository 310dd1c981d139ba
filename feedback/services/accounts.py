"""Staff accounts: creating users, passwords (argon2id), roles, single-use reset tokens, and the
server-side sessions that signing in starts and signing out ends.

Functions take a session and flush; the caller commits. Errors a person can cause (an e-mail in
use, a weak password, an unknown project or role) raise :class:`AccountError` with a message that
can be shown as it is.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db import Project
from ..db import accounts as stored
from ..db.accounts import ROLES, PasswordReset, ProjectRole, StaffSession, User
from ..db.base import utcnow
from . import audit

MIN_PASSWORD_LENGTH = 12
#: How long a reset (or first-password) link works: long enough to reach a new colleague by e-mail.
RESET_LIFETIME = timedelta(hours=48)
#: The longest a session lasts however busy it is. The cookie already ends it after 12 hours
#: without use (``PERMANENT_SESSION_LIFETIME``), so a working day's session never meets this; it
#: bounds how long a row of a browser that never signed out is kept.
SESSION_MAX_AGE = timedelta(days=7)

# argon2id with the library's defaults (RFC 9106's low-memory profile). Tests swap in a cheap one.
_hasher = PasswordHasher()
_dummy: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash to verify against when the e-mail is unknown, made with the current hasher's
    parameters, so a wrong address takes as long as a wrong password."""
    key = id(_hasher)
    if key not in _dummy:
        _dummy[key] = _hasher.hash(secrets.token_hex(16))
    return _dummy[key]


class AccountError(ValueError):
    """Something the person asked for cannot be done; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` cannot be used, or None. Length is what matters (NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be at least {MIN_PASSWORD_LENGTH} characters long (it has {len(password)})"
    if email and password.strip().lower() == normalise_email(email):
        return "Password must not be your e-mail address"
    return None


def _hash(password: str, email: str) -> str:
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    return _hasher.hash(password)


def get_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def require_user(session: Session, email: str) -> User:
    user = get_user(session, email)
    if user is None:
        raise AccountError(f"No user with e-mail '{normalise_email(email)}'")
    return user


def create_user(
    session: Session, email: str, name: str = "", *, is_admin: bool = False, password: str | None = None
) -> User:
    """A new user; without ``password`` they set one through a reset link."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountError(f"'{email}' is not an e-mail address")
    if get_user(session, email) is not None:
        raise AccountError(f"A user with e-mail '{email}' already exists")
    user = User(email=email, name=name.strip(), is_admin=is_admin)
    if password is not None:
        user.password_hash = _hash(password, email)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (and the same delay either way)."""
    user = get_user(session, email)
    stored = user.password_hash if user is not None and user.password_hash else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or stored is None or not user.active:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, user: User, password: str) -> None:
    """Set a new password and end every session of the user (a browser that should carry on, the
    one that changed it, starts a fresh one with :func:`start_session`)."""
    user.password_hash = _hash(password, user.email)
    end_all_sessions(session, user)
    session.flush()


def set_active(session: Session, user: User, active: bool, *, by: User | None = None) -> None:
    """Let a user sign in again, or stop them (signing out every session they have now).

    Raises :class:`AccountError` when an administrator tries to deactivate themselves, which
    would leave them locked out of the page that undoes it."""
    if not active and by is not None and by.id == user.id:
        raise AccountError("You cannot deactivate your own account; ask another administrator")
    if user.active != active:
        user.active = active
        end_all_sessions(session, user)
        session.flush()


def start_session(session: Session, user: User) -> str:
    """Start a server-side session for ``user`` and return its token (256 random bits; only the
    hash is stored). The token is also left on ``user.session_token``, where Flask-Login's
    ``login_user`` reads it through ``User.get_id``.

    Sessions past :data:`SESSION_MAX_AGE` (anyone's: they can no longer be used) are removed here,
    so the table holds only sessions that could still work."""
    stored.delete_sessions(session, started_before=utcnow() - SESSION_MAX_AGE)
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(user_id=user.id, token_hash=_digest(token)))
    session.flush()
    user.session_token = token
    return token


def user_for_session(session: Session, token: str) -> User | None:
    """The active user whose live session has ``token``, or None: signed out, ended on the server,
    too old, deactivated, or a cookie from before sessions were kept here ("<id>.<version>")."""
    if not token or len(token) > 200:
        return None
    user = stored.signed_in_user(session, _digest(token), started_after=utcnow() - SESSION_MAX_AGE)
    if user is not None:
        user.session_token = token
    return user


def end_session(session: Session, token: str | None) -> None:
    """End one session (signing out): its cookie, or any copy of it, no longer signs anyone in."""
    if token:
        stored.delete_sessions(session, token_hash=_digest(token))


def end_all_sessions(session: Session, user: User) -> int:
    """End every session ``user`` has, in every browser; returns how many there were."""
    return stored.delete_sessions(session, user_id=user.id)


def sign_out_everywhere(session: Session, user_id: int, *, by_id: int | None = None) -> int:
    """An administrator (``by_id``) ends all of a user's sessions (a lost phone, a shared
    computer left signed in), recorded in the audit trail with how many were ended. The user can
    sign in again at once: to keep them out, deactivate them. Returns the number ended.

    Raises :class:`AccountError` if there is no such user (deleted since the page was shown)."""
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("That user no longer exists")
    by = session.get(User, by_id) if by_id is not None else None
    ended = end_all_sessions(session, user)
    audit.record(
        session,
        actor=audit.Actor(by.id, by.email) if by is not None else None,
        action="sign_out_everywhere",
        entity="user",
        entity_id=user.id,
        before=None,
        after={"sessions_ended": ended},
    )
    session.flush()
    return ended


def grant_role(
    session: Session, user: User, project: Project | str, role: str, *, can_identify: bool = False
) -> ProjectRole:
    """Give ``user`` ``role`` in ``project`` (replacing any role they had there)."""
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}': expected one of {', '.join(ROLES)}")
    if can_identify and role != "evaluator":
        raise AccountError("Only evaluators can be allowed to see names and e-mail addresses")
    if isinstance(project, str):
        found = session.scalar(select(Project).where(Project.slug == project))
        if found is None:
            raise AccountError(f"No project called '{project}'")
        project = found
    grant = session.scalar(
        select(ProjectRole).where(ProjectRole.user_id == user.id, ProjectRole.project_id == project.id)
    )
    if grant is None:
        grant = ProjectRole(user_id=user.id, project_id=project.id, role=role)
        session.add(grant)
    grant.role, grant.can_identify = role, can_identify
    session.flush()
    return grant


def revoke_role(session: Session, user: User, project_id: int) -> bool:
    """Remove the user's role in the project; False if they had none."""
    grant = session.scalar(
        select(ProjectRole).where(ProjectRole.user_id == user.id, ProjectRole.project_id == project_id)
    )
    if grant is None:
        return False
    session.delete(grant)
    session.flush()
    return True


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset_token(session: Session, user: User, *, created_by: User | None = None) -> str:
    """A new single-use reset token (256 random bits); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_digest(token),
            expires_at=utcnow() + RESET_LIFETIME,
            created_by_id=created_by.id if created_by else None,
        )
    )
    session.flush()
    return token


def find_reset(session: Session, token: str) -> PasswordReset | None:
    """The unused, unexpired reset for ``token``, or None (unknown, used and expired look alike)."""
    if not token or len(token) > 200:
        return None
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    return reset


def use_reset_token(session: Session, token: str, password: str) -> User:
    """Set the password through a reset token, then spend it and every other open token of the user.

    Raises :class:`AccountError` if the token is unknown, used or expired, or the password is weak
    (the token then stays usable, so the person can try another password).
    """
    reset = find_reset(session, token)
    if reset is None:
        raise AccountError(
            "This link has expired or has already been used; ask an administrator for a new one"
        )
    user = reset.user
    set_password(session, user, password)
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    session.flush()
    return user
