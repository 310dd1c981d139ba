"""Operations commands: ``feedback backup``, ``feedback restore`` and ``feedback serve``.

Registered from ``feedback.cli.init_app`` through :func:`register`. ``serve`` hands the process
over to gunicorn (``os.execvp``), so signals and worker management are gunicorn's own; the app is
built in each worker from the ``FEEDBACK_*`` environment, never in the master (no ``--preload``),
so no database connection is ever shared across a fork.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .config import Settings, local_base_url
from .db.app import get_db

APP_SPEC = "feedback:create_app()"


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _settings() -> Settings:
    return current_app.config["FEEDBACK_SETTINGS"]


@click.command("backup", help="Copy the live SQLite database to FILE (consistent, while it is in use).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The backup file."
)
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def backup_command(output: Path, overwrite: bool) -> None:
    from .db.backup import BackupError, backup_sqlite, pg_commands, sqlite_path

    engine = get_db().engine
    if sqlite_path(engine) is None:
        if engine.dialect.name == "postgresql":
            _fail(pg_commands(engine.url, _settings().database_schema, str(output)))
        _fail(f"feedback backup copies SQLite database files; {engine.url.render_as_string()} is not one")
    try:
        info = backup_sqlite(engine, output, overwrite=overwrite)
    except BackupError as exc:
        _fail(f"backup failed: {exc}")
        return
    click.echo(
        f"backed up {info.responses} responses (schema {info.revision}, {info.size:,} bytes) to {info.path}"
    )


@click.command("restore", help="Replace the SQLite database with BACKUP (stop the server first).")
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(backup: Path, yes: bool) -> None:
    from .db.backup import BackupError, check_backup, pg_commands, restore_sqlite, sqlite_path

    engine = get_db().engine
    target = sqlite_path(engine)
    if target is None:
        if engine.dialect.name == "postgresql":
            _fail(pg_commands(engine.url, _settings().database_schema, str(backup)))
        _fail(f"feedback restore replaces SQLite database files; {engine.url.render_as_string()} is not one")
        return
    try:
        info = check_backup(backup)
    except BackupError as exc:
        _fail(f"restore refused: {exc}")
        return
    click.echo(f"{info.path}: {info.responses} responses, schema {info.revision}")
    if not yes:
        click.confirm(
            f"Replace {target} with this backup? (the current database is kept as a copy)", abort=True
        )
    try:
        info, safety = restore_sqlite(engine, backup)
    except BackupError as exc:
        _fail(f"restore refused: {exc}")
        return
    if safety is not None:
        click.echo(f"the previous database is kept in {safety}")
    click.echo(f"restored {target} from {info.path}")
    from .db.migrate import head_revision

    if info.revision != head_revision():
        click.echo(
            f"the backup's schema is {info.revision}, this version of feedback expects "
            f"{head_revision()}: run 'feedback db upgrade' before starting the server"
        )


def gunicorn_executable() -> str:
    """gunicorn from this Python's environment (the venv), else from PATH."""
    beside = Path(sys.executable).parent / "gunicorn"
    if beside.exists():
        return str(beside)
    found = shutil.which("gunicorn")
    if found is None:
        _fail("gunicorn is not installed in this environment; install it with 'pip install gunicorn'")
    return str(found)


def serve_argv(workers: int, bind: str, extra: tuple[str, ...]) -> list[str]:
    gunicorn = gunicorn_executable()
    return [gunicorn, "--workers", str(workers), "--bind", bind, *extra, APP_SPEC]


@click.command(
    "serve",
    help="Run the app with gunicorn and several worker processes. Options after -- go to gunicorn "
    "(e.g. feedback serve -- --timeout 60 --access-logfile -).",
)
@click.option("-w", "--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("-b", "--bind", default="127.0.0.1:8000", show_default=True, help="HOST:PORT to listen on.")
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED)
def serve_command(workers: int, bind: str, gunicorn_args: tuple[str, ...]) -> None:
    argv = serve_argv(workers, bind, gunicorn_args)
    host, _, port = bind.rpartition(":")
    if host and port.isdigit():  # links follow where gunicorn serves unless FEEDBACK_BASE_URL says
        os.environ.setdefault("FEEDBACK_BASE_URL", local_base_url(host.strip("[]"), int(port)))
    click.echo("exec " + shlex.join(argv), err=True)
    os.execvp(argv[0], argv)  # noqa: S606 - replacing this process with gunicorn is the point


def register(app: Flask) -> None:
    """Add the commands to the app's CLI (called from ``feedback.cli.init_app``)."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(serve_command)
