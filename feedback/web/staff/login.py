"""Flask-Login wiring: loading the signed-in user, and where anonymous visitors are sent.

The session stores ``"<user id>.<session_version>"``; a password change raises the version, so
sessions started before it stop loading and those browsers are signed out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask_login import LoginManager

from ...db.accounts import User
from ...db.app import get_session

login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
# Flask-Login's "strong" protection drops the session when the IP or browser changes; "basic"
# only marks it non-fresh. Phones move between networks mid-interview, so basic it is.
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    ident, _, version = user_id.partition(".")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = get_session().get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
