"""``feedback users``: staff accounts from the command line (the first admin is made here).

A new user gets no password on the command line (it would stay in the shell's history); the
command prints a single-use link, built from ``FEEDBACK_BASE_URL``, where they choose one.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from .db.accounts import ROLES, ProjectRole, User
from .db.app import get_db
from .services import accounts


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@click.group("users", help="Staff accounts: create users, grant roles, make password-reset links.")
def users_group() -> None:
    pass


@users_group.command("create", help="Create a user and print a link where they set their password.")
@click.argument("email")
@click.option("--name", default="", help="The person's name, as shown in the staff pages.")
@click.option("--admin", is_flag=True, help="An administrator: sees every project and manages users.")
@with_appcontext
def users_create(email: str, name: str, admin: bool) -> None:
    from .web.staff.auth import reset_link

    try:
        with get_db().write() as session:
            user = accounts.create_user(session, email, name, is_admin=admin)
            token = accounts.create_reset_token(session, user)
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(f"created {user.email}{' (admin)' if admin else ''}")
    click.echo(f"password link (works once, for 48 hours): {reset_link(token)}")


@users_group.command("grant", help=f"Give a user a ROLE ({', '.join(ROLES)}) in PROJECT (its slug).")
@click.argument("email")
@click.argument("project")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--identify", is_flag=True, help="Evaluators only: may see names and e-mail addresses.")
@with_appcontext
def users_grant(email: str, project: str, role: str, identify: bool) -> None:
    try:
        with get_db().write() as session:
            user = accounts.require_user(session, email)
            accounts.grant_role(session, user, project, role, can_identify=identify)
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(
        f"{accounts.normalise_email(email)} is {role} in {project}{' (identified)' if identify else ''}"
    )


@users_group.command("reset-link", help="Print a new single-use password-reset link for a user.")
@click.argument("email")
@with_appcontext
def users_reset_link(email: str) -> None:
    from .web.staff.auth import reset_link

    try:
        with get_db().write() as session:
            token = accounts.create_reset_token(session, accounts.require_user(session, email))
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(reset_link(token))


@users_group.command("deactivate", help="Stop a user signing in (their open sessions end at once).")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    try:
        with get_db().write() as session:
            accounts.set_active(session, accounts.require_user(session, email), False)
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(f"{accounts.normalise_email(email)} can no longer sign in")


@users_group.command("activate", help="Let a deactivated user sign in again.")
@click.argument("email")
@with_appcontext
def users_activate(email: str) -> None:
    try:
        with get_db().write() as session:
            accounts.set_active(session, accounts.require_user(session, email), True)
    except accounts.AccountError as exc:
        _fail(str(exc))
    click.echo(f"{accounts.normalise_email(email)} can sign in")


@users_group.command("list", help="List users and their roles.")
@with_appcontext
def users_list() -> None:
    from .db import Project

    with get_db().read() as session:
        users = session.scalars(select(User).order_by(User.email)).all()
        roles: dict[int, list[str]] = {}
        for user_id, slug, role in session.execute(
            select(ProjectRole.user_id, Project.slug, ProjectRole.role)
            .join(Project, Project.id == ProjectRole.project_id)
            .order_by(Project.slug)
        ):
            roles.setdefault(user_id, []).append(f"{slug}:{role}")
    for user in users:
        flags = ("admin " if user.is_admin else "") + ("" if user.active else "inactive ")
        click.echo(f"{user.email:<40} {flags}{' '.join(roles.get(user.id, []))}".rstrip())


def register(app: Flask) -> None:
    app.cli.add_command(users_group)
