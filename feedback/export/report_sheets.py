"""Report-shaped sheets: Summary (tables laid out as in a report, with a bar chart beside each
closed question), Response rates, Attendance and, for a project, the Instruments index.

Percentages are stored as fractions of 1 (0.316) with the "0.0%" number format, so that a
spreadsheet shows 31.6% and computes with 0.316; they are the figures rounded to the one decimal
the staff pages show, always beside their n and above their base. CI bounds likewise. Rows are
:class:`~feedback.export.sheets.Row` where they are headings, headers or bases, for the writer
to style; the figures themselves come from ``services.summaries``, ``services.rates`` and
``services.attendance``, never computed here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..db import Instrument
from ..domain.attendance import NOT_KNOWN, AttendanceTable
from ..domain.summary import (
    BASE_LABEL,
    FREQUENCY_HEADER,
    MISSING_LABEL,
    NOT_SHOWN_LABEL,
    FrequencyTable,
    NumericSummary,
    ProfileTable,
)
from .sheets import ChartSpec, Row, Sheet

if TYPE_CHECKING:  # the service computes the rates; this module only lays them out
    from ..services.figures import InstrumentRates

SUMMARY_COLUMNS = 5  # the tables' columns, A:E (FREQUENCY_HEADER)
CHART_COLUMN = "G"  # F is a narrow gap; G holds the charts, one wide column
CHART_WIDTH = 80.0  # characters: about 15 cm
SUMMARY_WIDTHS = (30, 8, 9, 11, 11, 2, CHART_WIDTH)
PERCENT_COLUMNS = frozenset({3, 4, 5})  # %, CI low, CI high


def _fraction(percent: float | None) -> float | None:
    """A percentage (0-100) as the fraction the cell stores (shown "0.0%"): rounded to the one
    decimal every page shows, so the workbook and the staff pages print the same figure."""
    return None if percent is None else round(round(percent, 1) / 100, 3)


def chart_rows(categories: int) -> int:
    """Rows (15 pt) a chart of ``categories`` bars takes: title and axis, then ~0.75 cm a bar."""
    return max(8, math.ceil(2.8 + 1.45 * categories))


def _heading(table: FrequencyTable | NumericSummary) -> str:
    return f"{table.label} [{table.name}]"


def _numeric_rows(table: NumericSummary) -> Iterator[list[object]]:
    yield Row([_heading(table)], "heading", keep=9)
    for label, value in (
        ("n", table.n),
        ("Mean", table.mean),
        ("Median", table.median),
        ("Minimum", table.minimum),
        ("Maximum", table.maximum),
        (MISSING_LABEL, table.missing),
        (NOT_SHOWN_LABEL, table.not_shown),
    ):
        yield [label, value]
    yield []


def summary_rows(
    tables: Sequence[FrequencyTable | NumericSummary], charts: list[ChartSpec], start_row: int = 1
) -> Iterator[list[object]]:
    """Rows of the Summary sheet; appends a chart for each closed question as its rows are laid out.

    ``start_row`` is the sheet row before the first one yielded: 1 (the header row the writer
    puts first) plus any rows laid out above, so that chart ranges point at the right cells.
    Each question is a block (heading, notes, table, base, missing, skipped) with its chart
    beside it; empty rows are added below a short table until the chart's rows are free, so
    charts never overlap, and the block asks to be kept on one printed page."""
    row = start_row

    def emit(values: list[object]) -> list[object]:
        nonlocal row
        row += 1
        return values

    for table in tables:
        start = row
        if isinstance(table, NumericSummary):
            for values in _numeric_rows(table):
                yield emit(values)
            continue
        notes = [note for note in (table.note, table.warning) if note]
        drawn = bool(table.rows and table.base)
        tall = chart_rows(len(table.rows)) if drawn else 0
        block = max(len(notes) + len(table.rows) + 5, tall) + 1
        yield emit(Row([_heading(table)], "heading", keep=block))
        for note in notes:
            yield emit(Row([note], "note"))
        yield emit(Row(FREQUENCY_HEADER, "header"))
        first = row + 1
        for r in table.rows:
            yield emit([r.label, r.n, _fraction(r.percent), _fraction(r.ci_low), _fraction(r.ci_high)])
        last = row
        yield emit(Row([BASE_LABEL, table.base], "base"))
        yield emit([MISSING_LABEL, table.missing])
        yield emit([NOT_SHOWN_LABEL, table.not_shown])
        if drawn:
            charts.append(
                ChartSpec(
                    table.label or table.name,
                    first,
                    last,
                    1,
                    3,
                    f"{CHART_COLUMN}{start + 1}",
                    rows=tall,
                    base=table.base,
                    longest_label=max(len(r.label) for r in table.rows),
                )
            )
            while row - start < tall:
                yield emit([])
        yield emit([])


PROFILE_TOTAL_LABEL = "Total"


def profile_rows(profile: ProfileTable) -> Iterator[list[object]]:
    """The stacked profile table as a report lays it out: a heading per question, its answers
    with n and %, then its base and a total of 100% of that base. Each section has its own
    base, because the questions were not all answered by the same people."""
    size = 3 + sum(len(s.table.rows) + 3 + bool(s.table.warning) for s in profile.sections)
    yield Row([f"{profile.title} (each question's % is of those who answered it)"], "heading", keep=size)
    yield Row(FREQUENCY_HEADER, "header")
    for section in profile.sections:
        table = section.table
        yield Row([f"{section.heading} [{table.name}]"], "heading", keep=len(table.rows) + 3)
        for r in table.rows:
            yield [r.label, r.n, _fraction(r.percent), _fraction(r.ci_low), _fraction(r.ci_high)]
        yield Row([BASE_LABEL, table.base], "base")
        yield Row([PROFILE_TOTAL_LABEL, table.base, _fraction(table.total_percent)], "base")
        if table.warning:
            yield Row([table.warning], "note")
    yield []


def summary_sheet(
    title: str,
    tables: Sequence[FrequencyTable | NumericSummary],
    name: str = "Summary",
    profile: ProfileTable | None = None,
    *,
    caption: str = "",
    base: int | None = None,
) -> Sheet:
    """The Summary (or Themes) sheet: the respondent ``profile`` first when there is one, then
    ``tables`` laid out one under another, charts beside. The caller leaves the profile's
    questions out of ``tables`` (``services.summaries.report_sections``): each question once."""
    sheet = Sheet(
        name,
        [title],
        [],
        freeze_header=False,
        widths=SUMMARY_WIDTHS,
        caption=caption,
        base=base,
        percent_columns=PERCENT_COLUMNS,
        span=SUMMARY_COLUMNS,
        wrap=True,
    )
    sheet.rows = _summary_with_profile(tables, sheet.charts, profile)
    return sheet


def _summary_with_profile(
    tables: Sequence[FrequencyTable | NumericSummary], charts: list[ChartSpec], profile: ProfileTable | None
) -> Iterator[list[object]]:
    lead = list(profile_rows(profile)) if profile and profile.sections else []
    yield from lead
    yield from summary_rows(tables, charts, start_row=1 + len(lead))


RATE_HEADERS = (
    "instrument",
    "title",
    "cases",
    "responses from the sample",
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
    "responses outside the sample",
    "denominator",
    "partial threshold",
)


RATE_COLUMNS = ("RR1", "RR2", "RR3", "RR4", "COOP1", "REF1", "CON1")
RATES_NOTE = (
    "Rates are fractions of 1, shown as percentages (0.266 = 26.6%); blank = undefined (zero "
    "denominator). e = estimated eligible share of unknown-eligibility cases (AAPOR). Cases are the "
    "sample (for event feedback, forms handed out: the register or head count); responses outside "
    "the sample (an open link's answers without an invitation) are in no rate."
)


def rates_sheet(
    rates: Sequence[InstrumentRates],
    rules: Sequence[str] = (),
    name: str = "Response rates",
    *,
    caption: str = "",
) -> Sheet:
    """AAPOR rates per instrument (from ``services.figures``), as fractions of 1 shown as
    percentages, with counts and e; ``rules`` are the partial rules' sentences, which AAPOR
    requires beside the rates."""
    out: list[list[object]] = []
    for item in rates:
        counts = item.counts.as_dict()
        values = item.report.rates if item.report else {}
        out.append(
            [item.slug, item.title, item.cases, item.responses]
            + [counts.get(code, 0) for code in ("I", "P", "R", "NC", "O", "UH", "UO", "NE")]
            + [item.report.e if item.report else None, item.report.e_source if item.report else ""]
            + [values.get(rate) for rate in RATE_COLUMNS]
            + [item.note, item.outside, item.denominator_kind or "no sample", item.partial_rule.setting]
        )
    out.append([])
    out.append(Row([RATES_NOTE], "note"))
    out.extend(Row([rule], "note") for rule in rules)
    percent = frozenset(RATE_HEADERS.index(rate) + 1 for rate in RATE_COLUMNS)
    return Sheet(
        name, RATE_HEADERS, out, widths=[20, 24], caption=caption, percent_columns=percent, wrap=True
    )


def instruments_sheet(instruments: Sequence[Instrument], caption: str = "") -> Sheet:
    rows = [[n, i.slug, i.title, i.kind] for n, i in enumerate(instruments, 1)]
    return Sheet("Instruments", ("number", "instrument", "title", "kind"), rows, caption=caption, wrap=True)


ATTENDANCE_REGION_HEADER = (
    "Activity",
    "Region",
    "No. of events",
    "No. attending",
    "Events with attendance known",
    "Note",
)
# Columns line up with the block above (activity, region, the two counts, then the note), so both
# tables read down the same columns; the series, repeated for filtering, comes last.
ATTENDANCE_EVENT_HEADER = ("Activity", "Region", "No. of events", "No. attending", "Date", "Note", "Series")
OUTPUT_NOTE = "An output (publication, bulletin or toolkit): listed, not counted as an event"


def _attending(attending: int | None, output: bool) -> object:
    """A head count as a number; "not known" as text, so it is never summed as 0."""
    if output:
        return None
    return NOT_KNOWN if attending is None else attending


def attendance_rows(table: AttendanceTable) -> Iterator[list[object]]:
    """Two blocks, as in the report: by activity and region (Table 3.1), then each activity
    (Tables 3.3 and 3.4). The series is repeated on every line so the sheet can be filtered."""
    yield Row(["By activity and region: number of events and number attending where known"], "heading")
    yield Row(ATTENDANCE_REGION_HEADER, "header")
    for group in table.groups:
        events: object = "output" if group.output else group.events
        note = OUTPUT_NOTE if group.output else ""
        yield [
            group.series,
            "All regions",
            events,
            _attending(group.attending, group.output),
            group.known,
            note,
        ]
        for line in group.regions:
            yield [
                group.series,
                line.region,
                "output" if group.output else line.events,
                _attending(line.attending, group.output),
                line.known,
                "",
            ]
    total = _attending(table.attending, False)
    yield Row(["All activities", "", table.events, total, table.known, table.base_text], "base")
    yield []
    yield Row(["Each activity"], "heading")
    yield Row(ATTENDANCE_EVENT_HEADER, "header")
    for group in table.groups:
        for item in group.activities:
            yield [
                item.title,
                item.region,
                "output" if item.output else item.events,
                _attending(item.attending, item.output),
                item.starts_on,
                item.note,
                group.series,
            ]


def attendance_sheet(table: AttendanceTable, name: str = "Attendance", caption: str = "") -> Sheet:
    """The project's activities with their number of events and number attending."""
    title = f"{table.title}: {table.base_text}"
    return Sheet(name, [title], attendance_rows(table), freeze_header=False, caption=caption, wrap=True)
