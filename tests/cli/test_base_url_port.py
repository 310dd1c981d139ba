"""Links follow the port the server runs on (issue 13, defect 8).

``make run PORT=5101`` runs ``feedback run --host 127.0.0.1 --port 5101``; without
FEEDBACK_BASE_URL, the links that leave the browser (resume links, QR codes, the print version's
"answer online" line, reset and mail-merge links) must point at that address, never at :5000 and
never at whatever Host header a request carries. An explicit FEEDBACK_BASE_URL always wins.
The server itself is not started: Flask's ``run_simple`` is replaced by one that keeps the app.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask.cli
import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedback import cli
from feedback.db import Base
from feedback.db.app import EXTENSION
from feedback.db.migrate import record_head
from feedback.domain.loader import load_file
from feedback.services.instruments import save_instrument

ROOT = Path(__file__).resolve().parents[2]
SLUG = "crisp-web-survey"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A fresh instance folder and database for the app ``feedback run`` builds; no base URL."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLASK_SKIP_DOTENV", "1")
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("FEEDBACK_DATABASE_URL", f"sqlite:///{tmp_path / 'feedback.db'}")
    monkeypatch.setenv("FEEDBACK_SECRET_KEY", "test-secret")
    for name in ("FEEDBACK_BASE_URL", "FLASK_RUN_HOST", "FLASK_RUN_PORT", "FLASK_DEBUG"):
        monkeypatch.setenv(name, "x")  # recorded as unset, so the test leaves it as it found it
        monkeypatch.delenv(name)
    return monkeypatch


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, *args: str) -> Iterator[Flask]:
    """``feedback run ARGS`` through the console script's entry point; yields the app it would serve."""
    served: list[tuple[str, int, Flask]] = []
    monkeypatch.setattr(
        flask.cli, "run_simple", lambda host, port, app, **_: served.append((host, port, app))
    )
    monkeypatch.setattr(sys, "argv", ["feedback", "run", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 0
    ((_host, _port, app),) = served
    database = app.extensions[EXTENSION]
    Base.metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        record_head(connection)
    with database.write() as session:
        save_instrument(session, load_file(ROOT / "forms" / f"{SLUG}.yaml"))
    yield app
    database.dispose()


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} on the page"
    return html.unescape(match.group(1))


def resume_link(client: FlaskClient, **headers: str) -> str:
    """Start the survey as a respondent would, then read the link the "saved" page gives."""
    page = client.get(f"/f/{SLUG}", headers=headers).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="start-form"', page)
    assert action, page
    data = {"csrf_token": hidden(page, "csrf_token"), "key": hidden(page, "key")}
    started = client.post(html.unescape(action.group(1)), data=data, headers=headers)
    assert started.status_code == 302, started.get_data(as_text=True)
    first = client.get(started.headers["Location"], headers=headers)
    token = re.search(r"/r/([^/]+)", first.headers["Location"])
    assert token
    saved = client.get(f"/f/{SLUG}/r/{token.group(1)}/saved", headers=headers).get_data(as_text=True)
    link = re.search(r'id="resume-link">([^<]+)<', saved)
    assert link, saved
    return html.unescape(link.group(1))


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_hands_its_host_and_port_to_feedback_run() -> None:
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=5101"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "feedback run --host 127.0.0.1 --port 5101" in dry.stdout
    (line,) = [x for x in dry.stdout.splitlines() if "feedback run" in x]
    assignment = line.split(" .venv/bin/feedback")[0]  # FEEDBACK_BASE_URL="${FEEDBACK_BASE_URL:-...}"
    echo = f'{assignment}; printf %s "$FEEDBACK_BASE_URL"'
    env = {k: v for k, v in os.environ.items() if k != "FEEDBACK_BASE_URL"}
    given = subprocess.run(["sh", "-c", echo], env=env, capture_output=True, text=True, check=True)
    assert given.stdout == "http://127.0.0.1:5101"
    env["FEEDBACK_BASE_URL"] = "https://survey.example.org"
    kept = subprocess.run(["sh", "-c", echo], env=env, capture_output=True, text=True, check=True)
    assert kept.stdout == "https://survey.example.org"  # an explicit address wins


def test_feedback_run_on_another_port_builds_links_to_that_port(environment: pytest.MonkeyPatch) -> None:
    with serving(environment, "--port", "5101") as app:
        assert app.config["FEEDBACK_SETTINGS"].base_url == "http://127.0.0.1:5101"
        client = app.test_client()
        printed = client.get(f"/f/{SLUG}/print").get_data(as_text=True)
        assert f"http://127.0.0.1:5101/f/{SLUG}" in printed and ":5000" not in printed
        assert resume_link(client).startswith(f"http://127.0.0.1:5101/f/{SLUG}/r/")


def test_links_never_come_from_the_request_host_header(environment: pytest.MonkeyPatch) -> None:
    with serving(environment, "--host", "127.0.0.1", "--port", "5101") as app:
        link = resume_link(app.test_client(), Host="evil.example:8080")
        assert link.startswith("http://127.0.0.1:5101/") and "evil.example" not in link


def test_an_explicit_base_url_is_kept_whatever_the_port(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("FEEDBACK_BASE_URL", "https://survey.example.org/")
    with serving(environment, "--port", "5101") as app:
        assert app.config["FEEDBACK_SETTINGS"].base_url == "https://survey.example.org"
        printed = app.test_client().get(f"/f/{SLUG}/print").get_data(as_text=True)
        assert f"https://survey.example.org/f/{SLUG}" in printed and "5101" not in printed


def test_an_ipv6_host_is_bracketed_in_links(environment: pytest.MonkeyPatch) -> None:
    with serving(environment, "--host", "::1", "--port", "5101") as app:
        assert app.config["FEEDBACK_SETTINGS"].base_url == "http://[::1]:5101"
