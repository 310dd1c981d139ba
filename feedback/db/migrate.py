"""Running Alembic from the app and the CLI (config lives in pyproject.toml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

ROOT = Path(__file__).resolve().parents[2]


def alembic_config(engine: Engine | None = None) -> Config:
    pyproject = ROOT / "pyproject.toml"
    config = Config(toml_file=str(pyproject)) if pyproject.exists() else Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


class MigrationRefused(RuntimeError):
    """A migration found data it will not guess about; the message says what to do first.

    Raised inside the migration's transaction, so nothing of that upgrade is kept."""


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


@cache
def head_revision() -> str:
    """The schema revision this code expects (read from ``migrations/`` once per process)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations/ has {len(heads)} heads ({', '.join(heads)}); merge them")
    return heads[0]


def schema_problem(found: str | None) -> str | None:
    """What is wrong with a database at revision ``found`` for this code, or None when nothing is.

    A revision ``migrations/`` does not know was written by newer code (another machine already
    upgraded), so the advice differs from an older one's.
    """
    expected = head_revision()
    if found == expected:
        return None
    if found is None:
        return "not migrated: run 'feedback db upgrade'"
    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        known = scripts.get_revision(found) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        known = False
    if known:
        return f"at {found}, this code needs {expected}: run 'feedback db upgrade'"
    return f"at {found}, newer than this code ({expected}): update this machine's code"


def record_head(connection: Connection) -> None:
    """Mark a database built from the models with ``create_all`` (tests, benchmarks) as being at
    the newest revision, as ``feedback db upgrade`` would have left it."""
    connection.execute(
        text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    )
    connection.execute(text("DELETE FROM alembic_version"))
    connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head_revision()})
