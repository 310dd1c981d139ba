"""The XLSX writer: sheets in, one workbook out, streaming (openpyxl ``write_only`` with lxml).

This module owns spreadsheet safety (see :mod:`feedback.export.cells` for the decisions): no text
cell can become a formula, an error value or a hyperlink, control characters never reach the
XML, and text longer than a cell can hold is continued on a "Long text" sheet, never cut.
Numbers, dates and datetimes stay typed; timezone-aware datetimes are written as UTC (Excel has
no timezones), which the Codebook states.

Memory: write-only worksheets stream each row to a temporary file, and openpyxl writes strings
inline (no shared-string table), so memory does not grow with the number of rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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
from .sheets import ChartSpec, Sheet

LONG_TEXT_SHEET = "Long text"
_RISKY_FIRST = DANGEROUS_FIRST | {" ", "#"}
_illegal = ILLEGAL.search
LONG_TEXT_HEADERS = ("sheet", "cell", "characters", "text (joined from the part columns)")


@dataclass
class WriteReport:
    """What was written: data rows per sheet (header not counted) and how many texts overflowed."""

    rows: dict[str, int] = field(default_factory=dict)
    long_texts: int = 0


class _SheetWriter:
    """Turns values into safe cells for one worksheet; collects texts that are too long."""

    def __init__(self, ws: Any, overflow: list[list[object]], long_sheet: str):
        self.ws = ws
        self.overflow = overflow
        self.long_sheet = long_sheet
        self.bold = Font(bold=True)

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

    def header(self, headers: Sequence[str]) -> list[Any]:
        cells = []
        for name in headers:
            cell = self.text_cell(clean(str(name))[:MAX_CELL])
            cell.font = self.bold
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


def _chart(ws: Any, spec: ChartSpec) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.title = spec.title[:250]
    chart.y_axis.title = spec.y_title
    chart.legend = None
    chart.height = max(4.0, 1.2 + 0.7 * (spec.last_row - spec.first_row + 1))
    chart.width = 14
    data = Reference(ws, min_col=spec.value_column, min_row=spec.first_row, max_row=spec.last_row)
    labels = Reference(ws, min_col=spec.label_column, min_row=spec.first_row, max_row=spec.last_row)
    chart.add_data(data, titles_from_data=False)
    chart.set_categories(labels)
    return chart


def write_xlsx(target: Path | IO[bytes], sheets: Iterable[Sheet]) -> WriteReport:
    """Write ``sheets`` in order (rows consumed lazily) and save to ``target``.

    Raises whatever the row iterators raise (nothing is saved then) and ``OSError`` on disk
    errors; callers write to a temporary path and rename (see ``services.exports``).
    """
    workbook = Workbook(write_only=True)
    try:
        return _write(workbook, target, sheets)
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


def _write(workbook: Workbook, target: Path | IO[bytes], sheets: Iterable[Sheet]) -> WriteReport:
    taken: set[str] = {LONG_TEXT_SHEET.lower()}
    overflow: list[list[object]] = []
    report = WriteReport()
    for sheet in sheets:
        ws = workbook.create_sheet(sheet_name(sheet.name, taken))
        writer = _SheetWriter(ws, overflow, LONG_TEXT_SHEET)
        for index, width in enumerate(sheet.widths, 1):
            ws.column_dimensions[get_column_letter(index)].width = width
        if sheet.freeze_header:
            ws.freeze_panes = "A2"
        ws.append(writer.header(sheet.headers))
        count = 0
        for count, values in enumerate(sheet.rows, 1):  # noqa: B007 - count is used after the loop
            ws.append(writer.row(values, count + 1))
        if sheet.autofilter and sheet.headers:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{count + 1}"
        for spec in sheet.charts:
            ws.add_chart(_chart(ws, spec), spec.anchor)
        report.rows[ws.title] = count
    if overflow:
        ws = workbook.create_sheet(LONG_TEXT_SHEET)
        writer = _SheetWriter(ws, [], LONG_TEXT_SHEET)
        widest = max(len(item) for item in overflow)
        ws.append(writer.header([*LONG_TEXT_HEADERS, *(f"part {i}" for i in range(2, widest - 2))]))
        for index, item in enumerate(overflow, 2):
            ws.append(writer.row(item, index))  # pieces are <= MAX_CELL: never overflow again
        report.rows[LONG_TEXT_SHEET] = len(overflow)
        report.long_texts = len(overflow)
    if not workbook.worksheets:
        workbook.create_sheet("Empty")
    workbook.save(target)
    return report
