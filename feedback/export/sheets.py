"""What a writer receives: sheets as headers plus a row iterator, nothing format-specific.

Following indico's split (``generate_spreadsheet_from_survey`` / ``spreadsheets.py``): the table
builders in :mod:`feedback.export.tables` decide *what* is in a sheet; the writers
(:mod:`feedback.export.xlsx`, :mod:`feedback.export.csv_writer`) decide how it is stored, and own
cell safety. Rows are iterators so that the Responses sheet streams from the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ChartSpec:
    """A bar chart of ``value_column`` against ``label_column`` over data rows ``first_row`` to
    ``last_row`` (1-based sheet rows, header row not included), placed at ``anchor``."""

    title: str
    first_row: int
    last_row: int
    label_column: int
    value_column: int
    anchor: str
    y_title: str = "%"


@dataclass
class Sheet:
    """One sheet. ``charts`` may be appended to while ``rows`` is being consumed (the Summary
    sheet learns where each table lands as it yields it); writers add charts after the rows."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    freeze_header: bool = True
    autofilter: bool = False
    widths: Sequence[float] = ()
    charts: list[ChartSpec] = field(default_factory=list)
