"""Signing in and out, changing a password, and setting one through a reset link.

Failed sign-ins are limited per (e-mail, IP) and wrong reset links per IP, by separate limiters
(:mod:`feedback.web.ratelimit`), so someone guessing links cannot lock a colleague out of signing
in. The messages never say whether an e-mail address has an account.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from ...config import Settings
from ...db.accounts import User
from ...db.app import get_db, get_session
from ...services import accounts
from ..ratelimit import client_address, limiter
from .blueprint import bp, public
from .forms import ActionForm, ChangePasswordForm, LoginForm, ResetPasswordForm
from .login import safe_next

log = logging.getLogger(__name__)


def reset_link(token: str) -> str:
    """The reset page's full URL, built from ``settings.base_url`` and never from the request's
    Host header (which an attacker can set, to have a colleague's link point at their site)."""
    settings: Settings = current_app.config["FEEDBACK_SETTINGS"]
    base = urlsplit(settings.base_url)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build("staff.reset_password", {"token": token}, force_external=True)


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _start_session(user: User) -> None:
    """Put the session just started on the server (``user.session_token``) into the cookie.

    A fresh cookie on every sign-in: nothing from before (another user's flash messages, a
    planted value) carries over into the signed-in session."""
    session.clear()
    login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> ResponseReturnValue:
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("staff.home"))
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        key = (accounts.normalise_email(form.email.data or ""), client_address())
        login_limit = limiter("login")
        if login_limit.blocked(key):
            seconds = login_limit.retry_after(key)
            error, status = f"Too many failed attempts to sign in. Try again in {_minutes(seconds)}.", 429
            headers["Retry-After"] = str(seconds)
            log.warning("sign-in blocked by the rate limit for %s from %s", key[0], key[1])
        else:
            with get_db().write() as db_session:
                user = accounts.authenticate(db_session, form.email.data or "", form.password.data or "")
                if user is not None:
                    accounts.start_session(db_session, user)
            if user is None:
                login_limit.fail(key)
                log.info("failed sign-in for %s from %s", key[0], key[1])
                error = "Enter a correct e-mail address and password"
            else:
                login_limit.reset(key)
                _start_session(user)
                return redirect(safe_next(request.args.get("next")) or url_for("staff.home"))
    return render_template("staff/login.html", form=form, error=error, page_title="Sign in"), status, headers


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit():
        # Ended on the server first: a copy of this cookie must not outlive the sign-out.
        with get_db().write() as db_session:
            accounts.end_session(db_session, current_user.session_token)
        logout_user()
        session.clear()
        flash("You have signed out.", "success")
    return redirect(url_for("staff.login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        key = (current_user.email, client_address())
        login_limit = limiter("login")
        if login_limit.blocked(key):
            form.current.errors = [
                f"Too many wrong passwords. Try again in {_minutes(login_limit.retry_after(key))}."
            ]
            status = 429
        else:
            changed = wrong = False
            with get_db().write() as db_session:
                user = db_session.get(User, current_user.id)
                if user is None:  # deleted since the user loader found them this request
                    abort(404)
                if not accounts.check_password(user, form.current.data or ""):
                    wrong = True
                    form.current.errors = ["Your current password is not correct"]
                else:
                    try:
                        accounts.set_password(db_session, user, form.password.data or "")
                        accounts.start_session(db_session, user)  # this browser carries on
                        changed = True
                    except accounts.AccountError as exc:
                        form.password.errors = [str(exc)]
            if wrong:  # after the block: the limiter writes in a transaction of its own
                login_limit.fail(key)
            if changed:
                _start_session(user)  # every session ended with the password: this one is new
                flash(
                    "Your password has been changed. Other browsers signed in as you are signed out.",
                    "success",
                )
                return redirect(url_for("staff.home"))
    return render_template("staff/password.html", form=form, page_title="Change your password"), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    ip = client_address()
    token_limit = limiter("token")
    if token_limit.blocked(ip):
        seconds = token_limit.retry_after(ip)
        log.warning("reset link blocked by the rate limit for %s", ip)
        page = render_template(
            "staff/reset_invalid.html", wait=_minutes(seconds), page_title="Too many attempts"
        )
        return page, 429, {"Retry-After": str(seconds)}
    if accounts.find_reset(get_session(), token) is None:
        token_limit.fail(ip)
        return render_template("staff/reset_invalid.html", page_title="Link not valid"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            with get_db().write() as db_session:
                accounts.use_reset_token(db_session, token, form.password.data or "")
                # Whoever was signed in on this browser is signed out below: on the server too.
                accounts.end_session(db_session, getattr(current_user, "session_token", None))
        except accounts.AccountError as exc:
            form.password.errors = [str(exc)]
        else:
            logout_user()
            session.clear()
            flash("Your password is set. Sign in with it now.", "success")
            return redirect(url_for("staff.login"))
    return render_template("staff/reset.html", form=form, page_title="Choose a password")
