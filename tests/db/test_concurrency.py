"""Many writers at once on one database: nothing lost, nothing doubled, never "database is locked".

A conference ends and everyone submits within the same minute: threads stand for the requests of
one server process, spawned processes for gunicorn workers, each with its own engine and pool on
the same database file. Every write goes through ``record_response`` inside ``db.write()``, as a
submission does. Runs on SQLite and, with FEEDBACK_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback
from typing import Any

import pytest
from recording import (
    ANSWERS_PER_RESPONSE,
    load_event_form,
    marker_counts,
    orphan_rows,
    record,
    totals,
)
from sqlalchemy import select

from feedback.config import Settings
from feedback.db import Answer
from feedback.db.session import Database, make_engine

THREADS = 8
PROCESSES = 4
WRITES_EACH = 25


@pytest.fixture
def events_db(db: Database) -> Database:
    load_event_form(db)
    return db


def assert_stored_exactly_once(db: Database, acknowledged: list[str]) -> None:
    counts = marker_counts(db)
    assert len(acknowledged) == len(set(acknowledged))
    assert counts == dict.fromkeys(acknowledged, 1)
    assert totals(db) == (len(acknowledged), len(acknowledged) * ANSWERS_PER_RESPONSE)
    assert set(orphan_rows(db).values()) <= {0}


def test_threads_writing_at_once_all_succeed(events_db: Database) -> None:
    start = threading.Barrier(THREADS)
    acknowledged: list[str] = []
    errors: list[str] = []

    def submit(worker: int) -> None:
        start.wait()
        for i in range(WRITES_EACH):
            marker = f"thread-{worker}-{i}"
            try:
                record(events_db, marker)
            except Exception:  # noqa: BLE001 - every failure is a finding, reported below
                errors.append(traceback.format_exc(limit=1))
            else:
                acknowledged.append(marker)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(acknowledged) == THREADS * WRITES_EACH
    assert_stored_exactly_once(events_db, acknowledged)


def _process_writer(settings: Settings, worker: int, start: Any, results: Any) -> None:
    """A gunicorn worker's life in miniature: own engine, wait for the others, submit, report."""
    database = Database(make_engine(settings))
    acknowledged: list[str] = []
    errors: list[str] = []
    start.wait()
    for i in range(WRITES_EACH):
        marker = f"process-{worker}-{i}"
        try:
            record(database, marker)
        except Exception:  # noqa: BLE001 - every failure is a finding, reported by the test
            errors.append(traceback.format_exc(limit=1))
        else:
            acknowledged.append(marker)
    database.dispose()
    results.put((acknowledged, errors))


@pytest.mark.slow  # spawning processes that import the app: seconds, more on a busy machine
def test_processes_writing_at_once_all_succeed(events_db: Database, settings: Settings) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=_process_writer, args=(settings, n, start, results)) for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    acknowledged = [marker for done, _ in reports for marker in done]
    errors = [error for _, failed in reports for error in failed]
    assert errors == []
    assert len(acknowledged) == PROCESSES * WRITES_EACH
    assert_stored_exactly_once(events_db, acknowledged)


def test_a_long_read_does_not_block_writers(events_db: Database, settings: Settings) -> None:
    """An export streams rows inside one read transaction; submissions go on meanwhile, and the
    export sees the database as it was when it started (one consistent snapshot)."""
    for i in range(30):
        record(events_db, f"before-{i}")
    # A writer that gives up after half a second, so being blocked fails the test quickly.
    impatient = Database(make_engine(settings.with_(sqlite_busy_timeout_ms=500)))
    try:
        with events_db.read() as export:
            rows = export.execute(select(Answer.value).order_by(Answer.id).execution_options(yield_per=10))
            first = rows.fetchmany(10)
            for i in range(5):
                record(impatient, f"during-{i}")
            seen = len(first) + len(rows.fetchall())
        assert seen == 30 * ANSWERS_PER_RESPONSE
        assert len(marker_counts(events_db)) == 35
    finally:
        impatient.dispose()

