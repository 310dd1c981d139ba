"""``feedback backup`` and ``feedback restore``: a consistent copy of a live SQLite database, and
putting it back without losing the database it replaces.

The main test takes a backup while another thread keeps submitting responses, restores it into a
fresh location and finds every response acknowledged before the backup started. SQLite only (the
commands point PostgreSQL users at pg_dump, tested at the end on both).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
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
from sqlalchemy import text

from feedback import create_app
from feedback.config import Settings
from feedback.db.app import EXTENSION
from feedback.db.session import Database

sqlite_only = pytest.mark.skipif(
    PG, reason="SQLite-specific: the backup API and file replacement; PostgreSQL uses pg_dump (tested below)"
)


@pytest.fixture
def live(db: Database) -> Database:
    load_event_form(db)  # the app fixture recorded the schema's revision, as an upgrade does
    return db


def fresh_app(tmp_path: Path, settings: Settings, name: str) -> Flask:
    folder = tmp_path / name
    url = f"sqlite:///{folder / 'restored.db'}"
    return create_app(settings.with_(instance_path=folder, database_url=url))


@sqlite_only
def test_backup_during_submissions_restores_every_acknowledged_response(
    live: Database, runner: FlaskCliRunner, settings: Settings, tmp_path: Path
) -> None:
    acknowledged: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    enough = threading.Event()

    def keep_submitting() -> None:
        i = 0
        while not stop.is_set():
            try:
                record(live, f"live-{i}")
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
                return
            acknowledged.append(f"live-{i}")
            i += 1
            if i >= 20:
                enough.set()

    writer = threading.Thread(target=keep_submitting)
    writer.start()
    try:
        assert enough.wait(timeout=60)
        before_backup = list(acknowledged)
        result = runner.invoke(args=["backup", "-o", str(tmp_path / "copies" / "backup.db")])
    finally:
        stop.set()
        writer.join()
    assert errors == []
    assert result.exit_code == 0, result.output
    assert "backed up" in result.output

    target_app = fresh_app(tmp_path, settings, "elsewhere")
    backup = str(tmp_path / "copies" / "backup.db")
    restored = target_app.test_cli_runner().invoke(args=["restore", backup, "--yes"])
    assert restored.exit_code == 0, restored.output
    restored_db: Database = target_app.extensions[EXTENSION]
    counts = marker_counts(restored_db)
    assert {m: counts.get(m) for m in before_backup} == dict.fromkeys(before_backup, 1)
    assert set(counts) <= set(acknowledged) and set(counts.values()) == {1}
    assert totals(restored_db) == (len(counts), len(counts) * ANSWERS_PER_RESPONSE)
    assert set(orphan_rows(restored_db).values()) <= {0}
    # The restored database takes new submissions (and is back in WAL mode).
    record(restored_db, "after-restore")
    with restored_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    restored_db.dispose()
    assert sqlite_checks(tmp_path / "elsewhere" / "restored.db") == ("ok", [])


@sqlite_only
def test_backup_is_one_self_contained_file(live: Database, runner: FlaskCliRunner, tmp_path: Path) -> None:
    record(live, "only")  # committed to the WAL, not yet checkpointed into the database file
    out = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "-o", str(out)]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("b.db")) == ["b.db"]
    connection = sqlite3.connect(f"{out.as_uri()}?mode=ro", uri=True)
    assert connection.execute("SELECT value FROM answers WHERE value = 'only'").fetchall() == [("only",)]
    connection.close()


@sqlite_only
def test_backup_does_not_overwrite_unless_asked(
    live: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "b.db"
    out.write_text("precious")
    result = runner.invoke(args=["backup", "-o", str(out)])
    assert result.exit_code == 1
    assert "exists already" in result.output and "--overwrite" in result.output
    assert out.read_text() == "precious"
    assert runner.invoke(args=["backup", "-o", str(out), "--overwrite"]).exit_code == 0
    assert out.read_bytes().startswith(b"SQLite format 3")


@sqlite_only
def test_restore_keeps_a_copy_of_the_database_it_replaces(
    live: Database, runner: FlaskCliRunner, settings: Settings, tmp_path: Path
) -> None:
    record(live, "old")
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "-o", str(backup)]).exit_code == 0
    record(live, "newer")
    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert set(marker_counts(live)) == {"old"}
    assert "feedback db upgrade" not in result.output  # the backup is at the newest schema
    copies = list(sqlite_file(settings).parent.glob("test.db.before-restore-*"))
    assert len(copies) == 1 and str(copies[0]) in result.output
    kept = sqlite3.connect(copies[0])
    assert {v for (v,) in kept.execute("SELECT value FROM answers WHERE value IN ('old', 'newer')")} == {
        "old",
        "newer",
    }
    kept.close()


@sqlite_only
def test_restoring_an_older_schema_says_to_upgrade(
    live: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with live.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "-o", str(backup)]).exit_code == 0
    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "schema is 0000" in result.output and "run 'feedback db upgrade'" in result.output


@sqlite_only
def test_restore_asks_first_and_no_leaves_the_database_alone(
    live: Database, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "-o", str(backup)]).exit_code == 0
    record(live, "kept")
    result = runner.invoke(args=["restore", str(backup)], input="n\n")
    assert result.exit_code == 1
    assert "Replace" in result.output and "Aborted" in result.output
    assert set(marker_counts(live)) == {"kept"}


@sqlite_only
def test_restore_refuses_while_another_process_has_the_database_open(
    live: Database, runner: FlaskCliRunner, settings: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "-o", str(backup)]).exit_code == 0
    record(live, "kept")
    server = sqlite3.connect(sqlite_file(settings))  # stands for a running worker's pool
    server.execute("SELECT count(*) FROM responses").fetchall()
    try:
        result = runner.invoke(args=["restore", str(backup), "--yes"])
    finally:
        server.close()
    assert result.exit_code == 1
    assert "in use by another process" in result.output and "stop the server" in result.output
    assert set(marker_counts(live)) == {"kept"}


@sqlite_only
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,email\n1,a@example.org\n", "is not a SQLite database"),
        (None, "not a feedback database"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "not a usable SQLite database"),
    ],
    ids=["csv", "foreign-sqlite", "truncated"],
)
def test_restore_refuses_files_that_are_not_our_backups(
    live: Database, runner: FlaskCliRunner, tmp_path: Path, content: bytes | None, message: str
) -> None:
    record(live, "kept")
    candidate = tmp_path / "candidate.db"
    if content is None:
        other = sqlite3.connect(candidate)
        other.execute("CREATE TABLE notes (x)")
        other.commit()
        other.close()
    else:
        candidate.write_bytes(content)
    result = runner.invoke(args=["restore", str(candidate), "--yes"])
    assert result.exit_code == 1
    assert "restore refused" in result.output and message in result.output
    assert set(marker_counts(live)) == {"kept"}


def test_postgresql_users_are_pointed_at_pg_dump(settings: Settings, tmp_path: Path) -> None:
    url = "postgresql://survey:secret@db.example.org:5433/feedback"
    app = create_app(settings.with_(database_url=url, database_schema=None))
    cli = app.test_cli_runner()
    result = cli.invoke(args=["backup", "-o", "nightly.dump"])
    assert result.exit_code == 1
    assert (
        "pg_dump --format=custom --no-owner --file=nightly.dump "
        "'postgresql://survey@db.example.org:5433/feedback'" in result.output
    )
    assert "secret" not in result.output
    restore = cli.invoke(args=["restore", "nightly.dump", "--yes"])
    assert restore.exit_code == 1 and "pg_restore --clean --if-exists" in restore.output
    app.extensions[EXTENSION].dispose()


@sqlite_only
def test_backup_of_an_unmigrated_database_says_to_migrate(
    db: Database, runner: FlaskCliRunner, settings: Settings, tmp_path: Path
) -> None:
    with db.write() as session:  # tables made from the models, never migrated
        session.execute(text("DROP TABLE alembic_version"))
    result = runner.invoke(args=["backup", "-o", str(tmp_path / "copies" / "b.db")])
    assert result.exit_code == 1
    assert f"{sqlite_file(settings)} has no schema version" in result.output
    assert "feedback db upgrade" in result.output
    assert list((tmp_path / "copies").iterdir()) == []
