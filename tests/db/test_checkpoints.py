"""SQLite checkpoints happen outside the writers' queue: every ``CHECKPOINT_EVERY`` commits of a
process, and under Flask only after the response has been sent.

SQLite's automatic checkpoint ran inside the COMMIT that crossed 1,000 log pages, while the
app's write lock was held, so every queued submission waited for it. What a user would notice
here: the submissions reach the database file itself (not only its log) at the checkpoint, and
a log that is never checkpointed cannot grow without end.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from recording import PG, SLUG, answers, load_event_form, sqlite_file
from werkzeug.test import TestResponse

from feedback.config import Settings
from feedback.db import Base
from feedback.db import session as session_module
from feedback.db.app import EXTENSION
from feedback.db.session import Database, make_engine
from feedback.services.instruments import get_instrument
from feedback.services.responses import record_response

pytestmark = pytest.mark.skipif(PG, reason="SQLite only: PostgreSQL checkpoints on its own")


def responses_in_the_file_itself(database_file: Path, tmp_path: Path) -> int:
    """Responses in the main database file, ignoring its log (as a copy of the file alone)."""
    copy = tmp_path / "main-file-only.db"
    shutil.copyfile(database_file, copy)
    connection = sqlite3.connect(copy)
    try:
        return connection.execute("SELECT count(*) FROM responses").fetchone()[0]
    finally:
        connection.close()
        copy.unlink()


def start(client: FlaskClient) -> TestResponse:
    """Press "Start now" on the web survey (CSRF on): one write transaction. The response is
    left open: a WSGI server closes it once it has been sent."""
    page = client.get("/f/crisp-web-survey").get_data(as_text=True)
    fields = dict(re.findall(r'name="(csrf_token|key)" value="([^"]+)"', page))
    response = client.post("/f/crisp-web-survey", data=fields)
    assert response.status_code == 302
    return response


def record(database: Database, marker: str) -> None:
    with database.write() as session:
        record_response(session, get_instrument(session, SLUG), answers(marker))


def test_commits_reach_the_file_at_each_checkpoint(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "CHECKPOINT_EVERY", 3)
    database = Database(make_engine(settings))
    Base.metadata.create_all(database.engine)
    load_event_form(database)
    database.checkpoint()  # counting starts again here
    path = sqlite_file(settings)
    record(database, "a")
    record(database, "b")
    assert responses_in_the_file_itself(path, tmp_path) == 0  # in the log only
    record(database, "c")  # the third commit: due, and checkpointed at once (no Flask to defer it)
    assert responses_in_the_file_itself(path, tmp_path) == 3
    assert not database.checkpoint_due
    for marker in "def":  # SQLite's own checkpoint would not come before 1,000 log pages
        record(database, marker)
    assert responses_in_the_file_itself(path, tmp_path) == 6
    database.dispose()


def test_a_checkpoint_never_waits_for_a_writer(settings: Settings, tmp_path: Path) -> None:
    """PASSIVE: while another program holds the write lock, the checkpoint returns at once."""
    database = Database(make_engine(settings.with_(sqlite_busy_timeout_ms=60_000)))
    Base.metadata.create_all(database.engine)
    load_event_form(database)
    record(database, "a")
    holder = sqlite3.connect(sqlite_file(settings), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        database.checkpoint()  # would hang for the busy timeout if it queued for the lock
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert responses_in_the_file_itself(sqlite_file(settings), tmp_path) == 1
    database.dispose()


def test_under_flask_the_checkpoint_runs_after_the_response(
    app: Flask, loaded_forms, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database: Database = app.extensions[EXTENSION]
    assert database.defer_checkpoints
    database.checkpoint()  # counting starts again here
    monkeypatch.setattr(session_module, "CHECKPOINT_EVERY", 2)
    ran: list[bool] = []
    original = database.checkpoint
    monkeypatch.setattr(database, "checkpoint", lambda: (ran.append(database.checkpoint_due), original()))
    client = app.test_client()
    path = sqlite_file(settings)
    start(client).close()  # one commit
    assert ran == [] and responses_in_the_file_itself(path, tmp_path) == 0
    sent = start(client)  # two: due
    assert ran == [] and responses_in_the_file_itself(path, tmp_path) == 0  # not while responding
    sent.close()
    assert ran == [False]  # once sent; the flag was cleared first, so it runs once
    assert responses_in_the_file_itself(path, tmp_path) == 2
