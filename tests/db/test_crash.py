"""Crash safety: a process killed in the middle of writing a response leaves all or nothing.

A child process (``python -c``, its own engine on the same database) commits one response, then
starts a second and stops at a chosen point inside the transaction, waiting on its stdin; the test
kills it with SIGKILL there, so the kill lands mid-transaction every time. Afterwards the database
holds the committed response whole, nothing of the killed one, no orphan rows, and (SQLite)
passes ``integrity_check`` and ``foreign_key_check``; the next writer is not kept waiting by a
lock the dead process held.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from recording import (
    ANSWERS_PER_RESPONSE,
    PG,
    load_event_form,
    marker_counts,
    orphan_rows,
    record,
    sqlite_checks,
    sqlite_file,
    totals,
)

from feedback.config import Settings
from feedback.db.session import Database, make_engine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: The child: commit one response, then begin another and block at STAGE until killed.
CHILD = """
import json, sys
sys.path.insert(0, {here!r})
from pathlib import Path
from feedback.config import Settings
from feedback.db.session import Database, make_engine
from feedback.services import responses
from feedback.services.instruments import get_instrument
from recording import SLUG, answers, record

config = json.loads(sys.argv[1])
settings = Settings(instance_path=Path(config["instance"]), database_url=config["url"],
                    secret_key="x", database_schema=config["schema"])
db = Database(make_engine(settings))
record(db, "committed-by-child")

def stop(where):
    print(where, flush=True)
    sys.stdin.read()  # the parent kills us here
    sys.exit("not killed")

if config["stage"] == "response":
    # Inside record_response: the response row is flushed, its answers not yet written.
    responses.write_answers = lambda *args, **kwargs: stop("response flushed")
with db.write() as session:
    responses.record_response(session, get_instrument(session, SLUG), answers("killed"))
    stop("response and answers flushed")
"""


@pytest.mark.parametrize("stage", ["response", "answers"])
def test_kill_mid_transaction_leaves_all_or_nothing(db: Database, settings: Settings, stage: str) -> None:
    load_event_form(db)
    record(db, "committed-before")
    config = {
        "instance": str(settings.instance_path),
        "url": settings.database_url,
        "schema": settings.database_schema,
        "stage": stage,
    }
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(here=str(HERE)), json.dumps(config)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline().strip()  # type: ignore[union-attr]
        assert line.endswith("flushed"), child.stderr.read()  # type: ignore[union-attr]
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()

    assert marker_counts(db) == {"committed-before": 1, "committed-by-child": 1}
    assert totals(db) == (2, 2 * ANSWERS_PER_RESPONSE)
    assert set(orphan_rows(db).values()) <= {0}
    # The dead process's lock is gone: a writer that waits at most two seconds gets through.
    impatient = Database(make_engine(settings.with_(sqlite_busy_timeout_ms=2000)))
    try:
        record(impatient, "after")
    finally:
        impatient.dispose()
    assert marker_counts(db)["after"] == 1
    if not PG:
        db.dispose()
        assert sqlite_checks(sqlite_file(settings)) == ("ok", [])
