"""Rate limits kept in the database: they hold across workers, count only wrong links, and key
the client by the address the trusted proxies saw (issue 16, items 2 and 8).

Two ``create_app`` on one database are two workers: before the limits were shared, each had its
own counts in memory, so every one of these tests that uses two apps failed.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from respond_support import start, text
from sqlalchemy import select
from staff_helpers import PASSWORD, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback import create_app
from feedback.config import Settings, from_env
from feedback.db import Activity, Case, Contact, Instrument, Project
from feedback.db.app import EXTENSION
from feedback.db.ratelimits import RateLimitHit, count_rows
from feedback.db.session import Database
from feedback.web.ratelimit import SharedRateLimiter

pytestmark = pytest.mark.usefixtures("fast_hashing")

SLUG = "crisp-web-survey"
WRONG = "not the password at all"


def _second_app(settings: Settings) -> Iterator[Flask]:
    other = create_app(settings)
    yield other
    other.extensions[EXTENSION].dispose()


@pytest.fixture
def worker_b(app: Flask, settings: Settings) -> Iterator[Flask]:
    """A second worker on the same database as ``app`` (whose fixture made the tables)."""
    yield from _second_app(settings)


@pytest.fixture
def alice(db: Database) -> str:
    make_project(db, "pilot")
    make_user(db, "alice@example.org", roles={"pilot": "evaluator"})
    return "alice@example.org"


# --------------------------------------------------------------------------- sign-in


def test_failed_sign_ins_through_one_worker_count_in_another(
    client: FlaskClient, worker_b: Flask, alice: str
) -> None:
    for _ in range(5):
        response = login(client, alice, WRONG)
        assert response.status_code == 200 and "Enter a correct" in text(response)
    refused = login(worker_b.test_client(), alice, PASSWORD)  # even the right password waits now
    assert refused.status_code == 429 and "Too many failed attempts" in text(refused)
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # Another address is not held back by the first one's guessing, on either worker.
    assert login(worker_b.test_client(), alice, REMOTE_ADDR="10.0.0.9").status_code == 302


#: Run in another Python process: one more wrong password through a worker of its own.
SIXTH_ATTEMPT = """
import json, re, sys
from pathlib import Path
from feedback import create_app
from feedback.config import Settings
given = json.loads(sys.argv[1])
settings = Settings(
    instance_path=Path(given["instance_path"]), database_url=given["database_url"],
    secret_key=given["secret_key"], testing=True, database_schema=given["database_schema"],
)
client = create_app(settings).test_client()
page = client.get("/staff/login").get_data(as_text=True)
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
data = {"csrf_token": token, "email": given["email"], "password": given["password"]}
print(client.post("/staff/login", data=data).status_code)
"""


def test_the_sign_in_limit_holds_in_another_process(
    client: FlaskClient, settings: Settings, alice: str
) -> None:
    for _ in range(5):
        assert login(client, alice, WRONG).status_code == 200
    given = {
        "instance_path": str(settings.instance_path / "worker-b"),
        "database_url": settings.database_url,
        "secret_key": settings.secret_key,
        "database_schema": settings.database_schema,
        "email": alice,
        "password": PASSWORD,
    }
    done = subprocess.run(  # noqa: S603 -- our own interpreter and script
        [sys.executable, "-c", SIXTH_ATTEMPT, json.dumps(given)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "429"


def test_a_successful_sign_in_forgets_the_failures_for_every_worker(
    client: FlaskClient, worker_b: Flask, alice: str
) -> None:
    for _ in range(4):
        login(client, alice, WRONG)
    assert login(worker_b.test_client(), alice).status_code == 302
    for _ in range(4):
        assert login(client, alice, WRONG).status_code == 200  # four more: not five in a row
    assert login(worker_b.test_client(), alice).status_code == 302


def test_the_buckets_hold_no_address_or_e_mail(db: Database, client: FlaskClient, alice: str) -> None:
    login(client, alice, WRONG, REMOTE_ADDR="10.0.0.9")
    client.get("/e/no-such-code", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    with db.read() as session:
        rows = session.scalars(select(RateLimitHit)).all()
    assert sorted(row.kind for row in rows) == ["login", "token"]
    for row in rows:
        assert len(row.key_hash) == 64 and int(row.key_hash, 16) >= 0
        assert "10.0.0.9" not in row.key_hash and "alice" not in row.key_hash


# --------------------------------------------------------------------------- respondents' links


def _invite(db: Database) -> str:
    token = secrets.token_urlsafe(32)
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        assert instrument is not None
        contact = Contact(project_id=instrument.project_id, name="Ada", email="ada@example.org")
        session.add(contact)
        session.flush()
        session.add(Case(instrument_id=instrument.id, contact_id=contact.id, token=token))
    return token


def _event(db: Database, code: str = "pirr-sent1") -> str:
    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "pirr"))
        assert project is not None
        session.add(
            Activity(
                project_id=project.id, title="Training day", short_code=code, starts_on=date(2026, 3, 14)
            )
        )
    return code


def _wrong_links(n: int) -> list[str]:
    """``n`` guesses of every kind: resume tokens, invitation tokens and event codes."""
    kinds = [
        lambda i: f"/f/{SLUG}/r/guess-{i}",
        lambda i: f"/f/{SLUG}?t=guess-{i}",
        lambda i: f"/e/guess-{i}",
        lambda i: f"/f/{SLUG}/r/guess-{i}/p/1",
    ]
    return [kinds[i % len(kinds)](i) for i in range(n)]


def test_guessing_links_is_limited_but_a_right_link_always_answers(
    client: FlaskClient, loaded_forms, db: Database
) -> None:
    first_page = start(client, f"/f/{SLUG}")  # a respondent's own resume link, from this address
    invitation, code = _invite(db), _event(db)
    for path in _wrong_links(20):
        response = client.get(path)
        assert response.status_code == 404 and "Page not found" in text(response), path
    blocked = client.get(f"/f/{SLUG}/r/one-more-guess")
    assert blocked.status_code == 429
    assert "Too many links not found" in text(blocked) and "Wait 15 minutes" in text(blocked)
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    welsh = client.get(f"/f/{SLUG}/r/one-more-guess?lang=cy")  # the page speaks the respondent's language
    assert welsh.status_code == 429 and "Gormod o ddolenni heb eu canfod" in text(welsh)
    assert "Arhoswch 15 munud" in text(welsh)
    assert client.get(f"/f/{SLUG}/r/one-more-guess?lang=en").status_code == 429  # back to English
    assert client.get("/e/another-guess").status_code == 429
    assert client.post("/e/another-guess", data={"key": "k" * 43}).status_code == 429  # no CSRF token either

    # The same address with right links: the resume link, an invitation, an event code, its QR code.
    assert client.get(first_page).status_code == 200
    assert client.get(first_page.rsplit("/p/", 1)[0]).status_code == 302
    assert "Start now" in text(client.get(f"/f/{SLUG}?t={invitation}"))
    assert client.get(f"/e/{code}").status_code == 200
    assert client.get(f"/e/{code}/qr.svg").status_code == 200
    assert start(client, f"/e/{code}")  # and can start and answer it
    # Another address guessing for the first time gets the ordinary page.
    assert client.get("/e/guess", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404


def test_right_links_are_never_counted(client: FlaskClient, loaded_forms, db: Database) -> None:
    first_page = start(client, f"/f/{SLUG}")
    code = _event(db)
    for _ in range(30):
        assert client.get(first_page).status_code == 200
        assert client.get(f"/e/{code}").status_code == 200
    assert client.get("/f/no-such-form").status_code == 404  # a slug is no secret: not counted
    assert client.get(f"/f/{SLUG}/r/guess").status_code == 404
    with db.read() as session:
        assert count_rows(session, "token") == 1


def test_guesses_through_two_workers_share_one_bucket(
    client: FlaskClient, worker_b: Flask, loaded_forms
) -> None:
    other = worker_b.test_client()
    for n, path in enumerate(_wrong_links(20)):
        assert (client if n % 2 else other).get(path).status_code == 404
    assert client.get("/e/guess").status_code == 429
    assert other.get("/e/guess").status_code == 429


def test_a_staff_reset_link_guess_counts_in_the_same_bucket_but_never_stops_sign_in(
    client: FlaskClient, loaded_forms, alice: str
) -> None:
    for n in range(10):
        assert client.get(f"/staff/reset/guess-{n}").status_code == 404
    for path in _wrong_links(10):
        assert client.get(path).status_code == 404
    assert client.get("/e/guess").status_code == 429
    assert client.get("/staff/reset/guess").status_code == 429
    assert login(client, alice).status_code == 302


def test_one_ipv6_network_is_one_address(client: FlaskClient, loaded_forms) -> None:
    for n, path in enumerate(_wrong_links(20)):
        assert client.get(path, environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{n + 1:x}"}).status_code == 404
    assert client.get("/e/g", environ_base={"REMOTE_ADDR": "2001:db8:1:2:ffff::1"}).status_code == 429
    assert client.get("/e/g", environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}).status_code == 404


# --------------------------------------------------------------------------- trusted proxies


def _guess_from(client: FlaskClient, forwarded: str, n: int = 20) -> None:
    for path in _wrong_links(n):
        client.get(path, headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "10.0.0.1"})


def _status(client: FlaskClient, forwarded: str) -> int:
    return client.get(
        "/e/guess", headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    ).status_code


def test_behind_one_trusted_proxy_the_forwarded_address_decides_the_bucket(
    app: Flask, settings: Settings, loaded_forms
) -> None:
    for proxied in _second_app(settings.with_(trusted_proxies=1)):
        client = proxied.test_client()
        _guess_from(client, "203.0.113.7")
        assert _status(client, "203.0.113.7") == 429
        # What the client itself put in front of the proxy's entry does not move it to another bucket.
        assert _status(client, "198.51.100.1, 203.0.113.7") == 429
        assert _status(client, "203.0.113.8") == 404  # another client behind the same proxy


def test_without_trusted_proxies_x_forwarded_for_is_ignored(client: FlaskClient, loaded_forms) -> None:
    _guess_from(client, "203.0.113.7")
    assert _status(client, "203.0.113.8") == 429  # every guess came from 10.0.0.1


def test_trusted_proxies_setting_is_read_and_checked() -> None:
    base = {"FEEDBACK_SECRET_KEY": "x", "FEEDBACK_INSTANCE_PATH": "/tmp/feedback-settings-test"}
    assert from_env(base).trusted_proxies == 0
    assert from_env({**base, "FEEDBACK_TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    with pytest.raises(ValueError, match="FEEDBACK_TRUSTED_PROXIES"):
        from_env({**base, "FEEDBACK_TRUSTED_PROXIES": "yes"})


# --------------------------------------------------------------------------- the limiter itself


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_old_rows_are_cleaned_up(db: Database) -> None:
    clock = Clock()
    limiter = SharedRateLimiter("token", 3, 60, database=lambda: db, secret="s", clock=clock)
    for _ in range(3):
        assert not limiter.blocked("k")
        limiter.fail("k")
        clock.now += 10
    assert limiter.blocked("k") and limiter.retry_after("k") == 30  # the first failure ages out at +60
    clock.now += 31
    assert not limiter.blocked("k") and limiter.retry_after("k") == 0
    limiter.fail("k")
    assert limiter.blocked("k")
    assert not limiter.blocked("other") and not limiter.blocked(("k",))  # keys are their own buckets
    clock.now += 600
    limiter.fail("new")  # a recording past the cleanup interval deletes the expired rows
    with db.read() as session:
        assert count_rows(session, "token") == 1
    limiter.reset("new")
    with db.read() as session:
        assert count_rows(session) == 0
