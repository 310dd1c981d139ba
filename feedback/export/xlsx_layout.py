"""Page set-up and column widths for the XLSX writer: how a sheet prints and how wide it is.

Decisions (and why):

* **Every sheet prints one page wide** (``fitToWidth=1``, ``fitToHeight=0``: as many pages
  down as needed), landscape when it is wider than :data:`WIDE_COLUMNS` columns or has charts
  beside its tables, on A4 (the evaluators this tool is for are in the UK). The header row is
  repeated on every page (print titles). The page header names the instrument and the sheet;
  the footer gives the export date in words, "Page 2 of 7" and "Base: n", the responses in
  scope, when one base applies to the whole sheet.
* **Widths from the content**, measured on the first :data:`PEEK_ROWS` rows (a streamed sheet
  cannot be measured to its end before its column widths are written, which comes first in the
  file), capped at :data:`MAX_WIDTH` characters. Titles, headings and notes are not measured:
  they wrap across the table instead of making its first column as wide as a sentence.
* **Keeping a question on one page**: :class:`PageTracker` estimates where pages end from the
  sheet's width (the fit-to-width scale) and row heights, and asks for a page break before a
  block that would otherwise be split. The estimate leaves a margin, so a program that fits a
  few more rows on a page only leaves a little space at the foot of some pages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .sheets import Row, Sheet

WIDE_COLUMNS = 6
PEEK_ROWS = 200
MAX_WIDTH = 60.0
MIN_WIDTH = 6.0
HEADER_WIDTH = 18  # a longer column header wraps onto a second line rather than widen its column
ROW_PT = 15.0  # Excel's default row height (Calibri 11)
_A4_PT = (595.0, 842.0)
_MARGINS = PageMargins(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3)
_MEASURED_ROLES = ("header", "base")


def plain_date(day: date) -> str:
    """ "3 March 2026": the export date as people write it."""
    return f"{day.day} {day:%B %Y}"


def _header_footer_text(text: str, limit: int = 120) -> str:
    """A header/footer section's text: ``&`` starts a code there, so a literal one is doubled;
    Excel refuses headers longer than 255 characters in all, hence the limit per section."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.replace("&", "&&")


def set_up_page(ws: Any, sheet: Sheet, columns: int, exported: date) -> None:
    """Page set-up, print titles, header and footer (before the first row is written: the
    fit-to-page flag is in the sheet's properties, which open the file)."""
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    setup = ws.page_setup
    setup.orientation = "landscape" if is_wide(sheet, columns) else "portrait"
    setup.paperSize = Worksheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    ws.page_margins = _MARGINS
    ws.print_title_rows = "1:1"
    ws.print_options.gridLines = sheet.autofilter  # data sheets: the grid helps follow a row
    if sheet.caption:
        ws.oddHeader.center.text = _header_footer_text(sheet.caption)
    ws.oddHeader.right.text = "&A"  # the sheet's name
    ws.oddFooter.left.text = f"Exported {plain_date(exported)}"
    ws.oddFooter.center.text = "Page &P of &N"
    if sheet.base is not None:
        ws.oddFooter.right.text = f"Base: {sheet.base}"


def is_wide(sheet: Sheet, columns: int) -> bool:
    return columns > WIDE_COLUMNS or bool(sheet.charts)


def _value_width(value: object, percent: bool) -> float:
    cls = value.__class__
    if cls is str:
        return float(max(len(line) for line in value.split("\n")))  # type: ignore[attr-defined]
    if cls is datetime:
        return 19.0  # yyyy-mm-dd h:mm:ss
    if cls is date:
        return 10.0
    if cls is float:
        return 6.0 if percent else float(min(len(repr(value)), 11))
    return float(len(str(value)))


def is_title(sheet: Sheet, widest: int) -> bool:
    """A one-cell header above a wider table is the sheet's title, not a column header."""
    return len(sheet.headers) == 1 and widest > 1


def column_widths(sheet: Sheet, head: Sequence[Sequence[object]]) -> list[float]:
    """Widths (characters) for every column used by the header and ``head`` rows."""
    widest = max([len(sheet.headers), *(len(r) for r in head)], default=0)
    widths = [0.0] * widest
    if not is_title(sheet, widest):
        for i, name in enumerate(sheet.headers):
            widths[i] = min(len(str(name)), HEADER_WIDTH) * 1.1  # bold
    for row in head:
        if row.__class__ is Row and row.role not in _MEASURED_ROLES:
            continue
        if widest > 1 and sum(1 for v in row if v not in (None, "")) < 2:
            continue  # a lone cell is a heading or a note, wrapped across the table
        for i, value in enumerate(row):
            if value is not None and value != "":
                widths[i] = max(widths[i], _value_width(value, i + 1 in sheet.percent_columns))
    out = [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) if w else 10.0 for w in widths]
    for i, minimum in enumerate(sheet.widths):
        if i < len(out):
            out[i] = max(out[i], minimum)
        else:
            out.append(minimum)
    return out


def numeric_columns(head: Sequence[Sequence[object]]) -> frozenset[int]:
    """0-based columns holding numbers (at least a third of their values: counts beside "not
    known"), whose headers and texts are right-aligned, over the numbers."""
    numbers: dict[int, int] = {}
    texts: dict[int, int] = {}
    for row in head:
        for i, value in enumerate(row):
            if value.__class__ in (int, float):
                numbers[i] = numbers.get(i, 0) + 1
            elif value.__class__ is str and value:
                texts[i] = texts.get(i, 0) + 1
    return frozenset(i for i, n in numbers.items() if n * 2 >= texts.get(i, 0))


def lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in ``width`` characters. A column's width counts
    digits, which are wider than the average letter, so a line holds a few more characters."""
    per_line = max(1, int(width * 1.2))
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def width_pt(widths: Sequence[float]) -> float:
    """Printed width of columns of these widths (Excel: 7 px a character plus 5 px padding)."""
    return sum((w * 7 + 5) * 0.75 for w in widths)


class PageTracker:
    """Where printed pages will end, estimated, to keep blocks of rows on one page."""

    def __init__(self, ws: Any, sheet: Sheet, widths: Sequence[float], title_pt: float):
        landscape = is_wide(sheet, len(widths))
        page_w, page_h = (_A4_PT[1], _A4_PT[0]) if landscape else _A4_PT
        printable_w = page_w - 72 * (_MARGINS.left + _MARGINS.right)
        printable_h = page_h - 72 * (_MARGINS.top + _MARGINS.bottom)
        scale = min(1.0, printable_w / max(1.0, width_pt(widths)))
        self.capacity = printable_h / scale * 0.96 - title_pt  # the title rows repeat on each page
        self.ws = ws
        self.used = 0.0

    def row(self, row: int, height: float, keep: int) -> None:
        """Account for sheet row ``row``; break before it when the block it starts would not fit."""
        if keep and self.used > 0 and self.used + height + (keep - 1) * ROW_PT > self.capacity:
            self.ws.row_breaks.append(Break(id=row - 1))
            self.used = 0.0
        self.used += height
        if self.used > self.capacity:  # the program breaks here by itself
            self.used = height
