"""Helpers shared by the reliability tests (concurrency, crash, backup): one small instrument and
a way to record a response that can be found again by a marker in its answers.

Plain functions, not fixtures, so that child processes (multiprocessing spawn, ``python -c``) can
import them too. The marker goes into the free-text question ``most_useful``: counting answers by
marker proves a response was stored exactly once, with its answers.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from feedback.config import Settings
from feedback.db import Answer, Base, Question, Response
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services.instruments import get_instrument, save_instrument
from feedback.services.responses import record_response

ROOT = Path(__file__).resolve().parents[2]
EVENT_FORM = ROOT / "forms" / "pirr-event-feedback.yaml"
SLUG = "pirr-event-feedback"
#: Answers per response recorded by :func:`answers` (one row per value).
ANSWERS_PER_RESPONSE = 5
PG = bool(os.environ.get("FEEDBACK_TEST_DATABASE_URL"))


def load_event_form(db: Database) -> None:
    with db.write() as session:
        save_instrument(session, load_file(EVENT_FORM))


def answers(marker: str) -> dict[str, object]:
    return {
        "event_type": "conference",
        "overall_rating": "good",
        "usefulness": "very_useful",
        "most_useful": marker,
        "will_use": "yes",
    }


def record(db: Database, marker: str) -> int:
    """Record one complete response in its own write transaction; its id once committed.

    Looks the instrument up inside the transaction, as a web request does, so a writer that
    started with a deferred BEGIN would read before it writes.
    """
    with db.write() as session:
        instrument = get_instrument(session, SLUG)
        response = record_response(session, instrument, answers(marker))
        response_id = response.id
    return response_id


def marker_counts(db: Database) -> dict[str, int]:
    """How many answers carry each marker (1 per stored response)."""
    with db.read() as session:
        rows = session.execute(
            select(Answer.value, func.count())
            .join(Question, Question.id == Answer.question_id)
            .where(Question.name == "most_useful")
            .group_by(Answer.value)
        )
        return {value: count for value, count in rows}


def totals(db: Database) -> tuple[int, int]:
    """(responses, answers) in the database."""
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(Response)) or 0,
            session.scalar(select(func.count()).select_from(Answer)) or 0,
        )


def orphan_rows(db: Database) -> dict[str, int]:
    """Rows, in every table that points at ``responses``, whose response does not exist."""
    found: dict[str, int] = {}
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table.name != "responses":
                    continue
                column = fk.parent
                found[table.name] = session.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(column.is_not(None), ~column.in_(select(Response.id)))
                ) or 0
    return found


def sqlite_file(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    assert database, settings.database_url
    return Path(database)


def sqlite_checks(path: Path) -> tuple[str, list[object]]:
    """(``PRAGMA integrity_check``, rows of ``PRAGMA foreign_key_check``) on a SQLite file."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    return integrity, foreign


__all__ = [
    "ANSWERS_PER_RESPONSE",
    "PG",
    "SLUG",
    "answers",
    "load_event_form",
    "marker_counts",
    "orphan_rows",
    "record",
    "sqlite_checks",
    "sqlite_file",
    "totals",
]
