"""The admin pages: adding users, removing roles, and handing out reset links."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import csrf_token, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db.accounts import ProjectRole, User
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def admin(client: FlaskClient, db: Database) -> FlaskClient:
    make_project(db, "pilot")
    make_user(db, "root@example.org", admin=True)
    login(client, "root@example.org")
    return client


def test_admin_adds_a_user_and_a_second_with_the_same_email_is_refused(
    admin: FlaskClient, db: Database
) -> None:
    token = csrf_token(admin.get("/staff/admin/users").get_data(as_text=True))
    added = admin.post(
        "/staff/admin/users", data={"csrf_token": token, "email": "New@Example.org", "name": "Nia"}
    )
    assert added.status_code == 302
    page = admin.get(added.headers["Location"]).get_data(as_text=True)
    assert "new@example.org" in page and "Make a password reset link" in page
    again = admin.post("/staff/admin/users", data={"csrf_token": token, "email": "new@example.org"})
    assert again.status_code == 400 and "already exists" in again.get_data(as_text=True)
    with db.read() as session:
        assert session.scalars(select(User.email).order_by(User.email)).all() == [
            "new@example.org",
            "root@example.org",
        ]


def test_removing_a_role_closes_the_project_to_that_user(
    app: Flask, admin: FlaskClient, db: Database
) -> None:
    target = make_user(db, "vic@example.org", roles={"pilot": "viewer"})
    viewer = app.test_client()
    login(viewer, "vic@example.org")
    assert viewer.get("/staff/projects/pilot").status_code == 200

    page = admin.get(f"/staff/admin/users/{target}").get_data(as_text=True)
    action = re.search(r'action="(/staff/admin/users/\d+/roles/\d+/revoke)"', page)
    assert action
    assert admin.post(action.group(1), data={"csrf_token": csrf_token(page)}).status_code == 302
    assert viewer.get("/staff/projects/pilot").status_code == 404
    with db.read() as session:
        assert session.scalars(select(ProjectRole)).all() == []


def test_reset_link_from_the_admin_page_works_once(app: Flask, admin: FlaskClient, db: Database) -> None:
    target = make_user(db, "vic@example.org")
    page = admin.get(f"/staff/admin/users/{target}").get_data(as_text=True)
    shown = admin.post(f"/staff/admin/users/{target}/reset-link", data={"csrf_token": csrf_token(page)})
    link = re.search(r"http://127\.0\.0\.1:5000(/staff/reset/[\w-]+)", shown.get_data(as_text=True))
    assert link
    visitor = app.test_client()
    form = visitor.get(link.group(1))
    password = "my own new passphrase"
    data = {"csrf_token": csrf_token(form.get_data(as_text=True)), "password": password, "confirm": password}
    assert visitor.post(link.group(1), data=data).status_code == 302
    assert visitor.get(link.group(1)).status_code == 404
    assert login(app.test_client(), "vic@example.org", password).status_code == 302


def test_deactivating_a_user_signs_them_out_and_keeps_them_out(
    app: Flask, admin: FlaskClient, db: Database
) -> None:
    target = make_user(db, "leaver@example.org", roles={"pilot": "evaluator"})
    leaver = app.test_client()
    login(leaver, "leaver@example.org")
    page = admin.get(f"/staff/admin/users/{target}").get_data(as_text=True)
    token = csrf_token(page)
    admin.post(f"/staff/admin/users/{target}/active", data={"csrf_token": token, "active": "0"})
    assert leaver.get("/staff/projects/pilot").status_code == 302  # signed out, sent to the login page
    assert login(app.test_client(), "leaver@example.org").status_code == 200  # and cannot sign in again
    admin.post(f"/staff/admin/users/{target}/active", data={"csrf_token": token, "active": "1"})
    assert login(app.test_client(), "leaver@example.org").status_code == 302


def test_an_admin_cannot_lock_themselves_out(admin: FlaskClient, db: Database) -> None:
    with db.read() as session:
        me = session.scalar(select(User.id).where(User.email == "root@example.org"))
    token = csrf_token(admin.get(f"/staff/admin/users/{me}").get_data(as_text=True))
    response = admin.post(f"/staff/admin/users/{me}/active", data={"csrf_token": token, "active": "0"})
    assert "cannot deactivate your own account" in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert admin.get("/staff/").status_code == 200
