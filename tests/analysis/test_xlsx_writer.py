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


# ------------------------------------------------------------------- page set-up and styles
def test_page_set_up_header_and_footer(tmp_path: Path) -> None:
    from feedback.export.sheets import Row

    path = tmp_path / "pages.xlsx"
    narrow = Sheet("Narrow", ("a", "b"), [[1, 2]], caption="Fish & chips survey", base=12)
    wide = Sheet("Wide", tuple("abcdefgh"), [list(range(8))], autofilter=True)
    write_xlsx(path, [narrow, wide], exported=date(2026, 3, 3))
    book = openpyxl.load_workbook(path)
    first, second = book["Narrow"], book["Wide"]
    assert (first.page_setup.orientation, second.page_setup.orientation) == ("portrait", "landscape")
    for sheet in (first, second):
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.oddFooter.left.text == "Exported 3 March 2026"
        assert sheet.oddFooter.center.text == "Page &P of &N"
    assert first.oddHeader.center.text == "Fish && chips survey"  # a lone & would start a code
    assert first.oddFooter.right.text == "Base: 12"
    assert second.oddFooter.right.text is None  # no base given, none printed
    assert second.print_options.gridLines  # a data sheet prints its grid
    assert Row(["x"], "note") == ["x"]  # a Row is a list to every other writer


def test_report_rows_are_styled_and_percent_cells_are_fractions(tmp_path: Path) -> None:
    from feedback.export.sheets import Row

    rows = [
        Row(["How useful was it? [useful]"], "heading"),
        Row(["Answer", "n", "%"], "header"),
        ["Very useful", 12, 0.316],
        Row(["Base (answered)", 38], "base"),
        ["x" * 200],
    ]
    sheet = Sheet(
        "S", ["A title"], rows, freeze_header=False, percent_columns=frozenset({3}), span=3, wrap=True
    )
    path = tmp_path / "styled.xlsx"
    write_xlsx(path, [sheet])
    ws = openpyxl.load_workbook(path)["S"]
    assert ws["A1"].font.b and ws["A2"].font.b and ws["B3"].font.b
    assert ws["B3"].alignment.horizontal == "right"  # over a column of numbers
    assert (ws["C4"].value, ws["C4"].number_format) == (0.316, "0.0%")
    assert ws["B4"].number_format == "General"  # n stays a count
    assert ws["A5"].font.i
    assert {str(r) for r in ws.merged_cells.ranges} >= {"A1:C1", "A2:C2"}  # title and heading span
    assert ws.column_dimensions["A"].width == len("Base (answered)") + 2  # content, not the title
    assert ws["A6"].alignment.wrap_text and ws.row_dimensions[6].height > 15


def test_widths_follow_content_and_are_capped(tmp_path: Path) -> None:
    path = _write(tmp_path, [["short", "y" * 300, 5]], ("name", "text", "n"))
    ws = openpyxl.load_workbook(path)["Data"]
    widths = [ws.column_dimensions[c].width for c in "ABC"]
    assert widths[0] == 7 and widths[1] == 60 and widths[2] == 6


def test_a_block_that_would_be_split_starts_a_new_page(tmp_path: Path) -> None:
    from feedback.export.sheets import Row

    rows: list[list[object]] = []
    for q in range(12):
        rows.append(Row([f"Question {q}"], "heading", keep=10))
        rows.extend([f"answer {i}", i, 0.1] for i in range(9))
    sheet = Sheet("S", ["T"], rows, freeze_header=False, percent_columns=frozenset({3}), wrap=True)
    path = tmp_path / "breaks.xlsx"
    write_xlsx(path, [sheet])
    ws = openpyxl.load_workbook(path)["S"]
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks, "no page breaks for 120 rows"
    assert all(str(ws.cell(row=b + 1, column=1).value).startswith("Question") for b in breaks)
