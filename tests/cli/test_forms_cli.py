"""``feedback forms ...`` and ``feedback db upgrade``, run as an evaluator would run them.

Each test has a fresh database with tables (the ``runner`` fixture); nothing here goes through
the services directly except to record a response, which the CLI does not do.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, inspect, select

from feedback import create_app
from feedback.config import Settings
from feedback.db import Choice, Instrument, InstrumentVersion, Project, Question, Response
from feedback.db.app import EXTENSION
from feedback.db.session import Database
from feedback.domain.loader import find_files
from feedback.services.responses import record_response

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
FORM_COUNT = len(find_files([FORMS]))
DISCUSSION = "crisp-action-learning-discussion"
TABLES = (Project, Instrument, InstrumentVersion, Question, Choice)


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=list(args))


def counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in TABLES
        }


def versions_of(db: Database, slug: str) -> list[int]:
    with db.read() as session:
        return list(
            session.scalars(
                select(InstrumentVersion.number)
                .join(Instrument, Instrument.id == InstrumentVersion.instrument_id)
                .where(Instrument.slug == slug)
                .order_by(InstrumentVersion.number)
            )
        )


BAD_FILE = """\
settings:
  form_id: broken-form
  form_title: Broken
  kind: survey
  project: crisp
survey:
  - {type: text, name: town, label: Town}
  - {type: text, name: town, label: Town again}
"""


def test_load_stores_every_instrument_in_forms(runner: FlaskCliRunner, db: Database) -> None:
    result = invoke(runner, "forms", "load", str(FORMS))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("new ") == FORM_COUNT
    assert counts(db)["instruments"] == FORM_COUNT
    assert counts(db)["instrument_versions"] == FORM_COUNT
    with db.read() as session:
        projects = set(session.scalars(select(Project.slug)))
    assert projects == {"crisp", "move", "step-up", "pirr", "seed4bme"}


def test_loading_again_is_unchanged_and_adds_no_version(runner: FlaskCliRunner, db: Database) -> None:
    assert invoke(runner, "forms", "load", str(FORMS)).exit_code == 0
    before = counts(db)
    result = invoke(runner, "forms", "load", str(FORMS))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == FORM_COUNT
    assert all(line.startswith("unchanged") for line in lines), lines
    assert counts(db) == before


def test_edited_file_becomes_version_two_and_old_responses_keep_version_one(
    runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    path = tmp_path / f"{DISCUSSION}.yaml"
    shutil.copy(FORMS / path.name, path)
    assert invoke(runner, "forms", "load", str(path)).exit_code == 0
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == DISCUSSION))
        assert instrument is not None
        response = record_response(
            session, instrument, {"set_id": "North East 1", "participants": "5"}, status="partial"
        )
        response_id, first_version = response.id, response.version_id

    original = path.read_text()
    assert "label: Which action learning set is this?" in original
    path.write_text(original.replace("set is this?", "set was this?"))
    result = invoke(runner, "forms", "load", str(path))
    assert result.exit_code == 0, result.output
    assert "new version" in result.stdout and "v2" in result.stdout
    assert versions_of(db, DISCUSSION) == [1, 2]

    with db.read() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == DISCUSSION))
        stored = session.get(Response, response_id)
        assert instrument is not None and stored is not None
        assert stored.version_id == first_version
        assert instrument.current_version_id != first_version
        old_label = session.scalar(
            select(Question.label).where(Question.version_id == first_version, Question.name == "set_id")
        )
    assert old_label == "Which action learning set is this?"

    # Going back to the first text makes version 1 current again rather than a third version.
    path.write_text(original)
    result = invoke(runner, "forms", "load", str(path))
    assert result.exit_code == 0 and "reverted" in result.stdout
    assert versions_of(db, DISCUSSION) == [1, 2]


def test_a_folder_with_one_bad_file_loads_nothing(
    runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    folder = tmp_path / "forms"
    shutil.copytree(FORMS, folder)
    (folder / "zz-broken.yaml").write_text(BAD_FILE)
    before = counts(db)
    result = invoke(runner, "forms", "load", str(folder))
    assert result.exit_code != 0
    assert counts(db) == before == dict.fromkeys(before, 0)
    assert "zz-broken.yaml: line 8" in result.stderr
    assert "duplicate name 'town'" in result.stderr
    assert "nothing was loaded" in result.stderr
    assert "Traceback" not in result.output


def test_a_bad_file_leaves_what_was_loaded_before_untouched(
    runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    assert invoke(runner, "forms", "load", str(FORMS)).exit_code == 0
    before = counts(db)
    edited = tmp_path / f"{DISCUSSION}.yaml"
    edited.write_text((FORMS / edited.name).read_text().replace("set is this?", "set was this?"))
    (tmp_path / "broken.yaml").write_text(BAD_FILE)
    result = invoke(runner, "forms", "load", str(edited), str(tmp_path / "broken.yaml"))
    assert result.exit_code != 0
    assert counts(db) == before
    assert versions_of(db, DISCUSSION) == [1]


def test_check_reports_and_writes_nothing(runner: FlaskCliRunner, db: Database, tmp_path: Path) -> None:
    result = invoke(runner, "forms", "check", str(FORMS))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok  ") == FORM_COUNT
    assert counts(db) == dict.fromkeys(counts(db), 0)

    (tmp_path / "broken.yaml").write_text(BAD_FILE)
    result = invoke(runner, "forms", "check", str(tmp_path / "broken.yaml"))
    assert result.exit_code != 0
    assert "broken.yaml: line 8, sheet 'survey', row 2, column 'name'" in result.stderr


def test_load_of_a_missing_path_fails_clearly(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "forms", "load", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code != 0
    assert "nowhere.yaml" in result.stderr and "file not found" in result.stderr


@pytest.mark.skipif(
    importlib.util.find_spec("feedback.domain.loader.xlsform_writer") is None,
    reason="feedback/domain/loader/xlsform_writer.py (the XLSForm writer) does not exist yet",
)
def test_export_then_load_is_a_round_trip(runner: FlaskCliRunner, db: Database, tmp_path: Path) -> None:
    assert invoke(runner, "forms", "load", str(FORMS)).exit_code == 0
    before = counts(db)
    with db.read() as session:
        slugs = list(session.scalars(select(Instrument.slug)))
    assert len(slugs) == FORM_COUNT
    for slug in slugs:
        target = tmp_path / "out" / f"{slug}.xlsx"
        result = invoke(runner, "forms", "export", slug, "-o", str(target))
        assert result.exit_code == 0, result.output
        assert target.exists()
    result = invoke(runner, "forms", "load", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == FORM_COUNT
    assert all(line.startswith("unchanged") for line in lines), lines
    assert counts(db) == before


def test_list_shows_each_instrument_with_project_version_and_kind(runner: FlaskCliRunner) -> None:
    assert invoke(runner, "forms", "load", str(FORMS)).exit_code == 0
    result = invoke(runner, "forms", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == FORM_COUNT
    crisp = next(line for line in lines if "crisp-web-survey" in line)
    assert crisp.split()[:4] == ["crisp", "crisp-web-survey", "v1", "survey"]
    assert "CRISP participant survey" in crisp


def test_export_of_an_unknown_slug_is_a_clear_error(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "forms", "export", "no-such-form", "-o", str(tmp_path / "x.xlsx"))
    assert result.exit_code != 0
    assert "no instrument called 'no-such-form'" in result.stderr
    assert "forms list" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


@pytest.fixture
def empty_app(settings: Settings) -> Iterator[Flask]:
    """An app on a database with no tables at all, as on a fresh machine."""
    app = create_app(settings)
    yield app
    app.extensions[EXTENSION].dispose()


def test_db_upgrade_creates_the_schema_on_a_fresh_database(empty_app: Flask) -> None:
    database: Database = empty_app.extensions[EXTENSION]
    assert "instruments" not in inspect(database.engine).get_table_names()
    runner = empty_app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "database at head" in result.stdout
    tables = set(inspect(database.engine).get_table_names())
    assert {"alembic_version", "programmes", "instruments", "responses", "answers"} <= tables
    # A migrated database takes instruments at once.
    result = runner.invoke(args=["forms", "load", str(FORMS / f"{DISCUSSION}.yaml")])
    assert result.exit_code == 0, result.output


def test_two_files_with_the_same_form_id_load_nothing(
    runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text((FORMS / f"{DISCUSSION}.yaml").read_text())
    result = invoke(runner, "forms", "load", str(tmp_path))
    assert result.exit_code != 0
    assert f"form_id '{DISCUSSION}' is also used by" in result.stderr
    assert "a.yaml" in result.stderr and "b.yaml" in result.stderr
    assert counts(db)["instruments"] == 0
