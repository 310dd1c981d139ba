"""Helpers for the staff tests: make users and projects, sign in the way a browser does.

Plain functions (not fixtures) so each test says which users it needs. CSRF stays on: every POST
first fetches a page and sends back the token it carries.
"""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from feedback.db import Project
from feedback.db.session import Database
from feedback.services import accounts

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def make_project(db: Database, slug: str, name: str | None = None) -> int:
    with db.write() as session:
        project = Project(slug=slug, name=name or slug.title())
        session.add(project)
        session.flush()
        return project.id


def make_user(
    db: Database,
    email: str,
    *,
    admin: bool = False,
    roles: dict[str, str] | None = None,
    identify: bool = False,
    password: str = PASSWORD,
) -> int:
    with db.write() as session:
        user = accounts.create_user(
            session, email, email.split("@")[0].title(), is_admin=admin, password=password
        )
        for slug, role in (roles or {}).items():
            accounts.grant_role(session, user, slug, role, can_identify=identify and role == "evaluator")
        return user.id


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def page_token(client: FlaskClient, url: str = "/staff/login") -> str:
    """The CSRF token of the session, read from a page as a browser would."""
    response = client.get(url)
    return csrf_token(response.get_data(as_text=True))


def login(client: FlaskClient, email: str, password: str = PASSWORD, **environ: str):
    token = page_token(client)
    return client.post(
        "/staff/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base=environ,
    )


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny cost parameters: the real ones take about 0.4 s a hash on a busy CI box,
    and these tests hash dozens of passwords. What is checked (which password works) is the same."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
