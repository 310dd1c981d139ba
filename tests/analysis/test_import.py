"""`feedback responses import`: validation like a web answer, all-or-nothing, and the round trip."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from analysis_support import SLUG, Record
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from feedback import create_app
from feedback.config import Settings
from feedback.db import Base, Case, Contact, Response
from feedback.db.app import EXTENSION
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services.instruments import save_instrument


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _count(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Response)) or 0


def _import(runner: FlaskCliRunner, path: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(args=["responses", "import", str(path), "--instrument", SLUG, *extra])
    return result.exit_code, result.output


def test_codes_labels_and_joined_codes_are_accepted(
    runner: FlaskCliRunner, db: Database, instrument: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "in.csv",
        [
            ["useful", "topics", "sessions", "first_date", "comments", "status", "mode"],
            ["very", "funding policy", "2", "2026-01-05", "'=1+1", "complete", "telephone"],
            ["Not very useful", "Networks; Policy", "", "", "", "partial", ""],
        ],
    )
    code, output = _import(runner, path)
    assert code == 0, output
    assert "imported 2 response(s)" in output
    result = runner.invoke(args=["summary", "--instrument", SLUG, "--json"])
    import json

    data = {q["name"]: q for q in json.loads(result.output)["questions"]}
    assert [r["n"] for r in data["useful"]["rows"]] == [1, 0, 1]
    assert [r["n"] for r in data["topics"]["rows"]] == [1, 1, 2]
    with db.read() as session:
        modes = sorted(session.scalars(select(Response.mode)))
    assert modes == ["paper", "telephone"]


def test_a_bad_row_stops_the_import_with_row_and_column(
    runner: FlaskCliRunner, db: Database, instrument: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path / "in.csv",
        [["useful", "sessions"], ["very", "1"], ["brilliant", "2"], ["very", "many"]],
    )
    code, output = _import(runner, path)
    assert code == 1
    assert "in.csv, row 3, column 'useful' (A): Select one of the options shown (found 'brilliant')" in output
    assert "nothing was imported" in output
    assert _count(db) == 0
    code, output = _import(runner, path, "--skip-invalid")
    assert code == 0, output
    assert "row 4, column 'sessions' (B): Enter a whole number" in output
    assert "imported 1 response(s)" in output and "skipped 2" in output
    assert _count(db) == 1


def test_unknown_columns_and_bad_meta_are_refused(
    runner: FlaskCliRunner, instrument: str, tmp_path: Path
) -> None:
    code, output = _import(runner, _csv(tmp_path / "a.csv", [["useful", "colour"], ["very", "red"]]))
    assert code == 1 and "row 1: unknown column(s) colour" in output
    code, output = _import(runner, _csv(tmp_path / "b.csv", [["useful", "status"], ["very", "done"]]))
    assert code == 1 and "row 2, column 'status' (B): expected complete or partial, found 'done'" in output
    code, output = _import(runner, _csv(tmp_path / "c.csv", [["useful", "topics/funding"], ["very", "2"]]))
    assert code == 1 and "column 'topics/funding' (B): expected 1 or 0, found '2'" in output


def test_email_links_a_contact_and_its_case(
    runner: FlaskCliRunner, db: Database, instrument: str, tmp_path: Path
) -> None:
    path = _csv(tmp_path / "in.csv", [["email", "useful"], ["Ann@Example.org", "very"]])
    code, output = _import(runner, path)
    assert code == 0, output
    with db.read() as session:
        response = session.scalars(select(Response)).one()
        contact = session.get(Contact, response.contact_id)
        case = session.get(Case, response.case_id)
    assert contact is not None and contact.email == "ann@example.org"
    assert case is not None and case.contact_id == contact.id


def _fresh_database(settings: Settings, tmp_path: Path, form_file: Path) -> tuple[FlaskCliRunner, Database]:
    other = create_app(settings.with_(database_url=f"sqlite:///{tmp_path / 'copy.db'}", database_schema=None))
    database: Database = other.extensions[EXTENSION]
    Base.metadata.create_all(database.engine)
    with database.write() as session:
        save_instrument(session, load_file(form_file))
    return other.test_cli_runner(), database


def _cells(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(path)
    return {name: list(book[name].iter_rows(values_only=True)) for name in ("Responses", "Codebook")}


def test_round_trip_export_import_export(
    runner: FlaskCliRunner, record: Record, settings: Settings, tmp_path: Path, form_file: Path
) -> None:
    record({"useful": "very", "topics": ["funding", "policy"], "attended": "no", "why_not": "Too far",
            "sessions": 3, "first_date": "2026-02-03", "comments": "=1+1 and\\nmore"})  # fmt: skip
    record({"useful": "ambivalent", "attended": "yes", "comments": "#N/A"}, mode="paper")
    record({"useful": "not_very", "topics": ["networks"]}, status="partial", submitted_at=None)
    record({"topics": ["policy"], "sessions": 12})
    for values in ("labels", "codes"):
        first = tmp_path / f"first-{values}.xlsx"
        assert (
            runner.invoke(
                args=["export", "--instrument", SLUG, "-o", str(first), "--values", values]
            ).exit_code
            == 0
        )
        copy_runner, copy_db = _fresh_database(settings, tmp_path / values, form_file)
        try:
            result = copy_runner.invoke(args=["responses", "import", str(first), "--instrument", SLUG])
            assert result.exit_code == 0, result.output
            second = tmp_path / f"second-{values}.xlsx"
            result = copy_runner.invoke(
                args=["export", "--instrument", SLUG, "-o", str(second), "--values", values]
            )
            assert result.exit_code == 0, result.output
        finally:
            copy_db.dispose()
        assert _cells(second) == _cells(first)
        assert len(_cells(first)["Responses"]) == 5


def test_round_trip_through_csv(
    runner: FlaskCliRunner, record: Record, settings: Settings, tmp_path: Path, form_file: Path
) -> None:
    record({"useful": "very", "topics": ["funding"], "comments": "-1", "first_date": "2026-02-03"})
    record(
        {"useful": "ambivalent", "comments": "'=quoted", "sessions": 4}, status="partial", submitted_at=None
    )
    target = tmp_path / "first.csv"
    assert (
        runner.invoke(args=["export", "--instrument", SLUG, "-o", str(target), "--format", "csv"]).exit_code
        == 0
    )
    copy_runner, copy_db = _fresh_database(settings, tmp_path / "copy", form_file)
    try:
        result = copy_runner.invoke(
            args=["responses", "import", str(tmp_path / "first-responses.csv"), "--instrument", SLUG]
        )
        assert result.exit_code == 0, result.output
        again = tmp_path / "second.csv"
        assert (
            copy_runner.invoke(
                args=["export", "--instrument", SLUG, "-o", str(again), "--format", "csv"]
            ).exit_code
            == 0
        )
    finally:
        copy_db.dispose()
    first = (tmp_path / "first-responses.csv").read_text(encoding="utf-8-sig")
    assert (tmp_path / "second-responses.csv").read_text(encoding="utf-8-sig") == first
    # text that starts with a quote before a formula character gets one more, so import can remove one
    assert ",''=quoted" in first


def test_event_column_exports_and_imports_the_activity(
    runner: FlaskCliRunner, db: Database, record: Record, tmp_path: Path
) -> None:
    from feedback.db import Activity, Project

    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "analysis-tests"))
        assert project is not None
        activity = Activity(project_id=project.id, title="Leeds workshop", short_code="LEEDS1")
        session.add(activity)
        session.flush()
        activity_id = activity.id
    record({"useful": "very"}, activity_id=activity_id)
    path = tmp_path / "out.xlsx"
    assert runner.invoke(args=["export", "--instrument", SLUG, "-o", str(path)]).exit_code == 0
    rows = list(openpyxl.load_workbook(path)["Responses"].iter_rows(values_only=True))
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert (exported["event"], exported["event_code"]) == ("Leeds workshop", "LEEDS1")
    # the exported workbook itself imports (event = title, event_code = code)
    code, output = _import(runner, path)
    assert code == 0, output
    # an older file: the code in `event`, no `event_code` column; or a title typed by hand
    good = _csv(tmp_path / "in.csv", [["useful", "event"], ["very", "Leeds workshop"], ["very", "LEEDS1"]])
    code, output = _import(runner, good)
    assert code == 0, output
    both = _csv(tmp_path / "both.csv", [["useful", "event", "event_code"], ["very", "", "LEEDS1"]])
    code, output = _import(runner, both)
    assert code == 0, output
    with db.read() as session:
        assert session.scalar(select(func.count()).where(Response.activity_id == activity_id)) == 5
    wrong = _csv(tmp_path / "code.csv", [["useful", "event", "event_code"], ["very", "Leeds workshop", "X9"]])
    code, output = _import(runner, wrong)
    assert code == 1
    assert "row 2, column 'event_code' (C): no activity of this project has the code 'X9'" in output
    bad = _csv(tmp_path / "bad.csv", [["useful", "event"], ["very", "York"]])
    code, output = _import(runner, bad)
    assert (
        code == 1
        and "row 2, column 'event' (B): no activity of this project has the code or title 'York'" in output
    )
