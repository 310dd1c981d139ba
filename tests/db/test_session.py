"""The session factory's promises: writers take SQLite's write lock up front, every connection
gets the PRAGMAs, and a failed write transaction leaves nothing behind on its pooled connection.

SQLite-specific tests are skipped on PostgreSQL (FEEDBACK_TEST_DATABASE_URL); the failed-write
tests run on both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from recording import PG, SLUG, answers, load_event_form, marker_counts, sqlite_file, totals
from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from feedback.config import Settings
from feedback.db import Answer, Base, Response
from feedback.db.session import Database, DatabaseSettingsError, ReadOnlySession, make_engine
from feedback.services.instruments import get_instrument
from feedback.services.responses import record_response

sqlite_only = pytest.mark.skipif(
    PG, reason="SQLite-specific: BEGIN IMMEDIATE, PRAGMAs and file locks; PostgreSQL needs none of them"
)


@pytest.fixture
def traced(settings: Settings) -> Iterator[tuple[Database, list[str]]]:
    """A fresh Database whose SQLite connections report every statement SQLite runs."""
    database = Database(make_engine(settings.with_(sqlite_synchronous="FULL", sqlite_busy_timeout_ms=1234)))
    statements: list[str] = []

    @event.listens_for(database.engine, "connect")
    def _trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    yield database, statements
    database.dispose()


@pytest.fixture
def events_db(db: Database) -> Database:
    load_event_form(db)
    return db


def begins(statements: list[str]) -> list[str]:
    return [s for s in statements if s.upper().startswith("BEGIN")]


def other_writer_can_lock(settings: Settings) -> bool:
    """Whether a second, impatient connection can take the write lock right now."""
    other = sqlite3.connect(sqlite_file(settings), timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        other.close()


@sqlite_only
def test_writer_begins_immediate_and_holds_the_write_lock(traced, settings: Settings) -> None:
    database, statements = traced
    with database.write() as session:
        session.execute(text("SELECT 1"))
        assert begins(statements) == ["BEGIN IMMEDIATE"]
        # The lock is taken before anything is written: a second writer has to queue.
        assert not other_writer_can_lock(settings)
    assert other_writer_can_lock(settings)


@sqlite_only
def test_reader_begins_deferred_and_leaves_the_write_lock_free(traced, settings: Settings) -> None:
    database, statements = traced
    with database.read() as session:
        session.execute(text("SELECT 1"))
        assert begins(statements) == ["BEGIN"]
        assert other_writer_can_lock(settings)


def _pragmas(connection: Any) -> tuple[str, int, int, int]:
    return (
        connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
        connection.exec_driver_sql("PRAGMA busy_timeout").scalar(),
        connection.exec_driver_sql("PRAGMA foreign_keys").scalar(),
        connection.exec_driver_sql("PRAGMA synchronous").scalar(),
    )


@sqlite_only
def test_every_new_connection_gets_the_pragmas(traced) -> None:
    database, _ = traced
    expected = ("wal", 1234, 1, 2)  # synchronous FULL is 2
    write_bind: Engine = database.writer.kw["bind"]
    # Three connections open at once are three DBAPI connections, each set up on connect.
    with database.engine.connect() as a, database.engine.connect() as b, write_bind.connect() as c:
        ids = {id(x.connection.dbapi_connection) for x in (a, b, c)}
        assert len(ids) == 3
        assert [_pragmas(x) for x in (a, b, c)] == [expected] * 3
    database.engine.dispose()  # a recreated pool keeps the listeners
    with write_bind.connect() as d:
        assert _pragmas(d) == expected


@sqlite_only
def test_option_engines_share_pool_and_listeners(traced) -> None:
    database, statements = traced
    write_bind: Engine = database.writer.kw["bind"]
    assert write_bind is not database.engine and write_bind.pool is database.engine.pool
    # An option-engine made later (as a caller might, e.g. for stream_results) behaves the same.
    streaming = database.engine.execution_options(stream_results=True)
    late: list[str] = []
    event.listen(database.engine, "begin", lambda conn: late.append("begin"))
    with streaming.begin() as connection:
        assert _pragmas(connection)[0] == "wal"
    with streaming.execution_options(sqlite_immediate=True).begin() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert begins(statements) == ["BEGIN", "BEGIN IMMEDIATE"]
    assert late == ["begin", "begin"]  # listeners added to the engine afterwards reach them too


@pytest.mark.parametrize("value", ["OFF", "fast", ""])
def test_unsafe_or_unknown_synchronous_is_refused(settings: Settings, value: str) -> None:
    sqlite_settings = settings.with_(database_url=f"sqlite:///{settings.instance_path / 'x.db'}")
    with pytest.raises(DatabaseSettingsError, match="FEEDBACK_SQLITE_SYNCHRONOUS must be one of"):
        make_engine(sqlite_settings.with_(sqlite_synchronous=value))


@sqlite_only
def test_synchronous_is_case_insensitive(settings: Settings) -> None:
    engine = make_engine(settings.with_(sqlite_synchronous="extra"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 3
    engine.dispose()


def test_postgres_urls_use_psycopg(settings: Settings) -> None:
    engine = make_engine(settings, "postgres://u:p@127.0.0.1:1/x")
    assert engine.url.drivername == "postgresql+psycopg"
    pool: Any = engine.pool
    assert (pool.size(), pool._max_overflow) == (settings.pool_size, settings.max_overflow)
    engine.dispose()


def _one_connection(database: Database) -> Any:
    with database.engine.connect() as connection:
        return connection.connection.dbapi_connection


def test_a_block_that_raises_after_flush_stores_nothing(events_db: Database) -> None:
    with pytest.raises(RuntimeError), events_db.write() as session:
        record_response(session, get_instrument(session, SLUG), answers("failed"))
        session.flush()
        raise RuntimeError("the request failed after the response was flushed")
    with events_db.write() as session:
        record_response(session, get_instrument(session, SLUG), answers("next"))
    assert marker_counts(events_db) == {"next": 1}
    assert totals(events_db) == (1, 5)


@sqlite_only
def test_a_failed_commit_is_not_committed_by_the_next_transaction(events_db: Database) -> None:
    """SQLite keeps a transaction open when COMMIT fails on a deferred foreign key; if nothing
    rolled it back, the next request on the same pooled connection would commit its rows."""
    first = _one_connection(events_db)
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), events_db.write() as session:
        session.execute(text("PRAGMA defer_foreign_keys=ON"))
        record_response(session, get_instrument(session, SLUG), answers("failed"))
        question_id = session.scalar(select(Answer.question_id).limit(1))
        session.execute(insert(Answer), [{"response_id": 10**9, "question_id": question_id, "value": "x"}])
    assert _one_connection(events_db) is first and not first.in_transaction
    with events_db.write() as session:
        assert session.connection().connection.dbapi_connection is first
        record_response(session, get_instrument(session, SLUG), answers("next"))
    assert marker_counts(events_db) == {"next": 1}
    assert totals(events_db) == (1, 5)


@sqlite_only
def test_a_lock_timeout_fails_cleanly_and_the_pool_recovers(settings: Settings) -> None:
    """With a tiny busy_timeout, a writer that cannot get the lock fails with a clear error,
    writes nothing, and the same pool works once the lock is free."""
    database = Database(make_engine(settings.with_(sqlite_busy_timeout_ms=50)))
    Base.metadata.create_all(database.engine)
    load_event_form(database)
    holder = sqlite3.connect(sqlite_file(settings), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"), database.write() as session:
            record_response(session, get_instrument(session, SLUG), answers("failed"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with database.write() as session:
        record_response(session, get_instrument(session, SLUG), answers("next"))
    assert marker_counts(database) == {"next": 1}
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1
    database.dispose()


@pytest.mark.skipif(not PG, reason="PostgreSQL only: SQLite has no server to lose connections to")
def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feedback.db import session as session_module

    database = Database(make_engine(settings))
    with database.engine.connect() as connection:
        victim = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    outsider = make_engine(settings)
    with outsider.connect() as killer:  # as a database restart or a firewall would
        killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(victim)})")
        killer.commit()
    outsider.dispose()
    monkeypatch.setattr(session_module, "PING_IDLE_AFTER", 0.0)  # every pooled connection is "idle"
    for _ in range(3):  # whichever connection the pool hands out, the query works
        with database.read() as session:
            assert session.scalar(text("SELECT 1")) == 1
            assert session.scalar(text("SELECT pg_backend_pid()")) != victim
    database.dispose()


def test_read_sessions_refuse_to_write(events_db: Database) -> None:
    """A change made through a read session fails loudly and is never stored (with autocommit
    reads on PostgreSQL it would otherwise be written at once, outside any transaction)."""
    with events_db.write() as session:
        record_response(session, get_instrument(session, SLUG), answers("kept"))
    for factory in (events_db.reader, events_db.request_reader):
        with factory() as session:
            response = session.scalars(select(Response)).one()
            response.status = "partial"
            with pytest.raises(ReadOnlySession):
                session.flush()
            session.rollback()
            session.add(Response(instrument_id=response.instrument_id, status="partial", mode="web"))
            with pytest.raises(ReadOnlySession):
                session.scalar(select(func.count()).select_from(Response))  # autoflush
    with events_db.read() as session:
        assert session.scalars(select(Response.status)).all() == ["complete"]
    assert totals(events_db) == (1, 5)


def test_a_requests_reads_hold_no_transaction_on_postgresql(events_db: Database) -> None:
    """PostgreSQL: a page's reads send no BEGIN/ROLLBACK (two of a page GET's four round trips).
    SQLite: the request keeps one deferred transaction, so all its reads see one snapshot."""
    with events_db.request_reader() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0
        dbapi = session.connection().connection.dbapi_connection
        if PG:
            assert dbapi.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        else:
            assert dbapi.in_transaction
    with events_db.read() as session:  # blocks that stream with server-side cursors keep one
        session.scalar(select(func.count()).select_from(Response))
        dbapi = session.connection().connection.dbapi_connection
        idle = psycopg.pq.TransactionStatus.IDLE
        assert dbapi.info.transaction_status != idle if PG else dbapi.in_transaction
