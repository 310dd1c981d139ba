"""``feedback users``: create, grant, reset-link and list, through the click runner."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from staff_helpers import fast_hashing as fast_hashing  # noqa: E402, F401 -- fixture used via pytestmark
from staff_helpers import make_project  # noqa: E402

from feedback.db.accounts import ProjectRole, User  # noqa: E402
from feedback.db.session import Database  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _link(output: str) -> str:
    match = re.search(r"(http\S+/staff/reset/\S+)", output)
    assert match, output
    return match.group(1)


def test_create_prints_a_link_built_from_base_url(runner: FlaskCliRunner, db: Database, settings) -> None:
    result = runner.invoke(args=["users", "create", "Ada@Example.org", "--name", "Ada", "--admin"])
    assert result.exit_code == 0, result.output
    assert "created ada@example.org (admin)" in result.output
    assert _link(result.output).startswith(f"{settings.base_url}/staff/reset/")
    with db.read() as session:
        user = session.scalar(select(User))
    assert user is not None and user.is_admin and user.name == "Ada" and user.password_hash is None


def test_create_twice_fails_with_a_message(runner: FlaskCliRunner, db: Database) -> None:
    runner.invoke(args=["users", "create", "ada@example.org"])
    result = runner.invoke(args=["users", "create", "ADA@example.org"])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_the_printed_link_lets_the_user_choose_a_password(runner: FlaskCliRunner, db: Database, app) -> None:
    from staff_helpers import csrf_token, login

    link = _link(runner.invoke(args=["users", "create", "ada@example.org"]).output)
    client = app.test_client()
    path = urlsplit(link).path
    token = csrf_token(client.get(path).get_data(as_text=True))
    password = "a long enough passphrase"
    assert (
        client.post(path, data={"csrf_token": token, "password": password, "confirm": password}).status_code
        == 302
    )
    assert login(app.test_client(), "ada@example.org", password).status_code == 302


def test_grant_gives_a_role_and_refuses_unknown_projects_and_roles(
    runner: FlaskCliRunner, db: Database
) -> None:
    make_project(db, "pilot")
    runner.invoke(args=["users", "create", "ada@example.org"])
    ok = runner.invoke(args=["users", "grant", "ada@example.org", "pilot", "evaluator", "--identify"])
    assert ok.exit_code == 0, ok.output
    with db.read() as session:
        grant = session.scalar(select(ProjectRole))
    assert grant is not None and grant.role == "evaluator" and grant.can_identify

    assert (
        "No project called 'nowhere'"
        in runner.invoke(args=["users", "grant", "ada@example.org", "nowhere", "viewer"]).output
    )
    bad_role = runner.invoke(args=["users", "grant", "ada@example.org", "pilot", "owner"])
    assert bad_role.exit_code != 0 and "owner" in bad_role.output
    nobody = runner.invoke(args=["users", "grant", "bob@example.org", "pilot", "viewer"])
    assert nobody.exit_code == 1 and "No user with e-mail 'bob@example.org'" in nobody.output
    viewer_identify = runner.invoke(
        args=["users", "grant", "ada@example.org", "pilot", "viewer", "--identify"]
    )
    assert viewer_identify.exit_code == 1 and "Only evaluators" in viewer_identify.output


def test_reset_link_and_list(runner: FlaskCliRunner, db: Database, settings) -> None:
    make_project(db, "pilot")
    runner.invoke(args=["users", "create", "ada@example.org"])
    runner.invoke(args=["users", "grant", "ada@example.org", "pilot", "viewer"])
    first = _link(runner.invoke(args=["users", "reset-link", "ada@example.org"]).output)
    second = _link(runner.invoke(args=["users", "reset-link", "ada@example.org"]).output)
    assert first != second and first.startswith(settings.base_url)
    assert runner.invoke(args=["users", "reset-link", "bob@example.org"]).exit_code == 1
    listing = runner.invoke(args=["users", "list"]).output
    assert "ada@example.org" in listing and "pilot:viewer" in listing


def test_deactivate_and_activate(runner: FlaskCliRunner, db: Database) -> None:
    runner.invoke(args=["users", "create", "ada@example.org"])
    assert runner.invoke(args=["users", "deactivate", "ada@example.org"]).exit_code == 0
    assert "inactive" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "activate", "ADA@example.org"]).exit_code == 0
    assert "inactive" not in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "deactivate", "bob@example.org"]).exit_code == 1
