"""The Word report's sections laid out as blocks: figures already computed, turned into tables,
captions and sentences (:mod:`feedback.services.report` gathers the figures and numbers them).

Nothing here computes a figure: counts, bases, rates, percentages and intervals come from the
summary tables (:mod:`feedback.domain.summary`), the rates (:mod:`feedback.services.figures`)
and the attendance tables (:mod:`feedback.domain.attendance`); this module only formats them, once,
at presentation (one decimal place).

Small bases: a table whose base is below :data:`~feedback.domain.summary.SMALL_BASE` shows its
counts only, and says that the base is too small for reliable percentages, rather than printing
"33.3%" for one person in three as if it were precise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from ..db import Project
from ..domain.attendance import AttendanceTable
from ..domain.rates import RATE_DEFINITIONS, RATE_NAMES, RATES_USING_E, RateReport
from ..domain.summary import (
    BASE_LABEL,
    DASH,
    MISSING_LABEL,
    MULTIPLE_NOTE,
    NOT_SHOWN_LABEL,
    SMALL_BASE,
    FrequencyTable,
    NumericSummary,
    ProfileTable,
)
from ..export.chart_images import ChartBar, bar_chart_png
from ..export.docx_report import Block, Heading, Image, Paragraph, Row, Table, TitlePage
from .figures import InstrumentRates
from .rates import MethodologyRow, ProfileRow

FREQUENCY_WIDTHS = (8.6, 1.8, 2.2, 3.4)
COUNT_WIDTHS = (12.2, 3.8)


def small_base_text(base: int) -> str:
    """What a table with a small base says instead of percentages."""
    return (
        f"Base too small for reliable percentages: {base} answered (fewer than {SMALL_BASE}), "
        "so only the numbers are shown."
    )


def _pct(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}%"


def _interval(low: float | None, high: float | None) -> str:
    return DASH if low is None or high is None else f"{low:.1f}\u2013{high:.1f}"


def _fixed(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


# --- title page and chapter 1 ------------------------------------------------------------------


def title_page(project: Project, instruments: int, responses: int, generated: datetime) -> TitlePage:
    lines = [f"Programme: {project.programme.name}"] if project.programme is not None else []
    lines += [f"Lead organisation: {project.lead_organisation}"] if project.lead_organisation else []
    lines += [f"Area: {project.area}"] if project.area else []
    lines.append(
        f"Built from live data on {generated:%-d %B %Y at %H:%M} UTC: {instruments} instrument(s), "
        f"{responses} response(s)."
    )
    return TitlePage(project.name, "Evaluation report: methods, response rates and findings", tuple(lines))


def about(project_name: str) -> list[Block]:
    return [
        Heading("1 About this report"),
        Paragraph(
            f"This report on {project_name} was built by feedback from the responses, samples and "
            "activities recorded when it was made; building it again brings every figure up to date. "
            "It is an ordinary Word document: edit the text, and change its look through the styles "
            "(Heading 1 to 3, Caption, Quote), which come from a template document that can be "
            "replaced."
        ),
        Paragraph(
            "Every percentage is of the people who answered the question (its base, stated with each "
            "table); people who were shown a question and did not answer it, and people the form's "
            "routing never showed it to, are counted beside the base, never in it. Intervals are 95% "
            f"Wilson intervals. Where fewer than {SMALL_BASE} people answered, only the numbers "
            "are given: the base is too small for reliable percentages. Answers to questions marked "
            "as personal data are never included."
        ),
    ]


# --- Table 2.1 and the rates ------------------------------------------------------------------


def responded_text(row: MethodologyRow) -> str:
    """The report's "189 (26.6%)": respondents (I + P) and RR2; without a rate, the responses and
    why ("6 (rate undefined)"), or "no respondents" for a method that has none."""
    figures = row.figures
    if figures is not None and figures.report is not None:
        return f"{figures.responded} ({figures.rate_percent})"
    if row.rate == "no respondents":
        return row.rate
    return f"{row.responses} (rate {row.rate})"


def methodology_table(caption: str, rows: Sequence[MethodologyRow], rules: Sequence[str]) -> Table:
    """Table 2.1 rebuilt from live data: each instrument's method and mode, its sample, how many
    of it responded with the response rate, and the partial threshold behind the rate."""
    body = []
    for row in rows:
        figures = row.figures
        if row.cases is None:
            sample = DASH
        else:
            sample = f"{row.cases} {'cases' if row.denominator == 'sample' else row.denominator}"
        threshold = figures.partial_rule.setting if figures is not None and figures.report else DASH
        outside = f"{row.outside} response(s) from outside the sample, in no rate" if row.outside else ""
        notes = "; ".join(part for part in (row.note, outside) if part)
        method = f"{row.method} ({row.modes})" if row.modes != "-" else row.method
        body.append(Row((row.title, method, sample, responded_text(row), threshold, notes)))
    return Table(
        caption=caption,
        header=("Instrument", "Method (mode)", "Sample", "Responded (RR2)", "Partial threshold", "Notes"),
        rows=tuple(body),
        numeric=(2, 3),
        widths=(3.6, 2.8, 1.8, 2.6, 2.1, 3.1),
        notes=(
            "Responded: complete (I) and partial (P) responses from the sample, and in brackets the "
            f"response rate RR2 = {RATE_DEFINITIONS['RR2']} (AAPOR Standard Definitions), whose base "
            "is the sample without its not-eligible cases. Answers from outside the sample (an open "
            "link without an invitation) are in no rate.",
            *rules,
        ),
    )


def e_text(report: RateReport) -> str:
    if report.e is None:
        return "e could not be estimated (no case of known eligibility)"
    source = "the AAPOR default, the eligible share of cases whose eligibility is known"
    return f"e = {report.e:.3f} ({source if report.e_source == 'default' else 'set for this instrument'})"


def rates_table(caption: str, item: InstrumentRates) -> Table:
    """Every AAPOR rate of one instrument with its definition, its base and the e it used."""
    report = item.report
    if report is None:
        raise ValueError(f"{item.slug} has no rate, and only instruments with a rate have a rates table")
    counts = ", ".join(f"{code} {n}" for code, n in item.counts.as_dict().items())
    return Table(
        caption=caption,
        header=("Rate", "Definition", "Value (base)"),
        rows=tuple(Row((name, RATE_DEFINITIONS[name], report.formatted(name))) for name in RATE_NAMES),
        widths=(1.8, 9.0, 5.2),
        notes=(
            f"{item.sample_text()}. Final dispositions: {counts}.",
            f"Rates using e ({', '.join(sorted(RATES_USING_E))}): {e_text(report)}.",
            item.partial_rule.describe(),
        ),
    )


def representativeness_table(
    caption: str, attribute: str, rows: Sequence[ProfileRow], labels: Mapping[str, str]
) -> Table:
    """Respondents' profile beside the sample's for one contact attribute; ``labels`` names its
    values (the choice labels of the question of the same name, when there is one)."""
    body = []
    for row in rows:
        sample, respondents, difference = row.as_text()
        body.append(
            Row((labels.get(row.value, row.value) or "(not recorded)", sample, respondents, difference))
        )
    return Table(
        caption=caption,
        header=(attribute.replace("_", " ").capitalize(), "Sample", "Respondents", "Difference"),
        rows=tuple(body),
        numeric=(1, 2, 3),
        widths=(5.2, 3.8, 3.8, 3.2),
        notes=(
            "Shares of the sample and of respondents (not-eligible cases left out), with their "
            "counts and bases. Difference = respondents' share minus the sample's, in percentage "
            "points: a negative difference means the group responded less than others.",
        ),
    )


# --- frequency tables and charts --------------------------------------------------------------


def _frequency_rows(table: FrequencyTable) -> list[Row]:
    small = table.small_base_warning
    rows = []
    for answer in table.rows:
        label = answer.label + (" (not in the current form)" if answer.unlisted else "")
        if small:
            rows.append(Row((label, str(answer.n))))
        else:
            rows.append(
                Row((label, str(answer.n), _pct(answer.percent), _interval(answer.ci_low, answer.ci_high)))
            )
    return rows


def base_note(table: FrequencyTable, themes: bool = False) -> str:
    """ "Base: 189 answered. Not in the base: 3 shown but not answered; 12 not shown (...)"."""
    if themes:
        who, missing = "answers coded", f"{table.missing} answers not coded yet"
    else:
        who = "respondents who answered" if table.multiple else "answered"
        missing = f"{table.missing} shown but not answered"
    parts = [missing]
    if table.not_shown:
        parts.append(f"{table.not_shown} not shown (routed past by the form's skip logic)")
    return f"Base: {table.base} {who}. Not in the base: {'; '.join(parts)}."


def frequency_table_block(caption: str, table: FrequencyTable, themes: bool = False) -> Table:
    """A closed question (or a theme table): n, %, 95% interval and the base; counts only (with
    the reason) when the base is small; a sentence instead of percentages when nobody answered."""
    rows = _frequency_rows(table)
    notes = [base_note(table, themes)]
    if table.note == MULTIPLE_NOTE and table.small_base_warning:  # no percentages to add up
        notes.append(
            "Respondents could choose more than one answer, so the numbers add up to more than the base."
        )
    elif table.note:
        notes.append(table.note)
    if table.base == 0:
        notes.insert(0, "Nobody answered this question, so there are no percentages.")
    if table.small_base_warning:
        notes.insert(0, small_base_text(table.base))
        header: tuple[str, ...] = ("Answer", "n")
        totals = Row((BASE_LABEL, str(table.base)), "total")
        widths: tuple[float, ...] = COUNT_WIDTHS
        numeric: tuple[int, ...] = (1,)
    else:
        header = ("Answer", "n", "%", "95% interval")
        total = "" if table.multiple else _pct(table.total_percent)
        totals = Row((BASE_LABEL, str(table.base), total, ""), "total")
        widths = FREQUENCY_WIDTHS
        numeric = (1, 2, 3)
    extra = [Row(("Not coded yet" if themes else MISSING_LABEL, str(table.missing)))]
    if table.not_shown:
        extra.append(Row((NOT_SHOWN_LABEL, str(table.not_shown))))
    return Table(caption, header, (*rows, totals, *extra), numeric, widths, tuple(notes))


def chart_block(table: FrequencyTable, number: str) -> Image | None:
    """The table's bar chart (percentages, or counts for a small base); None when nobody answered."""
    if table.base == 0:
        return None
    if table.small_base_warning:
        bars = [ChartBar(row.label, float(row.n), f"n = {row.n}") for row in table.rows]
        top = max((row.n for row in table.rows), default=1) or 1
        base = f"Base: {table.base} answered (too small for percentages: numbers shown)"
        png = bar_chart_png(table.label, base, bars, axis_label="Number who gave this answer", maximum=top)
    else:
        bars = [
            ChartBar(row.label, row.percent or 0.0, f"{_pct(row.percent)} (n = {row.n})")
            for row in table.rows
        ]
        base = f"Base: {table.base} {'respondents who answered' if table.multiple else 'answered'}"
        png = bar_chart_png(table.label, base, bars)
    description = (
        f"Bar chart of {table.label}: {'; '.join(f'{bar.label} {bar.text}' for bar in bars)}. "
        f"{base}. The same figures are in Table {number}."
    )
    return Image(png, description, caption=f"Chart for Table {number}. {base}.")


def numeric_table_block(caption: str, table: NumericSummary) -> Table:
    return Table(
        caption,
        ("n", "Mean", "Median", "Minimum", "Maximum", "Missing", "Not shown"),
        (
            Row(
                (
                    str(table.n),
                    _fixed(table.mean),
                    _fixed(table.median),
                    _fixed(table.minimum),
                    _fixed(table.maximum),
                    str(table.missing),
                    str(table.not_shown),
                )
            ),
        ),
        numeric=tuple(range(7)),
        notes=(f"n = {table.n} answered; missing and not shown are not in n.",),
    )


def profile_table_block(caption: str, profile: ProfileTable) -> Table:
    """Table 2.2: each profile question under its heading, with its own base (questions shown to
    different people are not comparable against one total)."""
    rows: list[Row] = []
    notes = []
    for section in profile.sections:
        table = section.table
        rows.append(Row((f"{section.heading} (base: {table.base} answered)",), "group"))
        for answer in table.rows:
            if table.small_base_warning:
                rows.append(Row((answer.label, str(answer.n), DASH, DASH)))
            else:
                rows.append(
                    Row(
                        (
                            answer.label,
                            str(answer.n),
                            _pct(answer.percent),
                            _interval(answer.ci_low, answer.ci_high),
                        )
                    )
                )
        whole = "100%" if table.base and not table.small_base_warning else DASH  # as its rows: no %
        rows.append(Row((BASE_LABEL, str(table.base), whole, ""), "total"))
        if table.small_base_warning:
            notes.append(f"{section.heading}: {small_base_text(table.base)}")
        outside = [f"{table.missing} shown but not answered"] if table.missing else []
        outside += [f"{table.not_shown} not shown"] if table.not_shown else []
        if outside:
            notes.append(f"{section.heading}: not in the base, {' and '.join(outside)}.")
    return Table(
        caption,
        ("", "n", "%", "95% interval"),
        tuple(rows),
        (1, 2, 3),
        FREQUENCY_WIDTHS,
        ("Percentages of those who answered each question (its base); 95% Wilson intervals.", *notes),
    )


# --- attendance -------------------------------------------------------------------------------


def attendance_by_region(caption: str, table: AttendanceTable) -> Table:
    """Events and attendance by activity series and region (the report's Table 3.1)."""
    rows: list[Row] = []
    for group in table.groups:
        if group.output:
            rows.append(Row((group.series, "output, not an event", ""), "total"))
            continue
        rows.append(Row((group.series, str(group.events), group.attending_text), "total"))
        rows.extend(
            Row((f"    {line.region or 'No region recorded'}", str(line.events), line.attending_text))
            for line in group.regions
        )
    rows.append(Row(("All events", str(table.events), table.attending_text), "total"))
    return Table(
        caption,
        ("Activity and location", "No. of events", "No. attending"),
        tuple(rows),
        (1, 2),
        (9.0, 2.6, 4.4),
        (table.base_text,),
    )


def attendance_by_activity(caption: str, table: AttendanceTable) -> Table:
    """Each activity with its date and number attending (the report's Tables 3.3 and 3.4)."""
    rows: list[Row] = []
    for group in table.groups:
        rows.append(Row((group.series,), "group"))
        for item in group.activities:
            title = item.title + (f" ({item.events} events)" if item.events > 1 else "")
            when = item.starts_on.strftime("%-d %b %Y") if item.starts_on else DASH
            attending = "output" if item.output else item.attending_text
            rows.append(Row((title, item.region or DASH, when, attending, item.note)))
    return Table(
        caption,
        ("Activity", "Region", "Date", "No. attending", "Note"),
        tuple(rows),
        (3,),
        (5.6, 2.8, 2.2, 2.2, 3.2),
        (f"A head count nobody recorded reads \u201cnot known\u201d, never 0. {table.base_text}",),
    )
