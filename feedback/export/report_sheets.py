"""Report-shaped sheets: Summary (tables laid out as in a report, with a bar chart beside each
closed question), Response rates and, for a project, the Instruments index.

Percentages are written rounded to one decimal (this is the presentation step), always beside
their n and under a stated base; CI bounds likewise.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..db import Instrument
from ..domain.summary import (
    BASE_LABEL,
    FREQUENCY_HEADER,
    MISSING_LABEL,
    NOT_SHOWN_LABEL,
    FrequencyTable,
    NumericSummary,
)
from .sheets import ChartSpec, Sheet

if TYPE_CHECKING:  # the service computes the rates; this module only lays them out
    from ..services.rates import InstrumentRates

SUMMARY_WIDTHS = (48, 8, 8, 12, 12)
CHART_COLUMN = "G"
ROW_CM = 0.53  # Excel's default row height (15 pt) in centimetres


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _chart_height(answers: int) -> float:
    return max(4.0, 1.2 + 0.7 * answers)


def summary_rows(
    tables: Sequence[FrequencyTable | NumericSummary], charts: list[ChartSpec]
) -> Iterator[list[object]]:
    """Rows of the Summary sheet; appends a chart for each closed question as its rows are laid out."""
    row = 1  # the header row the writer puts first
    empty: list[object] = []

    def emit(values: list[object]) -> list[object]:
        nonlocal row
        row += 1
        return values

    for table in tables:
        start = row
        yield emit([f"{table.label} [{table.name}]"])
        if isinstance(table, NumericSummary):
            for label, value in (
                ("n", table.n),
                ("Mean", table.mean),
                ("Median", table.median),
                ("Minimum", table.minimum),
                ("Maximum", table.maximum),
                (MISSING_LABEL, table.missing),
                (NOT_SHOWN_LABEL, table.not_shown),
            ):
                yield emit([label, value])
            yield emit(empty)
            continue
        for note in (table.note, table.warning):
            if note:
                yield emit([note])
        yield emit(list(FREQUENCY_HEADER))
        first = row + 1
        for r in table.rows:
            yield emit([r.label, r.n, _round(r.percent), _round(r.ci_low), _round(r.ci_high)])
        last = row
        yield emit([BASE_LABEL, table.base])
        yield emit([MISSING_LABEL, table.missing])
        yield emit([NOT_SHOWN_LABEL, table.not_shown])
        if table.rows and table.base:
            height = _chart_height(len(table.rows))
            charts.append(
                ChartSpec(table.label or table.name, first, last, 1, 3, f"{CHART_COLUMN}{start + 1}")
            )
            while (row - start) * ROW_CM < height + ROW_CM:
                yield emit(empty)
        yield emit(empty)


def summary_sheet(
    title: str, tables: Sequence[FrequencyTable | NumericSummary], name: str = "Summary"
) -> Sheet:
    """The Summary (or Themes) sheet: ``tables`` laid out one under another, charts beside."""
    sheet = Sheet(name, [title], [], freeze_header=False, widths=SUMMARY_WIDTHS)
    sheet.rows = summary_rows(tables, sheet.charts)
    return sheet


RATE_HEADERS = (
    "instrument",
    "title",
    "cases",
    "responses",
    "I",
    "P",
    "R",
    "NC",
    "O",
    "UH",
    "UO",
    "NE",
    "e",
    "e source",
    "RR1",
    "RR2",
    "RR3",
    "RR4",
    "COOP1",
    "REF1",
    "CON1",
    "note",
)


def rates_sheet(rates: Sequence[InstrumentRates], name: str = "Response rates") -> Sheet:
    """AAPOR rates per instrument (from ``services.rates``), as fractions of 1, with counts and e."""
    out: list[list[object]] = []
    for item in rates:
        counts = item.counts.as_dict()
        values = item.report.rates if item.report else {}
        out.append(
            [item.slug, item.title, item.cases, item.responses]
            + [counts.get(code, 0) for code in ("I", "P", "R", "NC", "O", "UH", "UO", "NE")]
            + [item.report.e if item.report else None, item.report.e_source if item.report else ""]
            + [values.get(rate) for rate in ("RR1", "RR2", "RR3", "RR4", "COOP1", "REF1", "CON1")]
            + [item.note]
        )
    out.append([])
    out.append(
        [
            "Rates are fractions of 1 (0.266 = 26.6%); blank = undefined (zero denominator). "
            "e = estimated eligible share of unknown-eligibility cases (AAPOR)."
        ]
    )
    return Sheet(name, RATE_HEADERS, out, widths=[28, 30] + [9] * 20)


def instruments_sheet(instruments: Sequence[Instrument]) -> Sheet:
    rows = [[n, i.slug, i.title, i.kind] for n, i in enumerate(instruments, 1)]
    return Sheet("Instruments", ("number", "instrument", "title", "kind"), rows, widths=[8, 36, 50, 18])
