"""Administrators: list and create users, grant and revoke project roles, make reset links,
deactivate a user and sign a user out everywhere.

Every change is a POST with a CSRF token. A new user has no password: the admin makes a reset
link and sends it to them, so no one else ever knows their password.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs are 3.2

from ...db import Project
from ...db.accounts import ProjectRole, User
from ...db.app import get_db, get_session
from ...services import accounts
from ..paginate import page_arg, paginate
from .access import require_admin
from .auth import reset_link
from .blueprint import bp
from .forms import ActionForm, CreateUserForm, GrantRoleForm


def _user_or_404(user_id: int, session: Session | None = None) -> User:
    """The user, from the request's read session or, given one, a write session (where a user
    read a moment ago in the other session may have gone: a 404 too, never a crash)."""
    user = (session or get_session()).get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/admin/users", methods=["GET", "POST"])
@require_admin
def admin_users() -> ResponseReturnValue:
    form = CreateUserForm()
    status = 200
    if form.validate_on_submit():
        try:
            with get_db().write() as session:
                user = accounts.create_user(
                    session, form.email.data or "", form.name.data or "", is_admin=form.is_admin.data
                )
                user_id = user.id
        except accounts.AccountError as exc:
            form.email.errors = [str(exc)]
            status = 400
        else:
            flash(f"Created {user.email}. Make a reset link below and send it to them.", "success")
            return redirect(url_for("staff.admin_user", user_id=user_id))
    elif form.errors:
        status = 400
    page = paginate(get_session(), select(User).order_by(User.email), page_arg())
    return render_template("staff/admin_users.html", users=page, form=form, page_title="Users"), status


def _render_user(
    user: User, grant_form: GrantRoleForm, link: str | None = None, status: int = 200
) -> tuple[str, int]:
    session = get_session()
    roles = session.execute(
        select(ProjectRole, Project)
        .join(Project, Project.id == ProjectRole.project_id)
        .where(ProjectRole.user_id == user.id)
        .order_by(Project.name)
    ).all()
    return (
        render_template(
            "staff/admin_user.html",
            user=user,
            roles=roles,
            grant_form=grant_form,
            action_form=ActionForm(),
            link=link,
            page_title=user.email,
        ),
        status,
    )


def _grant_form() -> GrantRoleForm:
    form = GrantRoleForm()
    form.project.choices = [
        SelectChoice(slug, name)
        for slug, name in get_session().execute(select(Project.slug, Project.name).order_by(Project.name))
    ]
    return form


@bp.get("/admin/users/<id:user_id>")
@require_admin
def admin_user(user_id: int) -> ResponseReturnValue:
    return _render_user(_user_or_404(user_id), _grant_form())


@bp.post("/admin/users/<id:user_id>/roles")
@require_admin
def admin_grant_role(user_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    form = _grant_form()
    if not form.validate_on_submit():
        return _render_user(user, form, status=400)
    try:
        with get_db().write() as session:
            target = _user_or_404(user.id, session)
            accounts.grant_role(
                session,
                target,
                form.project.data or "",
                form.role.data or "",
                can_identify=form.can_identify.data,
            )
    except accounts.AccountError as exc:
        form.role.errors = [str(exc)]
        return _render_user(user, form, status=400)
    flash(f"{user.email} is now {form.role.data} in {form.project.data}.", "success")
    return redirect(url_for("staff.admin_user", user_id=user.id))


@bp.post("/admin/users/<id:user_id>/roles/<id:project_id>/revoke")
@require_admin
def admin_revoke_role(user_id: int, project_id: int) -> ResponseReturnValue:
    user = _user_or_404(user_id)
    if ActionForm().validate_on_submit():
        with get_db().write() as session:
            target = _user_or_404(user.id, session)
            removed = accounts.revoke_role(session, target, project_id)
        flash("Role removed." if removed else "That role had already been removed.", "success")
    return redirect(url_for("staff.admin_user", user_id=user.id))


@bp.post("/admin/users/<id:user_id>/reset-link")
@require_admin
def admin_reset_link(user_id: int) -> ResponseReturnValue:
    """Show a new reset link once (only its hash is stored, so it cannot be shown again)."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("staff.admin_user", user_id=user.id))
    with get_db().write() as session:
        target = _user_or_404(user.id, session)
        admin = session.get(User, current_user.id)
        token = accounts.create_reset_token(session, target, created_by=admin)
    return _render_user(user, _grant_form(), link=reset_link(token))


@bp.post("/admin/users/<id:user_id>/active")
@require_admin
def admin_set_active(user_id: int) -> ResponseReturnValue:
    """Deactivate a user (signed out at once, cannot sign in) or let them back in."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("staff.admin_user", user_id=user.id))
    active = request.form.get("active") == "1"
    try:
        with get_db().write() as session:
            target = _user_or_404(user.id, session)
            admin = session.get(User, current_user.id)
            accounts.set_active(session, target, active, by=admin)
    except accounts.AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{user.email} can {'now' if active else 'no longer'} sign in.", "success")
    return redirect(url_for("staff.admin_user", user_id=user.id))


@bp.post("/admin/users/<id:user_id>/sign-out")
@require_admin
def admin_sign_out(user_id: int) -> ResponseReturnValue:
    """End every session the user has (a lost phone, a computer left signed in); audited. They
    can sign in again straight away: deactivating is what keeps someone out."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("staff.admin_user", user_id=user.id))
    with get_db().write() as session:
        accounts.sign_out_everywhere(session, user.id, by_id=current_user.id)
    flash(f"{user.email} has been signed out everywhere.", "success")
    return redirect(url_for("staff.admin_user", user_id=user.id))
