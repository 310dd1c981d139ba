"""The writers' own safety guarantees, checked by reading the files back with two readers."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from feedback.export.cells import MAX_CELL, from_csv_text, sheet_name
from feedback.export.csv_writer import write_csv
from feedback.export.sheets import Sheet
from feedback.export.xlsx import LONG_TEXT_SHEET, write_xlsx

PAYLOADS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "  =1",
    '=HYPERLINK("http://x","y")',
    "#N/A",
    "#DIV/0!",
    "'=1",
    "=",
]


def _write(tmp_path: Path, rows: list[list[object]], headers: tuple[str, ...] = ("a",)) -> Path:
    path = tmp_path / "out.xlsx"
    write_xlsx(path, [Sheet("Data", headers, rows)])
    return path


def test_injection_payloads_come_back_as_the_same_text(tmp_path: Path) -> None:
    path = _write(tmp_path, [[p] for p in PAYLOADS])
    sheet = openpyxl.load_workbook(path)["Data"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == PAYLOADS
    assert all(c.data_type == "s" for c in cells), [c.data_type for c in cells]
    assert all(c.hyperlink is None for c in cells)
    assert all(c.quotePrefix for c in cells if c.value != "'=1")
    calamine = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()
    assert [row[0] for row in calamine[1:]] == PAYLOADS


def test_no_formula_element_in_the_sheet_xml(tmp_path: Path) -> None:
    import zipfile

    path = _write(tmp_path, [[p] for p in PAYLOADS])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert 't="e"' not in xml


def test_values_keep_their_types(tmp_path: Path) -> None:
    when = datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    path = _write(tmp_path, [[3, 2.5, date(2026, 1, 2), when, "text", None]], ("a", "b", "c", "d", "e", "f"))
    row = next(openpyxl.load_workbook(path)["Data"].iter_rows(min_row=2, values_only=True))
    assert row == (3, 2.5, datetime(2026, 1, 2), datetime(2026, 3, 1, 13, 30), "text", None)


def test_control_characters_do_not_break_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, [["a\x00b\x01c\x1fd\te\nf"]])
    value = openpyxl.load_workbook(path)["Data"]["A2"].value
    assert value == "abcd\te\nf"
    assert CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()[1][0] == value


def test_text_longer_than_a_cell_continues_on_the_long_text_sheet(tmp_path: Path) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(40_000))
    path = _write(tmp_path, [["short"], [text]])
    book = openpyxl.load_workbook(path)
    cell = book["Data"]["A3"].value
    assert len(cell) <= MAX_CELL
    assert text.startswith(cell[: cell.index(" [...")])
    assert f"sheet '{LONG_TEXT_SHEET}', row 2" in cell
    long_row = next(book[LONG_TEXT_SHEET].iter_rows(min_row=2, values_only=True))
    assert long_row[:3] == ("Data", "A3", 40_000)
    assert "".join(part for part in long_row[3:] if part) == text


def test_sheet_names_are_sanitised_and_unique() -> None:
    taken: set[str] = set()
    assert sheet_name("Results: wave [1]/2?", taken) == "Results  wave  1  2"
    assert sheet_name("x" * 40, taken) == "x" * 31
    assert sheet_name("X" * 40, taken) == "X" * 27 + " (2)"
    assert sheet_name("'", taken) == "Sheet"


def test_csv_cells_that_would_be_formulas_get_a_quote() -> None:
    handle = io.StringIO(newline="")
    write_csv(handle, Sheet("x", ("a",), [[p] for p in PAYLOADS] + [[-1], ["plain"]]))
    rows = list(csv.reader(io.StringIO(handle.getvalue())))
    values = [row[0] for row in rows[1:]]
    for written, original in zip(values, PAYLOADS, strict=False):
        assert written.startswith("'") or written[:1] not in "=+-@\t\r#", written
        assert from_csv_text(written) == original
    assert values[-2:] == ["-1", "plain"]  # a number stays a number; ordinary text is untouched


def test_libreoffice_reads_payloads_as_text(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: .ci/run installs it; skipping the third reader")
    path = _write(tmp_path, [[p] for p in PAYLOADS])
    subprocess.run(
        [soffice, "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8", errors="replace") as handle:
        values = [row[0] for row in csv.reader(handle)][1:]
    assert values == PAYLOADS
