"""Signing in and out, passwords, reset links, cookies and security headers, as a browser sees them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from staff_helpers import PASSWORD, csrf_token, login, make_project, make_user, page_token
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback import create_app
from feedback.config import Settings
from feedback.db.accounts import PasswordReset, User
from feedback.db.app import EXTENSION
from feedback.db.base import utcnow
from feedback.db.session import Database
from feedback.services import accounts
from feedback.web.ratelimit import EXTENSION as LIMITS
from feedback.web.ratelimit import RateLimiter

NEW_PASSWORD = "a different long passphrase"
pytestmark = pytest.mark.usefixtures("fast_hashing")


@pytest.fixture
def alice(db: Database) -> int:
    make_project(db, "pilot")
    return make_user(db, "alice@example.org", roles={"pilot": "evaluator"})


def _reset_token(db: Database, email: str) -> str:
    with db.write() as session:
        return accounts.create_reset_token(session, accounts.require_user(session, email))


def test_sign_in_lands_on_the_dashboard_and_sign_out_needs_a_post(client: FlaskClient, alice: int) -> None:
    response = login(client, "Alice@Example.org ")  # e-mail as typed: case and spaces do not matter
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200 and "Pilot" in home.get_data(as_text=True)

    assert client.get("/staff/logout").status_code == 405
    token = csrf_token(home.get_data(as_text=True))
    assert client.post("/staff/logout", data={"csrf_token": token}).headers["Location"] == "/staff/login"
    after = client.get("/staff/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/staff/login")


def test_logout_without_csrf_token_is_refused(client: FlaskClient, alice: int) -> None:
    login(client, "alice@example.org")
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200  # still signed in


def test_wrong_password_says_so_without_telling_which_part_is_wrong(client: FlaskClient, alice: int) -> None:
    wrong = login(client, "alice@example.org", "not the password at all")
    unknown = login(client, "nobody@example.org", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Enter a correct e-mail address and password" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(
    client: FlaskClient, alice: int
) -> None:
    first = client.get("/staff/projects/pilot")
    assert first.status_code == 302 and "next=" in first.headers["Location"]
    token = page_token(client)
    data = {"csrf_token": token, "email": "alice@example.org", "password": PASSWORD}
    assert client.post("/staff/login?next=/staff/projects/pilot", data=data).headers["Location"] == (
        "/staff/projects/pilot"
    )
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        other = client.application.test_client()
        data["csrf_token"] = page_token(other)
        response = other.post("/staff/login", query_string={"next": target}, data=data)
        assert response.headers["Location"] == "/staff/"


def test_failed_logins_are_limited_per_account_and_address(
    app: Flask, client: FlaskClient, alice: int
) -> None:
    app.extensions[LIMITS]["login"] = RateLimiter(3, 900)
    for _ in range(3):
        assert login(client, "alice@example.org", "wrong password guess").status_code == 200
    blocked = login(client, "alice@example.org")  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert 0 < int(blocked.headers["Retry-After"]) <= 900
    assert client.get("/staff/").status_code == 302
    # Another address is not locked out by the guessing from the first one.
    assert login(client, "alice@example.org", REMOTE_ADDR="10.0.0.9").status_code == 302


def test_reset_link_sets_a_password_once(app: Flask, client: FlaskClient, db: Database, alice: int) -> None:
    token = _reset_token(db, "alice@example.org")
    url = f"/staff/reset/{token}"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    done = client.post(url, data=data)
    assert done.status_code == 302 and done.headers["Location"] == "/staff/login"
    assert login(app.test_client(), "alice@example.org", NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), "alice@example.org", PASSWORD).status_code == 200  # the old one is gone
    again = client.get(url)
    assert again.status_code == 404 and "expired or has already been used" in again.get_data(as_text=True)


def test_reset_link_refuses_a_short_password_and_stays_usable(
    client: FlaskClient, db: Database, alice: int
) -> None:
    url = f"/staff/reset/{_reset_token(db, 'alice@example.org')}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    short = client.post(url, data={"csrf_token": token, "password": "short", "confirm": "short"})
    assert short.status_code == 200 and "at least 12 characters" in short.get_data(as_text=True)
    assert client.get(url).status_code == 200


def test_expired_reset_link_does_not_work(client: FlaskClient, db: Database, alice: int) -> None:
    token = _reset_token(db, "alice@example.org")
    with db.write() as session:
        session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(minutes=1)))
    assert client.get(f"/staff/reset/{token}").status_code == 404


def test_guessing_reset_links_is_limited(app: Flask, client: FlaskClient, db: Database, alice: int) -> None:
    app.extensions[LIMITS]["token"] = RateLimiter(3, 900)
    for n in range(3):
        assert client.get(f"/staff/reset/guess{n}").status_code == 404
    real = _reset_token(db, "alice@example.org")
    assert client.get(f"/staff/reset/{real}").status_code == 429
    # Guessing links does not stop anyone signing in: the limiters are separate.
    assert login(client, "alice@example.org").status_code == 302


def test_reset_link_is_built_from_base_url_whatever_the_host_header(
    app: Flask, client: FlaskClient, db: Database, alice: int
) -> None:
    make_user(db, "admin@example.org", admin=True)
    evil = "http://evil.example"  # every request arrives with this Host header
    token = csrf_token(client.get("/staff/login", base_url=evil).get_data(as_text=True))
    data = {"csrf_token": token, "email": "admin@example.org", "password": PASSWORD}
    assert client.post("/staff/login", data=data, base_url=evil).status_code == 302
    page = client.get(f"/staff/admin/users/{alice}", base_url=evil)
    token = csrf_token(page.get_data(as_text=True))
    shown = client.post(
        f"/staff/admin/users/{alice}/reset-link",
        data={"csrf_token": token},
        base_url=evil,
        headers={"X-Forwarded-Host": "evil.example"},
    ).get_data(as_text=True)
    base = app.config["FEEDBACK_SETTINGS"].base_url
    assert f"{base}/staff/reset/" in shown and "evil.example" not in shown


def test_change_password_keeps_this_session_and_ends_the_others(
    app: Flask, client: FlaskClient, alice: int
) -> None:
    other = app.test_client()
    login(other, "alice@example.org")
    login(client, "alice@example.org")
    form = client.get("/staff/password")
    token = csrf_token(form.get_data(as_text=True))
    wrong = client.post(
        "/staff/password",
        data={
            "csrf_token": token,
            "current": "not it at all",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert "current password is not correct" in wrong.get_data(as_text=True)
    done = client.post(
        "/staff/password",
        data={"csrf_token": token, "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert other.get("/staff/").status_code == 302  # the other browser is signed out
    assert login(app.test_client(), "alice@example.org", NEW_PASSWORD).status_code == 302


def test_inactive_user_cannot_sign_in(client: FlaskClient, db: Database, alice: int) -> None:
    with db.write() as session:
        session.execute(update(User).values(active=False))
    assert login(client, "alice@example.org").status_code == 200
    assert client.get("/staff/").status_code == 302


def test_session_cookie_is_secure_httponly_and_lax_outside_testing(settings: Settings, alice: int) -> None:
    # Same database as the `alice` fixture's app; an https address, as any real deployment has.
    app = create_app(settings.with_(testing=False, base_url="https://feedback.example.org"))
    try:
        response = login(app.test_client(), "alice@example.org")
    finally:
        app.extensions[EXTENSION].dispose()
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_plain_http_site_keeps_its_cookie_usable(settings: Settings, alice: int) -> None:
    """`make run` (http://127.0.0.1:5000, no debug): a Secure cookie would never come back."""
    app = create_app(settings.with_(testing=False))
    try:
        response = login(app.test_client(), "alice@example.org")
    finally:
        app.extensions[EXTENSION].dispose()
    assert response.status_code == 302 and "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_cookie_is_not_secure_in_testing_so_http_works(client: FlaskClient, alice: int) -> None:
    cookie = login(client, "alice@example.org").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


@pytest.mark.parametrize("path", ["/", "/staff/login", "/healthz"])
def test_security_headers_on_both_faces(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_every_script_tag_carries_the_nonce_of_the_policy(client: FlaskClient) -> None:
    import re

    response = client.get("/staff/login")
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce
    scripts = re.findall(r"<script[^>]*>", response.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce.group(1)}"' in tag for tag in scripts)


def test_staff_pages_are_not_cached(client: FlaskClient, alice: int) -> None:
    login(client, "alice@example.org")
    assert client.get("/staff/").headers["Cache-Control"] == "no-store"


def test_passwords_are_stored_as_argon2id_hashes(db: Database, alice: int) -> None:
    with db.read() as session:
        stored = session.scalar(select(User.password_hash).where(User.id == alice))
    assert stored and stored.startswith("$argon2id$") and PASSWORD not in stored
