"""The XLSX writer: sheets in, one workbook out, streaming (openpyxl ``write_only`` with lxml).

This module owns spreadsheet safety (see :mod:`feedback.export.cells` for the decisions): no text
cell can become a formula, an error value or a hyperlink, control characters never reach the
XML, and text longer than a cell can hold is continued on a "Long text" sheet, never cut.
Numbers, dates and datetimes stay typed; timezone-aware datetimes are written as UTC (Excel has
no timezones), which the Codebook states.

It also makes the workbook report-ready: page set-up and widths (:mod:`.xlsx_layout`), bold
headings, percentages stored as fractions with the "0.0%" format, and charts
(:mod:`.xlsx_charts`). Styling costs a cell object per cell, so only report sheets (rows that
are :class:`~feedback.export.sheets.Row`, sheets with percent columns or wrapping) take the
styled path; the Responses sheet keeps the plain, fast one.

Memory: write-only worksheets stream each row to a temporary file, and openpyxl writes strings
inline (no shared-string table), so memory does not grow with the number of rows; only the
first :data:`~.xlsx_layout.PEEK_ROWS` rows are held, to measure column widths.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from .cells import (
    DANGEROUS_FIRST,
    ILLEGAL,
    MAX_CELL,
    clean,
    continuation_note,
    is_dangerous,
    sheet_name,
    split_text,
)
from .sheets import Row, Sheet
from .xlsx_charts import bar_chart
from .xlsx_layout import (
    PEEK_ROWS,
    ROW_PT,
    PageTracker,
    column_widths,
    is_title,
    lines,
    numeric_columns,
    set_up_page,
)

LONG_TEXT_SHEET = "Long text"
PERCENT_FORMAT = "0.0%"
_RISKY_FIRST = DANGEROUS_FIRST | {" ", "#"}
_illegal = ILLEGAL.search
LONG_TEXT_HEADERS = ("sheet", "cell", "characters", "text (joined from the part columns)")
# The workbook's own font, named: a Font without a name makes LibreOffice fall back to a serif.
_BOLD = Font(name="Calibri", size=11, bold=True)
_TITLE = Font(name="Calibri", size=12, bold=True)
_ITALIC = Font(name="Calibri", size=11, italic=True)
_RULE = Border(bottom=Side(style="thin"))
_WRAP = Alignment(wrap_text=True, vertical="top")
_RIGHT = Alignment(horizontal="right", wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")  # figures beside a wrapped label line up with its first line
_SPANNING = ("title", "heading", "note")


@dataclass
class WriteReport:
    """What was written: data rows per sheet (header not counted) and how many texts overflowed."""

    rows: dict[str, int] = field(default_factory=dict)
    long_texts: int = 0


class _SheetWriter:
    """Turns values into safe cells for one worksheet; collects texts that are too long."""

    def __init__(self, ws: Any, overflow: list[list[object]], long_sheet: str, sheet: Sheet | None = None):
        self.ws = ws
        self.overflow = overflow
        self.long_sheet = long_sheet
        self.percent = sheet.percent_columns if sheet else frozenset()
        self.wrap = sheet.wrap if sheet else False
        self.widths: list[float] = []
        self.numeric: frozenset[int] = frozenset()
        self.span = 1

    def text_cell(self, value: str) -> Any:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever openpyxl guessed
        cell.quotePrefix = True
        return cell

    def long(self, value: str, row: int, column: int) -> str:
        ref = f"{get_column_letter(column)}{row}"
        self.overflow.append([self.ws.title, ref, len(value), *split_text(value)])
        note = continuation_note(self.long_sheet, len(self.overflow) + 1)
        return value[: MAX_CELL - len(note)] + note

    def header(self, headers: Sequence[str], title: bool = False) -> list[Any]:
        cells: list[Any] = []
        for name in headers:
            cell = self.text_cell(clean(str(name))[:MAX_CELL])
            if title:
                cell.font, cell.alignment = _TITLE, _WRAP
            else:
                cell.font, cell.border = _BOLD, _RULE
                cell.alignment = _RIGHT if len(cells) in self.numeric else _WRAP
            cells.append(cell)
        return cells

    def row(self, values: Sequence[object], row: int) -> list[Any]:
        """Safe cells for one row. The hot path of every export: a plain loop, and the checks
        for control characters and dangerous first characters run only where they can matter."""
        out = list(values)
        for column, value in enumerate(out):
            cls = value.__class__
            if cls is str:
                text: str = value  # type: ignore[assignment]
                if not text:
                    out[column] = None
                    continue
                if _illegal(text):
                    text = clean(text)
                if len(text) > MAX_CELL:
                    text = self.long(text, row, column + 1)
                if text and text[0] in _RISKY_FIRST and is_dangerous(text):
                    out[column] = self.text_cell(text)
                else:
                    out[column] = text
            elif cls is datetime:
                if value.tzinfo is not None:  # type: ignore[attr-defined]
                    out[column] = value.astimezone(UTC).replace(tzinfo=None)  # type: ignore[attr-defined]
            elif cls is bool:
                out[column] = int(value)  # type: ignore[call-overload]
        return out

    def styled(self, values: Sequence[object], row: int) -> tuple[list[Any], float]:
        """Safe cells with the row's style, and the row's height in points (report sheets).

        A plain row only gets cell objects where they are needed (percentages, wrapped text,
        and the other cells of a row that wraps, aligned to its first line)."""
        role = values.role if values.__class__ is Row else None
        out = self.row(values, row)
        height = ROW_PT
        wrapped: set[int] = set()
        for column, value in enumerate(out):
            plain = value.value if isinstance(value, Cell) else value
            if plain.__class__ is str:
                width = self._width(column, role)
                if role in _SPANNING or (self.wrap and len(plain) > width):
                    wrapped.add(column)
                    size = 1.25 if role == "title" else 1.0
                    height = max(height, lines(plain, width / size) * ROW_PT * size)
        numeric = self.numeric
        aside = {c for c, v in enumerate(out) if c in numeric and v.__class__ is str}  # "not known"
        if role is None and height == ROW_PT and not self.percent and not aside:
            return out, height
        for column, value in enumerate(out):
            if value is None:
                continue
            percent = column + 1 in self.percent and value.__class__ in (float, int)
            if role is None and not percent and height == ROW_PT and column not in aside:
                continue
            cell = value if isinstance(value, Cell) else WriteOnlyCell(self.ws, value=value)
            if percent and role != "header":
                cell.number_format = PERCENT_FORMAT
            if role in ("header", "heading"):
                cell.font = _BOLD
            elif role == "title":
                cell.font = _TITLE
            elif role in ("base", "note"):
                cell.font = _ITALIC
            if column in wrapped:
                cell.alignment = _WRAP
            elif (role == "header" or column in aside) and column in numeric:
                cell.alignment = _RIGHT
            elif height > ROW_PT:
                cell.alignment = _TOP
            if role == "header":
                cell.border = _RULE
            out[column] = cell
        if role in _SPANNING and self.span > 1 and sum(1 for v in out if v is not None) == 1 and out[0]:
            self.ws.merged_cells.add(f"A{row}:{get_column_letter(self.span)}{row}")
        return out, height

    def _width(self, column: int, role: str | None) -> float:
        if role in _SPANNING and column == 0 and self.span > 1:
            return sum(self.widths[: self.span])
        return self.widths[column] if column < len(self.widths) else 10.0


def write_xlsx(
    target: Path | IO[bytes], sheets: Iterable[Sheet], exported: date | None = None
) -> WriteReport:
    """Write ``sheets`` in order (rows consumed lazily) and save to ``target``; ``exported`` is
    the date in the page footers (today, local time, by default).

    Raises whatever the row iterators raise (nothing is saved then) and ``OSError`` on disk
    errors; callers write to a temporary path and rename (see ``services.exports``).
    """
    workbook = Workbook(write_only=True)
    try:
        return _write(workbook, target, sheets, exported or date.today())
    except BaseException:
        _discard(workbook)
        raise


def _discard(workbook: Workbook) -> None:
    """Close the half-written sheets and delete their temporary files after a failure."""
    for ws in workbook.worksheets:
        try:
            if not ws.closed:
                ws.close()
        except Exception:  # noqa: BLE001, S110 - best effort: the original error is what matters
            pass
        writer = getattr(ws, "_writer", None)
        if writer is not None and os.path.exists(writer.out):
            writer.cleanup()


def _lay_out(
    ws: Any, sheet: Sheet, writer: _SheetWriter, head: list[Sequence[object]], exported: date
) -> float:
    """Everything that comes before the rows in the file (widths, panes, page set-up, the
    default row height) and the header row; returns the header row's height in points."""
    widths = column_widths(sheet, head)
    writer.widths = widths
    writer.numeric = numeric_columns(head)
    writer.span = sheet.span or len(widths)
    for index, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(index)].width = round(width, 1)
    if sheet.freeze_header:
        ws.freeze_panes = "A2"
    set_up_page(ws, sheet, len(widths), exported)
    if sheet.percent_columns or sheet.wrap:  # LibreOffice's default row is shorter than Excel's
        ws.sheet_format.defaultRowHeight = ROW_PT
        ws.sheet_format.customHeight = True
    title = is_title(sheet, len(widths))
    height = ROW_PT
    if title:
        height = lines(str(sheet.headers[0]), sum(widths[: writer.span]) / 1.25) * ROW_PT * 1.25
        if writer.span > 1:
            ws.merged_cells.add(f"A1:{get_column_letter(writer.span)}1")
    elif sheet.headers:
        height = max(lines(str(h), w) for h, w in zip(sheet.headers, widths, strict=False)) * ROW_PT
    if height > ROW_PT:
        ws.row_dimensions[1].height = height
    ws.append(writer.header(sheet.headers, title))
    return height


def _write_sheet(ws: Any, sheet: Sheet, writer: _SheetWriter, exported: date) -> int:
    """Lay out and write one sheet; the number of data rows written."""
    rows: Iterator[Sequence[object]] = iter(sheet.rows)
    head = list(islice(rows, PEEK_ROWS))  # column widths come first in the file
    header_pt = _lay_out(ws, sheet, writer, head, exported)
    styled = bool(sheet.percent_columns or sheet.wrap)
    pages = PageTracker(ws, sheet, writer.widths, header_pt) if styled else None
    count = 0
    for count, values in enumerate(chain(head, rows), 1):  # noqa: B007 - count is used after the loop
        if styled or values.__class__ is Row:
            cells, height = writer.styled(values, count + 1)
            if height > ROW_PT:
                ws.row_dimensions[count + 1].height = height
            if pages is not None:
                pages.row(count + 1, height, getattr(values, "keep", 0))
            ws.append(cells)
        else:
            ws.append(writer.row(values, count + 1))
    if sheet.autofilter and sheet.headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{count + 1}"
    for spec in sheet.charts:
        column = column_index_from_string(coordinate_from_string(spec.anchor)[0]) - 1
        width = writer.widths[column] if column < len(writer.widths) else 80.0
        ws.add_chart(bar_chart(ws, spec, (width * 7 + 5) / 37.8))  # characters to centimetres
    return count


def _write(
    workbook: Workbook, target: Path | IO[bytes], sheets: Iterable[Sheet], exported: date
) -> WriteReport:
    taken: set[str] = {LONG_TEXT_SHEET.lower()}
    overflow: list[list[object]] = []
    report = WriteReport()
    for sheet in sheets:
        ws = workbook.create_sheet(sheet_name(sheet.name, taken))
        writer = _SheetWriter(ws, overflow, LONG_TEXT_SHEET, sheet)
        report.rows[ws.title] = _write_sheet(ws, sheet, writer, exported)
    if overflow:
        ws = workbook.create_sheet(LONG_TEXT_SHEET)
        writer = _SheetWriter(ws, [], LONG_TEXT_SHEET)
        widest = max(len(item) for item in overflow)
        headers = [*LONG_TEXT_HEADERS, *(f"part {i}" for i in range(2, widest - 2))]
        long_sheet = Sheet(LONG_TEXT_SHEET, headers, [], widths=[12, 8, 10, 60])
        ws.column_dimensions["D"].width = 60
        ws.freeze_panes = "A2"
        set_up_page(ws, long_sheet, len(headers), exported)
        ws.append(writer.header(headers))
        for index, item in enumerate(overflow, 2):
            ws.append(writer.row(item, index))  # pieces are <= MAX_CELL: never overflow again
        report.rows[LONG_TEXT_SHEET] = len(overflow)
        report.long_texts = len(overflow)
    if not workbook.worksheets:
        workbook.create_sheet("Empty")
    workbook.save(target)
    return report
