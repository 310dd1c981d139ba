"""Backups of a live SQLite database, and putting one back.

``backup_sqlite`` uses SQLite's online backup API (``sqlite3.Connection.backup``) in one step:
the copy is read inside a single read transaction, so it is one consistent snapshot that includes
everything committed to the WAL, while submissions go on (under WAL, readers never block the
writer). The copy is written next to its destination under a temporary name, checked, switched to
rollback-journal mode (one self-contained file) and renamed into place, so a backup file either
exists whole or not at all.

``restore_sqlite`` puts a backup in place of the database file. It refuses a file that is not a
SQLite database of ours (no ``alembic_version``) or fails SQLite's ``quick_check``, and refuses
while another process has the database open (switching the live file out of WAL mode needs it to
be the only connection), because a running server would go on writing to the replaced file. The
current database is first copied to ``<name>.before-restore-<UTC time>``.

PostgreSQL has better tools of its own; :func:`pg_commands` says which, with arguments.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    revision: str
    responses: int
    size: int


def sqlite_path(engine: Engine) -> Path | None:
    """The database file behind ``engine``, or None if it is not a SQLite file database."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary(next_to: Path, purpose: str) -> Path:
    return next_to.with_name(f".{next_to.name}.{purpose}-{secrets.token_hex(4)}.tmp")


@contextmanager
def _removed_on_error(path: Path) -> Iterator[Path]:
    try:
        yield path
    except BaseException:
        for leftover in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        raise


def _describe(connection: sqlite3.Connection, path: Path) -> BackupInfo:
    """Check a database we have open and say what it holds; BackupError if it is not ours."""
    try:
        check = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable SQLite database ({exc})") from exc
    if check != "ok":
        raise BackupError(f"{path} is damaged: SQLite's quick_check says '{check}'")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "alembic_version" not in tables:
        raise BackupError(
            f"{path} is a SQLite database but not a feedback database (it has no alembic_version "
            "table); expected a file made by 'feedback backup'"
        )
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    if row is None:
        raise BackupError(f"{path}: the alembic_version table is empty, so its schema is unknown")
    responses = 0
    if "responses" in tables:
        responses = connection.execute("SELECT count(*) FROM responses").fetchone()[0]
    return BackupInfo(path=path, revision=row[0], responses=responses, size=path.stat().st_size)


def backup_sqlite(engine: Engine, output: Path, *, overwrite: bool = False) -> BackupInfo:
    """Copy the live database behind ``engine`` to ``output`` (see the module's docstring).

    Raises BackupError if ``engine`` is not a SQLite file, ``output`` exists (without
    ``overwrite``) or the source is not a feedback database; ``sqlite3.OperationalError`` if the
    database cannot be read.
    """
    source_path = sqlite_path(engine)
    if source_path is None:
        raise BackupError(f"{engine.url.render_as_string()} is not a SQLite file; nothing to copy")
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path} yet; nothing to back up")
    output = output.resolve()
    if output == source_path:
        raise BackupError(f"{output} is the database itself; choose another file for the backup")
    if output.exists() and not overwrite:
        raise BackupError(f"{output} exists already; choose another name or pass --overwrite")
    output.parent.mkdir(parents=True, exist_ok=True)
    with _removed_on_error(_temporary(output, "backup")) as temporary:
        # A pooled connection has the busy_timeout and is in WAL mode like every other one.
        raw = engine.raw_connection()
        copy = sqlite3.connect(temporary, isolation_level=None)
        try:
            driver = raw.driver_connection
            if driver is None:  # only a closed pooled connection has none
                raise BackupError("the database connection was closed before the backup")
            driver.backup(copy)  # pages=-1: one step
            copy.execute("PRAGMA journal_mode=DELETE")
            info = _describe(copy, temporary)
        except BackupError as exc:
            if "alembic_version" in str(exc):
                raise BackupError(
                    f"{source_path} has no schema version (no alembic_version table or no row in it): "
                    "run 'feedback db upgrade' first, then back it up"
                ) from exc
            raise BackupError(str(exc).replace(str(temporary), f"the copy of {source_path}")) from exc
        finally:
            copy.close()
            raw.close()
        _fsync(temporary)
        os.replace(temporary, output)
    _fsync(output.parent)
    return BackupInfo(path=output, revision=info.revision, responses=info.responses, size=info.size)


def check_backup(path: Path) -> BackupInfo:
    """What a backup file holds, after checking it is a sound feedback database (BackupError if not)."""
    path = path.resolve()
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not a SQLite database; expected a file made by 'feedback backup'")
    if Path(f"{path}-wal").exists():
        raise BackupError(
            f"{path} has a write-ahead log next to it ({path.name}-wal), so it is a live database, "
            "not a backup; make a backup of it with 'feedback backup' and restore that"
        )
    # immutable: read the file as it is, without locks or a -shm file (it may be on read-only media).
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return _describe(connection, path)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a usable SQLite database ({exc})") from exc
    finally:
        connection.close()


def restore_sqlite(engine: Engine, backup: Path) -> tuple[BackupInfo, Path | None]:
    """Replace the database behind ``engine`` with ``backup``; (what was restored, safety copy).

    Disposes of ``engine``'s pool first. Raises BackupError, leaving the database as it was, if the
    backup is unsound or another process has the database open.
    """
    info = check_backup(backup)
    target = sqlite_path(engine)
    if target is None:
        raise BackupError(f"{engine.url.render_as_string()} is not a SQLite file; cannot restore into it")
    engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    safety: Path | None = None
    live: sqlite3.Connection | None = None
    try:
        if target.exists():
            live = sqlite3.connect(target, timeout=0.5, isolation_level=None)
            try:
                # Leaving WAL mode checkpoints the log into the file and deletes it, and is only
                # allowed to the sole connection: our check that no server is running.
                live.execute("PRAGMA journal_mode=DELETE")
            except sqlite3.OperationalError as exc:
                raise BackupError(
                    f"{target} is in use by another process ({exc}); stop the server "
                    "('feedback serve', 'feedback run' or gunicorn) and try again"
                ) from exc
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            safety = target.with_name(f"{target.name}.before-restore-{stamp}")
            copy = sqlite3.connect(safety)
            try:
                live.backup(copy)
            finally:
                copy.close()
        with _removed_on_error(_temporary(target, "restore")) as temporary:
            shutil.copyfile(info.path, temporary)
            _fsync(temporary)
            for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
                if stale.exists():
                    raise BackupError(f"{stale} appeared during the restore; is a server running?")
            os.replace(temporary, target)
        _fsync(target.parent)
    finally:
        if live is not None:
            live.close()
    return info, safety


def pg_commands(url: URL, schema: str | None, file: str) -> str:
    """The pg_dump and pg_restore commands for a PostgreSQL database (password left out)."""
    plain = URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    ).render_as_string(hide_password=False)
    only = f" --schema={schema}" if schema else ""
    return (
        "PostgreSQL databases are backed up with PostgreSQL's own tools (give the password in\n"
        "PGPASSWORD or ~/.pgpass):\n"
        f"  pg_dump --format=custom --no-owner{only} --file={file} '{plain}'\n"
        "and restored (into a stopped application) with:\n"
        f"  pg_restore --clean --if-exists --no-owner --single-transaction --dbname='{plain}' {file}"
    )
