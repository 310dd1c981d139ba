"""Alembic migrations: the schema they build is the models' schema, and every step goes both ways.

After securedrop's ``tests/test_alembic.py``. Each test starts from an empty database: a SQLite
file in the test's folder, or a fresh PostgreSQL schema when FEEDBACK_TEST_DATABASE_URL is set
(the ``settings`` fixture from conftest). The app never calls ``create_all``; these tests are what
make the fixtures' ``create_all`` a fair stand-in for ``feedback db upgrade``.

When a model changes, regenerate the migration against an empty database, e.g.
``FEEDBACK_DATABASE_URL=sqlite:////tmp/empty.db .venv/bin/feedback db revision -m "..."``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError

from feedback.config import Settings
from feedback.db import Base, Programme
from feedback.db.migrate import MigrationRefused, alembic_config, downgrade, upgrade
from feedback.db.session import Database, make_engine

SCRIPTS = ScriptDirectory.from_config(alembic_config())
#: Oldest first, as ``alembic upgrade`` applies them.
REVISIONS = [script.revision for script in reversed(list(SCRIPTS.walk_revisions("base", "heads")))]
LATER_REVISIONS = [
    pytest.param(script.revision, script.down_revision, id=script.revision)
    for script in SCRIPTS.walk_revisions("base", "heads")
    if isinstance(script.down_revision, str)
] or [pytest.param("", "", marks=pytest.mark.skip(reason="one revision only: no data to carry across yet"))]


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    yield engine
    engine.dispose()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def describe(difference: object) -> str:
    """One line per difference ("add_table users"), not the whole Table repr alembic gives."""
    if isinstance(difference, list):  # column changes come as a list of tuples
        return "; ".join(describe(item) for item in difference)
    assert isinstance(difference, tuple)
    operation, *rest = difference
    names = [getattr(part, "name", None) or str(part) for part in rest if part is not None]
    return " ".join([str(operation), *names[:3]])


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_there_is_one_line_of_revisions() -> None:
    assert REVISIONS, "migrations/versions has no revisions"
    assert len(SCRIPTS.get_heads()) == 1, "two heads: merge them (alembic merge) before release"


def test_head_schema_matches_the_models(engine: Engine) -> None:
    upgrade(engine, "head")
    differences = schema_differences(engine)
    assert differences == [], (
        "the models differ from migrations/versions; regenerate the migration "
        "(see this module's docstring):\n" + "\n".join(describe(d) for d in differences)
    )


def test_every_revision_upgrades_and_downgrades(engine: Engine) -> None:
    assert table_names(engine) == set()
    for revision in REVISIONS:  # base -> head, one step at a time
        upgrade(engine, revision)
        assert current_revision(engine) == revision
    at_head = table_names(engine)
    assert {"programmes", "instruments", "responses", "answers"} <= at_head

    for revision in reversed(REVISIONS):  # head -> base, one step at a time
        assert current_revision(engine) == revision
        down = SCRIPTS.get_revision(revision).down_revision
        downgrade(engine, down if isinstance(down, str) else "base")
    assert current_revision(engine) is None
    assert table_names(engine) == set()

    upgrade(engine, "head")  # and back up: downgrades left nothing behind that blocks it
    assert current_revision(engine) == REVISIONS[-1]
    assert table_names(engine) == at_head


def test_upgrade_of_a_migrated_database_keeps_its_data(engine: Engine) -> None:
    upgrade(engine, "head")
    database = Database(engine)
    with database.write() as session:
        session.add(Programme(slug="change-up", name="Change Up"))
    upgrade(engine, "head")  # what `make run` does on every start
    with database.read() as session:
        programme = session.scalar(select(Programme).where(Programme.slug == "change-up"))
        assert programme is not None
        assert (programme.name, programme.is_demo, programme.description) == ("Change Up", False, "")
        assert programme.created_at.tzinfo is not None


@pytest.mark.parametrize(("revision", "previous"), LATER_REVISIONS)
def test_data_survives_each_later_revision(engine: Engine, revision: str, previous: str) -> None:
    upgrade(engine, previous)
    # Plain SQL with the columns of the first schema: the models may have moved on since.
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO programmes (slug, name, description, is_demo, created_at)"
                " VALUES (:slug, :name, '', :demo, :at)"
            ),
            {"slug": "kept", "name": "Kept", "demo": False, "at": datetime(2026, 1, 1, tzinfo=UTC)},
        )
    upgrade(engine, revision)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT slug, name FROM programmes")).all()
    assert [tuple(row) for row in rows] == [("kept", "Kept")]


def _insert(connection: Connection, table: str, **values: object) -> int:
    """Insert a row with the columns of the schema the database has now (reflected, not the models'),
    filling any other NOT NULL column with a value of its type."""
    reflected = Table(table, MetaData(), autoload_with=connection)
    fillers = {int: 0, str: "", bool: False, float: 0.0, datetime: datetime(2026, 1, 1, tzinfo=UTC)}
    row = dict(values)
    for column in reflected.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        try:
            python_type = column.type.python_type
        except NotImplementedError:
            python_type = str
        row[column.name] = {} if python_type is dict else fillers.get(python_type, "")
    return int(connection.execute(reflected.insert().values(**row)).inserted_primary_key[0])


def test_one_response_per_case_refuses_stored_duplicates_then_upgrades(engine: Engine) -> None:
    """A database holding two live responses for a case is not guessed about: the upgrade stops,
    names the case, changes nothing, and goes through once the evaluator has deleted one."""
    upgrade(engine, "0001")
    with engine.begin() as connection:
        instrument = _insert(connection, "instruments", slug="crisp-web-survey", kind="survey", title="CRISP")
        version = _insert(connection, "instrument_versions", instrument_id=instrument, number=1, digest="d")
        case = _insert(connection, "cases", instrument_id=instrument, token="tok-1")
        answers = dict(instrument_id=instrument, version_id=version, case_id=case, status="partial")
        first = _insert(connection, "responses", **answers)
        second = _insert(connection, "responses", **answers)
        _insert(connection, "responses", **answers, deleted_at=datetime(2026, 1, 2, tzinfo=UTC))

    with pytest.raises(MigrationRefused) as refused:
        upgrade(engine, "head")
    message = str(refused.value)
    assert f"crisp-web-survey: case {case} has 2 responses (ids {first} to {second})" in message
    assert "Nothing was changed" in message
    assert current_revision(engine) == "0001"
    assert "access" not in {c["name"] for c in inspect(engine).get_columns("instruments")}

    with engine.begin() as connection:
        connection.execute(text("UPDATE responses SET deleted_at = :at WHERE id = :id"),
                           {"at": datetime(2026, 1, 3, tzinfo=UTC), "id": second})
    upgrade(engine, "head")
    assert current_revision(engine) == REVISIONS[-1]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        _insert(connection, "responses", **answers)


def test_upgrade_command_reports_duplicates_without_a_traceback(settings: Settings) -> None:
    from feedback import create_app
    from feedback.db.app import EXTENSION

    engine = make_engine(settings)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        instrument = _insert(connection, "instruments", slug="pirr-event", kind="survey", title="PiRR")
        version = _insert(connection, "instrument_versions", instrument_id=instrument, number=1, digest="d")
        case = _insert(connection, "cases", instrument_id=instrument, token="tok-2")
        for _ in range(3):
            _insert(connection, "responses", instrument_id=instrument, version_id=version, case_id=case)
    engine.dispose()
    app = create_app(settings)
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    finally:
        app.extensions[EXTENSION].dispose()  # its pooled connections, before the schema goes
    assert result.exit_code == 1
    assert f"pirr-event: case {case} has 3 responses" in result.output
    assert "Traceback" not in result.output
