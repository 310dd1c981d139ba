"""The writers' queue beside a SQLite database (feedback/db/write_lock.py): another process
holding it makes a writer wait, then fail cleanly past the timeout; released, writing goes on."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from recording import PG, SLUG, answers, load_event_form, marker_counts
from sqlalchemy.exc import OperationalError

from feedback.config import Settings
from feedback.db import Base
from feedback.db.session import Database, make_engine
from feedback.services.instruments import get_instrument
from feedback.services.responses import record_response

pytestmark = pytest.mark.skipif(PG, reason="SQLite only: PostgreSQL has its own row locks")

HOLD = """
import fcntl, sys, time
fd = open(sys.argv[1], "a+")
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _database(settings: Settings, timeout_ms: int) -> Database:
    database = Database(make_engine(settings.with_(sqlite_busy_timeout_ms=timeout_ms)))
    Base.metadata.create_all(database.engine)
    return database


def _hold(database: Database, seconds: float) -> subprocess.Popen[str]:
    assert database.write_lock is not None
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(database.write_lock.path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_writer_waits_for_another_process_then_writes(settings: Settings) -> None:
    database = _database(settings, 5000)
    load_event_form(database)
    holder = _hold(database, 0.3)
    began = time.monotonic()
    with database.write() as session:
        record_response(session, get_instrument(session, SLUG), answers("after"))
    waited = time.monotonic() - began
    holder.communicate()
    assert waited >= 0.2  # it queued behind the other process
    assert marker_counts(database) == {"after": 1}
    database.dispose()


def test_past_the_timeout_the_writer_fails_like_sqlite_and_stores_nothing(settings: Settings) -> None:
    database = _database(settings, 100)
    load_event_form(database)
    holder = _hold(database, 2)
    try:
        with pytest.raises(OperationalError, match="database is locked"), database.write() as session:
            record_response(session, get_instrument(session, SLUG), answers("failed"))
    finally:
        holder.kill()
        holder.communicate()
    with database.write() as session:  # the lock died with its process: the queue is free
        record_response(session, get_instrument(session, SLUG), answers("next"))
    assert marker_counts(database) == {"next": 1}
    database.dispose()


def test_threads_of_one_process_take_turns_and_a_nested_write_does_not_wait(settings: Settings) -> None:
    database = _database(settings, 5000)
    load_event_form(database)
    inside: list[int] = []
    overlaps: list[int] = []

    def write(n: int) -> None:
        with database.write() as session:
            inside.append(n)
            if len(inside) > 1:
                overlaps.append(n)
            record_response(session, get_instrument(session, SLUG), answers(f"t{n}"))
            time.sleep(0.01)
            inside.remove(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert marker_counts(database) == {f"t{n}": 1 for n in range(6)}
    assert database.write_lock is not None
    with database.write_lock.held(), database.write_lock.held():  # re-entered, not deadlocked
        pass
    database.dispose()
