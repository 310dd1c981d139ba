"""Sessions end on the server (issue 16, item 8): a copied session cookie stops working after
signing out, a password change, deactivation, or an administrator's "Sign out everywhere".

Each test copies a signed-in browser's session cookie into a second client, as someone who lifted
it would, then does the thing that must end the session in the first. CSRF stays on.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from staff_helpers import PASSWORD, csrf_token, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db.accounts import StaffSession
from feedback.db.audit import AuditEntry
from feedback.db.base import utcnow
from feedback.db.session import Database
from feedback.services import accounts

pytestmark = pytest.mark.usefixtures("fast_hashing")
NEW_PASSWORD = "a different long passphrase"


@pytest.fixture
def alice(db: Database) -> int:
    make_project(db, "pilot")
    return make_user(db, "alice@example.org", roles={"pilot": "evaluator"})


def signed_in(app: Flask, email: str = "alice@example.org") -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    assert client.get("/staff/projects/pilot").status_code == 200
    return client


def signed_in_with(app: Flask, password: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, "alice@example.org", password).status_code == 302
    return client


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def is_signed_out(client: FlaskClient) -> bool:
    response = client.get("/staff/projects/pilot")
    return response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def sign_out(client: FlaskClient) -> None:
    token = csrf_token(client.get("/staff/").get_data(as_text=True))
    assert client.post("/staff/logout", data={"csrf_token": token}).headers["Location"] == "/staff/login"


def test_a_copied_cookie_stops_working_after_sign_out(app: Flask, alice: int) -> None:
    browser = signed_in(app)
    thief = copy_of(app, browser)
    assert not is_signed_out(thief)  # the copy works while the session is live

    sign_out(browser)
    assert is_signed_out(browser)
    assert is_signed_out(thief)
    assert is_signed_out(thief)  # and stays out: nothing brings the session back
    assert not is_signed_out(signed_in(app))  # signing in again works


def test_signing_out_in_one_browser_keeps_the_others(app: Flask, alice: int) -> None:
    """An interviewer who signs out at the office is not signed out of the phone mid-interview."""
    office, phone = signed_in(app), signed_in(app)
    sign_out(office)
    assert is_signed_out(office)
    assert not is_signed_out(phone)


def test_a_password_change_ends_every_other_session(app: Flask, alice: int) -> None:
    browser = signed_in(app)
    elsewhere = signed_in(app)
    thief = copy_of(app, browser)
    token = csrf_token(browser.get("/staff/password").get_data(as_text=True))
    changed = browser.post(
        "/staff/password",
        data={"csrf_token": token, "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert not is_signed_out(browser)  # the browser that changed it carries on, with a fresh session
    assert is_signed_out(thief)  # the cookie it had before the change no longer works
    assert is_signed_out(elsewhere)
    assert not is_signed_out(signed_in_with(app, NEW_PASSWORD))


def test_a_reset_link_ends_every_session(app: Flask, db: Database, alice: int) -> None:
    browser = signed_in(app)
    with db.write() as session:
        token = accounts.create_reset_token(session, accounts.require_user(session, "alice@example.org"))
    visitor = app.test_client()
    url = f"/staff/reset/{token}"
    form = csrf_token(visitor.get(url).get_data(as_text=True))
    data = {"csrf_token": form, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert visitor.post(url, data=data).status_code == 302
    assert is_signed_out(browser)
    assert not is_signed_out(signed_in_with(app, NEW_PASSWORD))


@pytest.fixture
def admin(app: Flask, db: Database, alice: int) -> FlaskClient:
    make_user(db, "root@example.org", admin=True)
    return signed_in(app, "root@example.org")


def _post_on_user_page(admin: FlaskClient, user_id: int, action: str, **data: str):
    page = admin.get(f"/staff/admin/users/{user_id}").get_data(as_text=True)
    return admin.post(f"/staff/admin/users/{user_id}/{action}", data={"csrf_token": csrf_token(page), **data})


def test_deactivation_ends_every_session(app: Flask, admin: FlaskClient, alice: int) -> None:
    browser = signed_in(app)
    thief = copy_of(app, browser)
    assert _post_on_user_page(admin, alice, "active", active="0").status_code == 302
    assert is_signed_out(browser) and is_signed_out(thief)
    assert _post_on_user_page(admin, alice, "active", active="1").status_code == 302
    assert is_signed_out(thief)  # reactivating does not bring the old sessions back
    assert not is_signed_out(signed_in(app))


def test_an_admin_signs_a_user_out_everywhere(
    app: Flask, admin: FlaskClient, db: Database, alice: int
) -> None:
    browsers = [signed_in(app), signed_in(app)]
    thief = copy_of(app, browsers[0])
    page = admin.get(f"/staff/admin/users/{alice}").get_data(as_text=True)
    assert f'action="/staff/admin/users/{alice}/sign-out"' in page and "Sign out everywhere" in page

    done = _post_on_user_page(admin, alice, "sign-out")
    assert done.status_code == 302 and done.headers["Location"] == f"/staff/admin/users/{alice}"
    shown = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert "alice@example.org has been signed out everywhere" in shown
    assert all(is_signed_out(browser) for browser in (*browsers, thief))
    assert not is_signed_out(admin)  # the administrator's own session is untouched
    assert not is_signed_out(signed_in(app))  # and Alice can sign in again

    with db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_out_everywhere")).one()
    assert (entry.entity_type, entry.entity_id, entry.actor_label) == ("user", alice, "root@example.org")
    assert entry.after == {"sessions_ended": 2}


def test_sign_out_everywhere_needs_the_csrf_token(app: Flask, admin: FlaskClient, alice: int) -> None:
    browser = signed_in(app)
    assert admin.post(f"/staff/admin/users/{alice}/sign-out").status_code == 400
    assert not is_signed_out(browser)


def test_sign_out_everywhere_is_for_administrators_only(app: Flask, db: Database, alice: int) -> None:
    make_user(db, "bob@example.org", roles={"pilot": "evaluator"})
    browser = signed_in(app, "bob@example.org")
    alice_browser = signed_in(app)
    token = csrf_token(browser.get("/staff/").get_data(as_text=True))
    assert browser.post(f"/staff/admin/users/{alice}/sign-out", data={"csrf_token": token}).status_code == 404
    assert not is_signed_out(alice_browser)


def test_a_session_ends_after_its_longest_life_and_old_rows_are_removed(
    app: Flask, db: Database, alice: int
) -> None:
    """The cookie ends a session after 12 hours without use; a session in constant use still
    ends after SESSION_MAX_AGE, and signing in removes the rows that can no longer work."""
    browser = signed_in(app)
    with db.write() as session:
        session.execute(update(StaffSession).values(created_at=utcnow() - accounts.SESSION_MAX_AGE))
    assert is_signed_out(browser)
    fresh = signed_in(app)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(StaffSession)) == 1
    assert not is_signed_out(fresh)


def test_a_cookie_from_before_sessions_were_kept_on_the_server_signs_nobody_in(
    app: Flask, alice: int
) -> None:
    """Until migration 0003 the cookie held "<user id>.<session_version>"; such a value now
    matches no session (everyone signs in once after the upgrade)."""
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"] = f"{alice}.1"
        cookie["_fresh"] = True
    assert is_signed_out(client)
