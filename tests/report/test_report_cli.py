"""``feedback report --project SLUG -o FILE.docx [--template FILE.docx]`` through click's runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document
from flask.testing import FlaskCliRunner
from report_support import docx_text, load_form, record

from feedback.cli_report import report_command
from feedback.db.session import Database


@pytest.fixture
def pilot(db: Database, tmp_path: Path) -> Database:
    load_form(db, tmp_path)
    record(db, [{"org_type": "vco", "area": "north", "useful": "very"}] * 2)
    return db


def test_the_command_writes_the_report(pilot: Database, runner: FlaskCliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out" / "pilot.docx"
    result = runner.invoke(report_command, ["--project", "pilot", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}" in result.output
    text = docx_text(target)
    assert "Table 2.1: Methods, samples and response rates" in text
    assert "Table 4.1: How useful was the pilot?" in text


def test_a_template_of_the_evaluators_own(pilot: Database, runner: FlaskCliRunner, tmp_path: Path) -> None:
    house = Document()
    house.styles["Heading 1"].font.name = "Georgia"
    house.save(str(tmp_path / "house.docx"))
    target = tmp_path / "pilot.docx"
    result = runner.invoke(
        report_command, ["--project", "pilot", "-o", str(target), "--template", str(tmp_path / "house.docx")]
    )
    assert result.exit_code == 0, result.output
    assert Document(str(target)).styles["Heading 1"].font.name == "Georgia"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project", "nowhere", "-o", "{tmp}/x.docx"], "no project called 'nowhere'"),
        (["--project", "pilot", "-o", "{tmp}/x.pdf"], "a Word report is a .docx file (name it x.docx)"),
        (
            ["--project", "pilot", "-o", "{tmp}/x.docx", "--template", "{tmp}/pilot-survey.yaml"],
            "not a Word document",
        ),
    ],
)
def test_mistakes_are_messages_and_write_nothing(
    pilot: Database, runner: FlaskCliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(report_command, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 1
    assert message in result.output
    assert not (tmp_path / "x.docx").exists() and not (tmp_path / "x.pdf").exists()
