"""Engine and session factories, with the settings that keep concurrent writers safe.

Two factories over one pool. ``reader`` opens an ordinary (deferred) transaction, so reads never
wait for writers under WAL. ``writer`` starts with ``BEGIN IMMEDIATE`` on SQLite: the write lock is
taken up front, where ``busy_timeout`` can wait for it, instead of at the first INSERT inside a
read transaction, where SQLite gives up at once with "database is locked" (SQLITE_BUSY_SNAPSHOT:
another writer committed after this transaction started reading, and waiting cannot help).

SQLite settings, applied to every new connection (``connect`` event on the pool, so the
option-engine behind ``writer`` shares them):

* ``journal_mode=WAL``: readers and one writer work at the same time; a long export does not
  block submissions. Checked, because some network filesystems silently refuse WAL.
* ``busy_timeout`` (``FEEDBACK_SQLITE_BUSY_TIMEOUT_MS``, default 15 s): how long a writer queues
  for the write lock before failing. The app's own writers queue first on a file lock beside the
  database (:mod:`feedback.db.write_lock`), which wakes the next writer at once instead of after
  SQLite's busy-handler sleeps; SQLite's lock and timeout still guard against other programs.
* ``foreign_keys=ON``: SQLite ignores foreign keys unless asked, and orphan answers must be
  impossible.
* ``wal_autocheckpoint=0``: SQLite would otherwise copy the log into the database file inside
  the COMMIT that crosses 1,000 pages, while this app's writers' queue is still held, so every
  queued submission waited for that copy and its fsyncs (the load test's p99 went from about
  85 ms to 180-290 ms). :class:`Database` checkpoints instead, every ``CHECKPOINT_EVERY``
  commits of a process, after the queue is released: under Flask once the response has been
  sent (``init_app``), elsewhere right after the commit. ``PASSIVE`` never waits for, nor
  blocks, readers or writers. The last connection to close checkpoints too, as SQLite always does.
* ``synchronous`` (``FEEDBACK_SQLITE_SYNCHRONOUS``): ``NORMAL`` (default) never loses or corrupts
  data when the *process* crashes, but the last transactions before a *power cut or OS crash*
  may be rolled back. ``FULL`` fsyncs the WAL at every commit, so an acknowledged response
  survives power loss too, at the cost of one fsync per submission. ``EXTRA`` is FULL plus a
  directory sync. ``OFF`` is refused: it can corrupt the database on power loss.

PostgreSQL: a pool of ``FEEDBACK_POOL_SIZE`` connections (+ ``FEEDBACK_MAX_OVERFLOW``) per
process; a connection that sat idle is pinged before use (see :func:`_ping_idle_connections`),
so one dropped by a database restart or a firewall is replaced instead of failing the request.

Callers own the transaction: ``with db.write() as session:`` commits on success and rolls back on
any error, including a failed COMMIT, and the pool rolls back again when the connection is
returned, so a failed transaction can never stay open on a pooled connection for the next
request to commit by accident (``tests/db/test_session.py`` shows both).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from .write_lock import WriteLock

# The writers' queue of each file-backed SQLite engine made by make_engine (see write_lock.py).
_WRITE_LOCKS: WeakKeyDictionary[Engine, WriteLock] = WeakKeyDictionary()

#: The ``synchronous`` levels we accept; OFF trades corruption on power loss for speed.
SQLITE_SYNCHRONOUS = ("NORMAL", "FULL", "EXTRA")

log = logging.getLogger(__name__)

#: A process checkpoints the SQLite log after this many of its write transactions (a page POST
#: adds a few pages to the log; SQLite's own automatic checkpoint came at 1,000 pages).
CHECKPOINT_EVERY = 100

#: Execution option that makes the ``begin`` event issue ``BEGIN IMMEDIATE`` (SQLite only).
IMMEDIATE = "sqlite_immediate"


class DatabaseSettingsError(ValueError):
    """A database setting that cannot work; the message names the variable and the fix."""


def sqlite_synchronous(settings: Settings) -> str:
    value = (settings.sqlite_synchronous or "").strip().upper()
    if value not in SQLITE_SYNCHRONOUS:
        raise DatabaseSettingsError(
            f"FEEDBACK_SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS)}; "
            f"found '{settings.sqlite_synchronous}'. NORMAL survives process crashes, "
            "FULL also survives power loss."
        )
    return value


def _sqlite_events(engine: Engine, settings: Settings, in_memory: bool) -> None:
    synchronous = sqlite_synchronous(settings)
    busy_timeout = int(settings.sqlite_busy_timeout_ms)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (the sqlite3
        # module would otherwise open a deferred transaction at the first INSERT).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL itself may have to wait for a lock.
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout}")
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal" and not in_memory:
                raise DatabaseSettingsError(
                    f"SQLite refused WAL mode for {engine.url.database} (journal_mode is '{mode}'): "
                    "keep the database on a local disk, not a network share"
                )
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # Database.checkpoint() does it
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _normalise_postgres(url: str) -> str:
    """``postgres://`` (Heroku-style) and bare ``postgresql://`` both mean psycopg 3."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    """The engine for ``url`` (default: ``settings.database_url``).

    Raises :class:`DatabaseSettingsError` for a ``synchronous`` level we refuse; connection
    problems only show when the first connection is made (``/healthz`` reports them).
    """
    url = _normalise_postgres(url or settings.database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        in_memory = not database or database == ":memory:" or "mode=memory" in str(parsed.query)
        if database and not in_memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000})
        _sqlite_events(engine, settings, in_memory)
        if not in_memory:
            lock_file = Path(f"{database}.write-lock")
            _WRITE_LOCKS[engine] = WriteLock(lock_file, settings.sqlite_busy_timeout_ms / 1000)
        return engine
    connect_args = (
        {"options": f"-csearch_path={settings.database_schema}"} if settings.database_schema else {}
    )
    engine = create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        connect_args=connect_args,
    )
    _ping_idle_connections(engine)
    return engine


#: A pooled PostgreSQL connection unused for longer than this is checked before it is handed out.
PING_IDLE_AFTER = 2.0  # seconds


def _ping_idle_connections(engine: Engine) -> None:
    """``pool_pre_ping``, but only for connections that have been idle.

    Why: ``pool_pre_ping`` costs a round trip on every checkout, and a request checks out one or
    two connections; under load that was a tenth of a worker's time (py-spy, 100 respondents on
    PostgreSQL). A connection returned to the pool moments ago was alive moments ago; one that
    sat idle may have been closed by a database restart or a firewall, so it is pinged and, if
    dead, replaced before use (SQLAlchemy's documented custom pessimistic handling: raising
    ``DisconnectionError`` in ``checkout`` makes the pool try a fresh connection). A connection
    that dies between two requests in the same couple of seconds fails that one request, and
    SQLAlchemy then invalidates the whole pool, so the next requests reconnect.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("checked_in_at", 0.0) <= PING_IDLE_AFTER:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure means: do not hand this one out
            raise DisconnectionError(f"idle connection failed its ping: {exc}") from exc


class ReadOnlySession(RuntimeError):
    """Something tried to write through a read session (use ``Database.write()``)."""


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    # A change made through a read session used to vanish at its rollback; with autocommit reads
    # it would be stored at once, outside any transaction. Refused on every database alike.
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("read sessions do not write; use Database.write()")


class Database:
    """The engine and the session factories an app (or a CLI command) uses."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.reader: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
        # A web request's reads (``get_session()``). On PostgreSQL they run without a transaction:
        # under READ COMMITTED every statement takes its own snapshot anyway, so BEGIN and
        # ROLLBACK bought no consistency and cost two of a page GET's four round trips (measured).
        # SQLite keeps its deferred transaction, which does give one snapshot for the request.
        # ``read()`` keeps a transaction on both: server-side cursors (``yield_per``) need one.
        request_bind = engine if self.is_sqlite else engine.execution_options(isolation_level="AUTOCOMMIT")
        self.request_reader: sessionmaker[Session] = sessionmaker(request_bind, expire_on_commit=False)
        for factory in (self.reader, self.request_reader):
            event.listen(factory, "before_flush", _refuse_flush)
        # An option-engine shares the pool and the event listeners of ``engine``; only the
        # ``begin`` listener looks at the option.
        write_bind = engine.execution_options(**{IMMEDIATE: True}) if self.is_sqlite else engine
        self.writer: sessionmaker[Session] = sessionmaker(write_bind, expire_on_commit=False)
        self.write_lock = _WRITE_LOCKS.get(engine)
        self._commits_since_checkpoint = 0
        #: Set by ``init_app``: checkpoint after the response is sent, not inside the request.
        self.defer_checkpoints = False
        self.checkpoint_due = False

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        Raises whatever the database raises (``OperationalError`` "database is locked" when the
        write lock could not be had within ``busy_timeout``, ``IntegrityError`` at COMMIT for a
        deferred constraint); in every case nothing of the block is stored.
        """
        if self.write_lock is None:
            with self.writer.begin() as session:
                yield session
            return
        # Queue behind other writers first (woken at once, not after SQLite's busy sleeps), then
        # take SQLite's own lock with BEGIN IMMEDIATE; released after COMMIT or ROLLBACK.
        with self.write_lock.held(), self.writer.begin() as session:
            yield session
        self._commits_since_checkpoint += 1  # committed, and the queue is free again
        if self._commits_since_checkpoint >= CHECKPOINT_EVERY:
            self.checkpoint_due = True
            if not self.defer_checkpoints:
                self.checkpoint()

    def checkpoint(self) -> None:
        """Copy the SQLite log into the database file as far as no reader still needs it.

        ``PASSIVE``: returns at once if another process is checkpointing, never waits for a lock.
        Runs on a pooled connection outside any transaction (a checkpoint cannot run inside one).
        """
        self.checkpoint_due, self._commits_since_checkpoint = False, 0
        if self.write_lock is None:
            return
        connection = self.engine.raw_connection()
        try:
            driver = connection.driver_connection
            if driver is not None:  # None only once the pooled connection is closed
                driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the next one catches up; nothing is lost by skipping one
            log.warning("SQLite checkpoint skipped: %s", exc)
        finally:
            connection.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read session (deferred transaction), closed when the block ends."""
        with self.reader() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_lock is not None:
            self.write_lock.close()
