"""`feedback export` end to end: data recorded like web answers, workbook read back two ways."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from analysis_support import SLUG, Record
from flask.testing import FlaskCliRunner
from python_calamine import CalamineWorkbook
from sqlalchemy import func, insert, select

from feedback.db import Answer, Contact, Project, Question, Response
from feedback.db.session import Database

STORED_PAYLOADS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    '=HYPERLINK("http://x","y")',
    "#N/A",
    "-",
    "=cmd|' /C calc'!A0",
]


def _export(runner: FlaskCliRunner, path: Path, *args: str) -> None:
    result = runner.invoke(args=["export", "--instrument", SLUG, "-o", str(path), *args])
    assert result.exit_code == 0, result.output
    assert path.exists()


def _rows(path: Path, sheet: str = "Responses") -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def _sample(record: Record) -> None:
    record({"useful": "very", "topics": ["funding", "policy"], "attended": "no", "why_not": "Too far",
            "sessions": 3, "first_date": "2026-02-03", "comments": "Great"})  # fmt: skip
    record({"useful": "ambivalent", "attended": "yes"})
    record({"useful": "not_very"}, status="partial", submitted_at=None, mode="paper")


def test_workbook_has_the_sheets_and_one_row_per_response(
    runner: FlaskCliRunner, db: Database, record: Record, tmp_path: Path
) -> None:
    _sample(record)
    path = tmp_path / "out.xlsx"
    _export(runner, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Responses", "Codebook", "Summary", "Free text", "Response rates"]
    rows = _rows(path)
    with db.read() as session:
        assert len(rows) - 1 == session.scalar(select(func.count()).select_from(Response))
    header = rows[0]
    meta = ("response_id", "status", "mode", "event", "event_code", "submitted_at", "respondent")
    assert header[:7] == meta
    assert header[7:12] == ("useful", "topics", "topics/funding", "topics/networks", "topics/policy")
    first = dict(zip(header, rows[1], strict=True))
    assert first["useful"] == "Very useful"
    assert first["topics"] == "Funding; Policy"
    assert (first["topics/funding"], first["topics/networks"], first["topics/policy"]) == (1, 0, 1)
    assert first["sessions"] == 3 and isinstance(first["sessions"], int)
    assert first["first_date"] == datetime(2026, 2, 3)
    assert isinstance(first["submitted_at"], datetime)
    second = dict(zip(header, rows[2], strict=True))
    assert second["topics"] is None and second["topics/funding"] is None  # not answered: blank, not 0
    sheet = book["Responses"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}4"
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Responses").to_python()
    assert len(calamine) == 4 and calamine[1][7] == "Very useful"


def test_codes_mode_writes_codes(runner: FlaskCliRunner, record: Record, tmp_path: Path) -> None:
    _sample(record)
    path = tmp_path / "codes.xlsx"
    _export(runner, path, "--values", "codes", "--status", "complete")
    rows = _rows(path)
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["useful"], first["topics"]) == ("very", "funding policy")


def test_stored_payloads_come_back_as_text(runner: FlaskCliRunner, record: Record, tmp_path: Path) -> None:
    for payload in STORED_PAYLOADS:
        record({"comments": payload, "useful": "very"})
    path = tmp_path / "out.xlsx"
    _export(runner, path)
    sheet = openpyxl.load_workbook(path)["Responses"]
    column = [c.value for c in sheet[1]].index("comments") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, 2 + len(STORED_PAYLOADS))]
    assert [c.value for c in cells] == STORED_PAYLOADS
    assert {c.data_type for c in cells} == {"s"}
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Responses").to_python()
    assert [row[column - 1] for row in calamine[1:]] == STORED_PAYLOADS
    free = _rows(path, "Free text")
    assert [row[3] for row in free[1:]] == STORED_PAYLOADS


def test_respondent_is_a_pseudonym_never_the_email(
    runner: FlaskCliRunner, db: Database, record: Record, tmp_path: Path
) -> None:
    with db.write() as session:
        project = Project(slug="pseudo", name="P")
        session.add(project)
        session.flush()
        contact = Contact(project_id=project.id, email="ann@example.org", name="Ann Example")
        session.add(contact)
        session.flush()
        contact_id = contact.id
    record({"useful": "very"}, contact_id=contact_id)
    record({"useful": "very"}, contact_id=contact_id)
    path = tmp_path / "out.xlsx"
    _export(runner, path)
    rows = _rows(path)
    ids = {row[6] for row in rows[1:]}
    assert len(ids) == 1 and len(next(iter(ids))) == 20
    everything = " ".join(str(v) for row in rows for v in row)
    assert "ann@example.org" not in everything and "Ann" not in everything


def test_a_40000_character_answer_is_not_cut_silently(
    runner: FlaskCliRunner, db: Database, record: Record, tmp_path: Path
) -> None:
    response_id = record({"useful": "very"})
    text = "word " * 8_000
    with db.write() as session:  # older data, from before answers were limited to a cell's size
        qid = session.scalar(select(Question.id).where(Question.name == "comments"))
        session.execute(insert(Answer), [{"response_id": response_id, "question_id": qid, "value": text}])
    path = tmp_path / "long.xlsx"
    result = runner.invoke(args=["export", "--instrument", SLUG, "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert "Long text" in result.output
    book = openpyxl.load_workbook(path)
    long_rows = list(book["Long text"].iter_rows(min_row=2, values_only=True))
    full = {row[0]: "".join(p for p in row[3:] if p) for row in long_rows}
    assert full["Responses"] == text and full["Free text"] == text


def test_csv_export_protects_cells(runner: FlaskCliRunner, record: Record, tmp_path: Path) -> None:
    for payload in STORED_PAYLOADS:
        record({"comments": payload})
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["export", "--instrument", SLUG, "-o", str(target), "--format", "csv"])
    assert result.exit_code == 0, result.output
    with (tmp_path / "out-responses.csv").open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("comments")
    written = [row[column] for row in rows[1:]]
    assert written == ["'" + p if p[0] in "=+-@#" else p for p in STORED_PAYLOADS]
    assert (tmp_path / "out-codebook.csv").exists()


def test_failed_export_leaves_no_partial_file(
    runner: FlaskCliRunner, record: Record, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record({"useful": "very"})
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "out.xlsx"
    path.write_bytes(b"previous export")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("feedback.services.exports.codebook_sheet", broken)
    result = runner.invoke(args=["export", "--instrument", SLUG, "-o", str(path)])
    assert result.exit_code != 0
    assert path.read_bytes() == b"previous export"
    assert [p.name for p in folder.iterdir()] == ["out.xlsx"]


def test_summary_sheet_has_report_tables_and_charts(
    runner: FlaskCliRunner, record: Record, tmp_path: Path
) -> None:
    import zipfile

    for code, n in (("very", 22), ("ambivalent", 16), ("not_very", 17)):
        for _ in range(n):
            record({"useful": code})
    record({"topics": ["policy"]})
    path = tmp_path / "out.xlsx"
    _export(runner, path)
    rows = _rows(path, "Summary")
    start = rows.index(("How useful was the event? [useful]", None, None, None, None))
    table = rows[start + 1 : start + 8]
    assert table[0] == ("Answer", "n", "%", "95% CI low", "95% CI high")
    assert [r[:3] for r in table[1:5]] == [  # fractions of 1, shown as percentages
        ("Very useful", 22, 0.4),
        ("Ambivalent", 16, 0.291),
        ("Not very useful", 17, 0.309),
        ("Base (answered)", 55, None),
    ]
    sheet = openpyxl.load_workbook(path)["Summary"]
    percent = sheet.cell(row=start + 3, column=3)
    assert (percent.value, percent.number_format) == (0.4, "0.0%")
    assert [r[:2] for r in table[5:7]] == [
        ("Missing", 1),
        ("Not shown (skipped)", 0),
    ]
    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2  # useful and topics; attended has no answers, so no chart


def test_export_needs_instrument_or_project(runner: FlaskCliRunner, instrument: str) -> None:
    result = runner.invoke(args=["export"])
    assert result.exit_code == 1 and "--instrument SLUG or --project SLUG" in result.output
    result = runner.invoke(args=["export", "--project", "nope"])
    assert result.exit_code == 1 and "no project called 'nope'" in result.output


def test_project_export_default_path(
    runner: FlaskCliRunner, db: Database, record: Record, settings: object, tmp_path: Path
) -> None:
    from analysis_support import FORM

    from feedback.domain.loader import load_file
    from feedback.services.instruments import save_instrument

    second = tmp_path / "second.yaml"
    second.write_text(FORM.replace("form_id: usefulness-check", "form_id: usefulness-followup"))
    with db.write() as session:
        save_instrument(session, load_file(second))
    record({"useful": "very"})
    record({"useful": "not_very"}, slug="usefulness-followup")
    result = runner.invoke(args=["export", "--project", "analysis-tests"])
    assert result.exit_code == 0, result.output
    written = Path(result.output.split("wrote ", 1)[1].split("\n", 1)[0])
    assert written.parent == settings.exports_path  # type: ignore[attr-defined]
    names = openpyxl.load_workbook(written).sheetnames
    assert names == [
        "Instruments",
        "Responses 1",
        "Codebook 1",
        "Summary 1",
        "Responses 2",
        "Codebook 2",
        "Summary 2",
        "Response rates",
    ]
    assert written.name.startswith("analysis-tests-") and written.suffix == ".xlsx"
    book = openpyxl.load_workbook(written)
    assert [r[1] for r in book["Instruments"].iter_rows(min_row=2, values_only=True)] == [
        "usefulness-check",
        "usefulness-followup",
    ]
    assert book["Responses 2"].max_row == 2


def test_responses_without_answers_keep_their_rows(
    runner: FlaskCliRunner, record: Record, tmp_path: Path
) -> None:
    ids = [
        record({}),
        record({"useful": "very"}),
        record({}),
        record({}),
        record({"useful": "not_very", "topics": ["networks"]}),
        record({}),
    ]
    path = tmp_path / "out.xlsx"
    _export(runner, path, "--values", "codes")
    rows = _rows(path)
    assert [(r[0], r[7], r[8]) for r in rows[1:]] == [
        (ids[0], None, None),
        (ids[1], "very", None),
        (ids[2], None, None),
        (ids[3], None, None),
        (ids[4], "not_very", "networks"),
        (ids[5], None, None),
    ]


def test_themes_sheet_when_answers_are_coded(
    runner: FlaskCliRunner, db: Database, record: Record, tmp_path: Path
) -> None:
    from feedback.db import Instrument
    from feedback.services.coding import create_theme, set_answer_themes

    first = record({"comments": "Too far to travel"})
    record({"comments": "Great"})
    with db.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        assert instrument is not None
        travel = create_theme(session, instrument, "comments", "Travel")
        set_answer_themes(session, instrument, "comments", {first: {travel.id}})
    path = tmp_path / "out.xlsx"
    _export(runner, path)
    rows = _rows(path, "Themes")
    assert ("Travel", 1, 1.0) in [r[:3] for r in rows]  # 100%, stored as a fraction


def test_progress_counts_every_response(db: Database, record: Record, tmp_path: Path) -> None:
    from feedback.db.summary_queries import ResponseFilter
    from feedback.services.exports import export_xlsx, instruments_of

    for i in range(7):
        record({"useful": "very"} if i % 3 == 0 else {})
    ticks: list[int] = []
    with db.read() as session:
        instruments = instruments_of(session, SLUG, None)
        export_xlsx(session, instruments, tmp_path / "p.xlsx", ResponseFilter(), "s", progress=ticks.append)
    assert sum(ticks) == 7
