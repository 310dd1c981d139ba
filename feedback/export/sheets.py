"""What a writer receives: sheets as headers plus a row iterator, nothing format-specific.

Following indico's split (``generate_spreadsheet_from_survey`` / ``spreadsheets.py``): the table
builders in :mod:`feedback.export.tables` decide *what* is in a sheet; the writers
(:mod:`feedback.export.xlsx`, :mod:`feedback.export.csv_writer`) decide how it is stored, and own
cell safety. Rows are iterators so that the Responses sheet streams from the database.

Report sheets say what a row *is* (a title, a question's heading, a table header, a base line or
a note) by yielding a :class:`Row` instead of a plain list; the XLSX writer turns that into bold
headings and wrapped notes, the CSV writer sees an ordinary list. Plain lists stay the fast path:
the Responses sheet never pays for styling.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["title", "heading", "header", "base", "note"]


class Row(list[object]):
    """A row with a role: ``title``, ``heading`` and ``note`` rows wrap across the table's
    columns, ``header`` rows are bold with a rule below, ``base`` rows are italic.

    ``keep`` asks the writer to keep this row and the ``keep - 1`` rows after it on one printed
    page (a question's table and its chart), starting a new page when they would not fit."""

    __slots__ = ("keep", "role")

    def __init__(self, values: Iterable[object], role: Role, keep: int = 0):
        super().__init__(values)
        self.role: Role = role
        self.keep = keep


@dataclass(frozen=True)
class ChartSpec:
    """A horizontal bar chart of ``value_column`` against ``label_column`` over data rows
    ``first_row`` to ``last_row`` (1-based sheet rows), in the top-to-bottom order of the table.

    It fills the cells from ``anchor`` (its top-left cell) across that one column and down
    ``rows`` rows: the sheet builder leaves those rows empty beside its table, so a chart never
    covers a table or another chart, whatever row heights the spreadsheet program uses.
    ``base`` goes into the title ("(base n = 55)"): a percentage chart without its base invites
    reading 2 of 3 as if it were 200 of 300. ``longest_label`` (characters) decides how much of
    the chart's width the category labels get, so they are not clipped."""

    title: str
    first_row: int
    last_row: int
    label_column: int
    value_column: int
    anchor: str
    rows: int = 10
    base: int | None = None
    longest_label: int = 20


@dataclass
class Sheet:
    """One sheet. ``charts`` may be appended to while ``rows`` is being consumed (the Summary
    sheet learns where each table lands as it yields it); writers add charts after the rows.

    Page and style hints (the XLSX writer uses them, CSV ignores them):

    * ``caption``: the page header (the instrument's title); ``base``: "Base: n" in the page
      footer (the responses in scope), when one base applies to the whole sheet;
    * ``percent_columns``: 1-based columns whose numbers are fractions of 1, shown as "0.0%";
    * ``widths``: minimum column widths (characters); otherwise widths come from the content;
    * ``span``: how many columns titles, headings and notes wrap across (0: all of them);
    * ``wrap``: text wider than its column wraps (report sheets; never the streamed data sheets).
    """

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    freeze_header: bool = True
    autofilter: bool = False
    widths: Sequence[float] = ()
    charts: list[ChartSpec] = field(default_factory=list)
    caption: str = ""
    base: int | None = None
    percent_columns: frozenset[int] = frozenset()
    span: int = 0
    wrap: bool = False
