"""``feedback export --format sav|dta``: through click's runner, the files read back with pyreadstat."""

from __future__ import annotations

import sys
from pathlib import Path

from flask.testing import FlaskCliRunner
from stat_support import read_dta, read_sav

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from analysis_web_support import SLUG, load_form, record, report_figures  # noqa: E402

from feedback.db.session import Database  # noqa: E402
from feedback.domain.loader import load_file  # noqa: E402
from feedback.services.instruments import save_instrument  # noqa: E402

SECOND = """
settings:
  form_id: second-form
  form_title: Second form
  project: pilot
survey:
  - type: integer
    name: ok
    label: A number
"""


def _data(db: Database, tmp_path: Path) -> None:
    load_form(db, tmp_path)
    report_figures(db)  # 55 complete responses: 22 very useful
    record(db, [{"useful": "very"}] * 3, status="partial", submitted_at=None)


def test_export_writes_an_spss_file(runner: FlaskCliRunner, db: Database, tmp_path: Path) -> None:
    _data(db, tmp_path)
    target = tmp_path / "out" / "pilot.sav"
    result = runner.invoke(args=["export", "--instrument", SLUG, "--format", "sav", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output and "pilot.sav 58" in result.output
    read = read_sav(target)
    assert len(read.rows) == 58
    useful = read.column("useful")
    assert read.value_labels("useful")[1] == "Very useful"
    assert useful.count(1.0) == 22 + 3
    assert useful.count(-9.0) == 0 and read.column("sessions").count(-9.0) == 58  # nobody answered it
    assert read.label("useful") == "How useful was the event?"


def test_export_writes_a_stata_file_with_the_status_filter(
    runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    _data(db, tmp_path)
    target = tmp_path / "pilot.dta"
    args = ["export", "--instrument", SLUG, "--format", "dta", "--status", "partial", "-o", str(target)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    read = read_dta(target)
    assert read.column("status") == ["partial"] * 3
    assert read.column("org_type") == ["b"] * 3  # .b: shown, not answered
    assert read.value_labels("org_type")["b"] == "Missing (shown, not answered)"


def test_a_project_gives_one_file_per_instrument(
    runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    _data(db, tmp_path)
    second = tmp_path / "second.yaml"
    second.write_text(SECOND)
    with db.write() as session:
        save_instrument(session, load_file(second))
    result = runner.invoke(
        args=["export", "--project", "pilot", "--format", "sav", "-o", str(tmp_path / "p.sav")]
    )
    assert result.exit_code == 0, result.output
    assert len(read_sav(tmp_path / f"p-{SLUG}.sav").rows) == 58
    empty = read_sav(tmp_path / "p-second-form.sav")
    assert empty.rows == [] and "ok" in empty.meta.column_names


def test_statistical_files_are_never_identified(runner: FlaskCliRunner, db: Database, tmp_path: Path) -> None:
    _data(db, tmp_path)
    for file_format in ("sav", "dta"):
        target = tmp_path / f"x.{file_format}"
        args = ["export", "--instrument", SLUG, "--format", file_format, "-o", str(target)]
        result = runner.invoke(args=[*args, "--identified", "--as", "someone@example.org"])
        assert result.exit_code == 1
        assert "never identified" in result.output
        assert not target.exists()
