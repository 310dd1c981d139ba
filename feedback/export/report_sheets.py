"""Report-shaped sheets: Summary (tables laid out as in a report, with a bar chart beside each
closed question), Response rates, Attendance and, for a project, the Instruments index.

Percentages are written rounded to one decimal (this is the presentation step), always beside
their n and under a stated base; CI bounds likewise.
"""

from __future__ import annotations

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
from .sheets import ChartSpec, Sheet

if TYPE_CHECKING:  # the service computes the rates; this module only lays them out
    from ..services.figures import InstrumentRates

SUMMARY_WIDTHS = (48, 8, 8, 12, 12)
CHART_COLUMN = "G"
ROW_CM = 0.53  # Excel's default row height (15 pt) in centimetres


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _chart_height(answers: int) -> float:
    return max(4.0, 1.2 + 0.7 * answers)


def summary_rows(
    tables: Sequence[FrequencyTable | NumericSummary], charts: list[ChartSpec], start_row: int = 1
) -> Iterator[list[object]]:
    """Rows of the Summary sheet; appends a chart for each closed question as its rows are laid out.

    ``start_row`` is the sheet row before the first one yielded: 1 (the header row the writer
    puts first) plus any rows laid out above, so that chart ranges point at the right cells."""
    row = start_row
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


PROFILE_TOTAL_LABEL = "Total"


def profile_rows(profile: ProfileTable) -> Iterator[list[object]]:
    """The stacked profile table as a report lays it out: a heading per question, its answers
    with n and %, then its base and a total of 100% of that base. Each section has its own
    base, because the questions were not all answered by the same people."""
    yield [f"{profile.title} (each question's % is of those who answered it)"]
    yield list(FREQUENCY_HEADER)
    for section in profile.sections:
        table = section.table
        yield [f"{section.heading} [{table.name}]"]
        for r in table.rows:
            yield [r.label, r.n, _round(r.percent), _round(r.ci_low), _round(r.ci_high)]
        yield [BASE_LABEL, table.base]
        yield [PROFILE_TOTAL_LABEL, table.base, _round(table.total_percent)]
        if table.warning:
            yield [table.warning]
    yield []


def summary_sheet(
    title: str,
    tables: Sequence[FrequencyTable | NumericSummary],
    name: str = "Summary",
    profile: ProfileTable | None = None,
) -> Sheet:
    """The Summary (or Themes) sheet: the respondent ``profile`` first when there is one, then
    ``tables`` laid out one under another, charts beside."""
    sheet = Sheet(name, [title], [], freeze_header=False, widths=SUMMARY_WIDTHS)
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


def rates_sheet(
    rates: Sequence[InstrumentRates], rules: Sequence[str] = (), name: str = "Response rates"
) -> Sheet:
    """AAPOR rates per instrument (from ``services.figures``), as fractions of 1, with counts and
    e; ``rules`` are the partial rules' sentences, which AAPOR requires beside the rates."""
    out: list[list[object]] = []
    for item in rates:
        counts = item.counts.as_dict()
        values = item.report.rates if item.report else {}
        out.append(
            [item.slug, item.title, item.cases, item.responses]
            + [counts.get(code, 0) for code in ("I", "P", "R", "NC", "O", "UH", "UO", "NE")]
            + [item.report.e if item.report else None, item.report.e_source if item.report else ""]
            + [values.get(rate) for rate in ("RR1", "RR2", "RR3", "RR4", "COOP1", "REF1", "CON1")]
            + [item.note, item.outside, item.denominator_kind or "no sample", item.partial_rule.setting]
        )
    out.append([])
    out.append(
        [
            "Rates are fractions of 1 (0.266 = 26.6%); blank = undefined (zero denominator). "
            "e = estimated eligible share of unknown-eligibility cases (AAPOR). "
            "Cases are the sample (for event feedback, forms handed out: the register or head count); "
            "responses outside the sample (an open link's answers without an invitation) are in no rate."
        ]
    )
    out.extend([rule] for rule in rules)
    return Sheet(name, RATE_HEADERS, out, widths=[28, 30] + [9] * 20)


def instruments_sheet(instruments: Sequence[Instrument]) -> Sheet:
    rows = [[n, i.slug, i.title, i.kind] for n, i in enumerate(instruments, 1)]
    return Sheet("Instruments", ("number", "instrument", "title", "kind"), rows, widths=[8, 36, 50, 18])


ATTENDANCE_REGION_HEADER = (
    "Activity",
    "Region",
    "No. of events",
    "No. attending",
    "Events with attendance known",
    "Note",
)
ATTENDANCE_EVENT_HEADER = ("Activity", "Series", "Region", "Date", "No. of events", "No. attending", "Note")
OUTPUT_NOTE = "An output (publication, bulletin or toolkit): listed, not counted as an event"


def _attending(attending: int | None, output: bool) -> object:
    """A head count as a number; "not known" as text, so it is never summed as 0."""
    if output:
        return None
    return NOT_KNOWN if attending is None else attending


def attendance_rows(table: AttendanceTable) -> Iterator[list[object]]:
    """Two blocks, as in the report: by activity and region (Table 3.1), then each activity
    (Tables 3.3 and 3.4). The series is repeated on every line so the sheet can be filtered."""
    yield ["By activity and region: number of events and number attending where known"]
    yield list(ATTENDANCE_REGION_HEADER)
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
    yield [
        "All activities",
        "",
        table.events,
        _attending(table.attending, False),
        table.known,
        table.base_text,
    ]
    yield []
    yield ["Each activity"]
    yield list(ATTENDANCE_EVENT_HEADER)
    for group in table.groups:
        for item in group.activities:
            yield [
                item.title,
                group.series,
                item.region,
                item.starts_on,
                "output" if item.output else item.events,
                _attending(item.attending, item.output),
                item.note,
            ]


def attendance_sheet(table: AttendanceTable, name: str = "Attendance") -> Sheet:
    """The project's activities with their number of events and number attending."""
    title = f"{table.title}: {table.base_text}"
    return Sheet(
        name, [title], attendance_rows(table), freeze_header=False, widths=(60, 34, 12, 14, 14, 60, 40)
    )
