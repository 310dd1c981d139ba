"""Engine and session factories, with the SQLite settings that keep concurrent writers safe.

Two factories over one pool. ``reader`` opens an ordinary (deferred) transaction, so reads never
wait for writers under WAL. ``writer`` starts with ``BEGIN IMMEDIATE`` on SQLite: the write lock is
taken up front, where ``busy_timeout`` can wait for it, instead of at the first INSERT inside a
read transaction, where SQLite gives up at once with "database is locked".

Callers own the transaction: ``with db.writer.begin() as session:`` commits on success and rolls
back on any error, so a failed COMMIT can never be left open on a pooled connection for the next
request to commit by accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings


def _sqlite_events(engine: Engine, settings: Settings) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        synchronous = (
            settings.sqlite_synchronous
            if settings.sqlite_synchronous in ("FULL", "NORMAL", "EXTRA")
            else "NORMAL"
        )
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(settings: Settings, url: str | None = None) -> Engine:
    url = url or settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000})
        _sqlite_events(engine, settings)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    connect_args = (
        {"options": f"-csearch_path={settings.database_schema}"} if settings.database_schema else {}
    )
    return create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


class Database:
    """The engine and the two session factories an app (or a CLI command) uses."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.reader: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
        write_bind = engine.execution_options(sqlite_immediate=True) if self.is_sqlite else engine
        self.writer: sessionmaker[Session] = sessionmaker(write_bind, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        with self.writer.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.reader() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
