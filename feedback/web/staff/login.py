"""Flask-Login wiring: loading the signed-in user, and where anonymous visitors are sent.

The cookie stores the token of a server-side session (``User.get_id``, a ``StaffSession`` row),
not the user's id. Every request looks the token up, so a session ended on the server (signing
out, a password change, deactivation, an administrator's "Sign out everywhere") stops working at
once in every copy of its cookie, and that browser is treated as anonymous.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask_login import LoginManager

from ...db.accounts import User
from ...db.app import get_session
from ...services import accounts

login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"
# Flask-Login's "strong" protection drops the session when the IP or browser changes; "basic"
# only marks it non-fresh. Phones move between networks mid-interview, so basic it is.
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    return accounts.user_for_session(get_session(), token)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another host), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
