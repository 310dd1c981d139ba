"""Summary tables for evaluation reports, built from counts that were aggregated elsewhere.

The database layer does the ``GROUP BY``; this module decides what a reader of the report sees:
which rows appear (every defined choice, even at zero, so tables from different waves line up),
what the percentages are *of* (the respondents who answered; missing and skipped are reported
beside the base, never inside it), and when a figure needs a health warning. Percentages stay
unrounded floats on a 0–100 scale until :func:`format_percent`, so totals and re-derived figures
are exact and rounding happens once, at presentation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from feedback.domain.stats import (
    check_count,
    describe,
    percent_of,
    percent_with_interval,
    wilson_interval,
)

__all__ = [
    "CrossTab",
    "CrossTabCell",
    "CrossTabHeading",
    "FrequencyRow",
    "FrequencyTable",
    "MULTIPLE_NOTE",
    "NumericSummary",
    "ProfileSection",
    "ProfileTable",
    "QuestionInfo",
    "SMALL_BASE",
    "SMALL_BASE_WARNING",
    "crosstab",
    "format_percent",
    "frequency_table",
    "numeric_summary",
    "profile_table",
    "wilson_interval",
]

#: Bases below this are flagged: a single respondent then moves a percentage by more than 3 points.
SMALL_BASE = 30
SMALL_BASE_WARNING = "Base below 30: treat percentages with caution"
MULTIPLE_NOTE = "Respondents could choose more than one answer; percentages add to more than 100%."
#: Shown for a figure that does not exist (empty base), so it is never mistaken for zero.
DASH = "\u2013"

FREQUENCY_HEADER: tuple[str, ...] = ("Answer", "n", "%", "95% CI low", "95% CI high")
BASE_LABEL = "Base (answered)"
MISSING_LABEL = "Missing"
NOT_SHOWN_LABEL = "Not shown (skipped)"

PercentBase = Literal["row", "column", "total"]


def _bare_type(question_type: str) -> str:
    """``select_one yes_no`` -> ``select_one``: XLSForm puts the list name in the type cell."""
    parts = question_type.split()
    return parts[0] if parts else question_type


@dataclass(frozen=True)
class QuestionInfo:
    """What a table needs to know about a question; deliberately not the full instrument model.

    ``choices`` are ``(code, label)`` pairs in definition order, which is the order readers
    expect (scales run from one end to the other, not by popularity).
    """

    name: str
    label: str
    type: str
    choices: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        choices = tuple((code, label) for code, label in self.choices)
        codes = [code for code, _ in choices]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            # Rows are keyed by code, so a repeated code would silently merge two answers.
            raise ValueError(f"duplicate choice codes in {self.name!r}: {duplicates}")
        object.__setattr__(self, "choices", choices)

    def label_for(self, code: str) -> str:
        """The choice label, or the code itself for answers the current definition lacks."""
        return dict(self.choices).get(code, code)


def _ordered_codes(question: QuestionInfo, seen: Mapping[str, int]) -> list[tuple[str, bool]]:
    """Defined codes in order, then codes only seen in the data (count > 0), sorted.

    Unlisted codes come from older versions of the form or free "other" answers; they are kept
    rather than dropped so the counts still reconcile with the base, and sorted because SQL
    gives no stable order.
    """
    for code in seen:
        if not isinstance(code, str):
            raise TypeError(f"answer codes must be str, got {code!r}; pass unanswered via missing=")
    defined = [code for code, _ in question.choices]
    known = set(defined)
    extra = sorted(code for code, count in seen.items() if code not in known and count > 0)
    return [(code, False) for code in defined] + [(code, True) for code in extra]


@dataclass(frozen=True)
class FrequencyRow:
    """One answer in a frequency table; percent and interval are 0–100, ``None`` for base 0."""

    value: str
    label: str
    n: int
    percent: float | None
    ci_low: float | None
    ci_high: float | None
    unlisted: bool = False


@dataclass(frozen=True)
class FrequencyTable:
    """A closed question summarised for a report.

    ``base`` is the number who answered; ``missing`` (shown but not answered) and ``not_shown``
    (routed past by skip logic) are carried so the report can state them, but they are never in
    the denominator: including skipped people would understate every answer.
    """

    name: str
    label: str
    type: str
    base: int
    missing: int
    not_shown: int
    rows: tuple[FrequencyRow, ...]
    multiple: bool = False
    note: str | None = None
    small_base_warning: bool = False
    warning: str | None = None

    @property
    def total_percent(self) -> float | None:
        """Sum of row percentages: 100 for single choice, usually more for multiple choice."""
        if self.base == 0:
            return None
        return sum(row.percent or 0.0 for row in self.rows)

    def row(self, value: str) -> FrequencyRow:
        """Look up a row by answer code (``KeyError`` if absent)."""
        for row in self.rows:
            if row.value == value:
                return row
        raise KeyError(value)

    def to_rows(self) -> list[list[Any]]:
        """Header plus plain-value rows for spreadsheet writers (unrounded; ``None`` = blank)."""
        out: list[list[Any]] = [list(FREQUENCY_HEADER)]
        for r in self.rows:
            out.append([r.label, r.n, r.percent, r.ci_low, r.ci_high])
        out.append([BASE_LABEL, self.base, None, None, None])
        out.append([MISSING_LABEL, self.missing, None, None, None])
        out.append([NOT_SHOWN_LABEL, self.not_shown, None, None, None])
        return out

    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON shape the API and chart code consume; nothing more, nothing less."""
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "base": self.base,
            "missing": self.missing,
            "not_shown": self.not_shown,
            "rows": [{"value": r.value, "label": r.label, "n": r.n, "percent": r.percent} for r in self.rows],
        }


def frequency_table(
    question: QuestionInfo,
    counts: Mapping[str, int],
    *,
    answered: int,
    missing: int,
    not_shown: int,
    multiple: bool = False,
) -> FrequencyTable:
    """Turn per-answer counts into a frequency table with every choice shown.

    ``answered`` is the number of *respondents* who answered, which for select_multiple is not
    the sum of the counts; hence it is passed in rather than derived. Inconsistent counts raise
    instead of producing percentages that cannot be right.
    """
    for what, value in (("answered", answered), ("missing", missing), ("not_shown", not_shown)):
        check_count(what, value)
    for code, count in counts.items():
        check_count(f"count for {code!r}", count)
    kind = _bare_type(question.type)
    if kind == "select_multiple" and not multiple:
        raise ValueError(f"{question.name!r} is select_multiple: pass multiple=True")
    if kind == "select_one" and multiple:
        raise ValueError(f"{question.name!r} is select_one: multiple=True would misstate it")
    if multiple:
        over = {code: c for code, c in counts.items() if c > answered}
        if over:
            raise ValueError(f"counts exceed respondents who answered ({answered}): {over}")
    elif sum(counts.values()) != answered:
        # Each single-choice answerer gives exactly one code, so these must agree.
        raise ValueError(
            f"counts for {question.name!r} sum to {sum(counts.values())}, but {answered} answered"
        )
    rows = []
    for code, unlisted in _ordered_codes(question, counts):
        n = counts.get(code, 0)
        figures = percent_with_interval(n, answered)
        rows.append(
            FrequencyRow(
                value=code,
                label=question.label_for(code),
                n=n,
                percent=figures.percent,
                ci_low=figures.ci_low,
                ci_high=figures.ci_high,
                unlisted=unlisted,
            )
        )
    small = 0 < answered < SMALL_BASE
    return FrequencyTable(
        name=question.name,
        label=question.label,
        type=question.type,
        base=answered,
        missing=missing,
        not_shown=not_shown,
        rows=tuple(rows),
        multiple=multiple,
        note=MULTIPLE_NOTE if multiple else None,
        small_base_warning=small,
        warning=SMALL_BASE_WARNING if small else None,
    )


@dataclass(frozen=True)
class NumericSummary:
    """Descriptive statistics of a numeric question; the statistics are ``None`` when n is 0."""

    name: str
    label: str
    type: str
    n: int
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None
    missing: int = 0
    not_shown: int = 0

    def to_json_dict(self) -> dict[str, Any]:
        """The stable JSON shape; ``min``/``max`` are the short keys the front end expects."""
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "n": self.n,
            "mean": self.mean,
            "median": self.median,
            "min": self.minimum,
            "max": self.maximum,
            "missing": self.missing,
            "not_shown": self.not_shown,
        }


def numeric_summary(
    name: str,
    label: str,
    values: Sequence[float] | None = None,
    *,
    n: int | None = None,
    mean: float | None = None,
    median: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    missing: int = 0,
    not_shown: int = 0,
    type: str = "decimal",  # noqa: A002 - mirrors the question's own field name
) -> NumericSummary:
    """Summarise numeric answers either from raw ``values`` or from SQL aggregates.

    Two routes because large surveys aggregate in the database, while small ones (and SQLite,
    which has no MEDIAN) pass the values. Mixing the two is refused as ambiguous. Aggregates may
    be ``None`` individually (e.g. no median from SQL) but must be consistent with each other.
    """
    check_count("missing", missing)
    check_count("not_shown", not_shown)
    aggregates = {"mean": mean, "median": median, "minimum": minimum, "maximum": maximum}
    if values is not None:
        if n is not None or any(v is not None for v in aggregates.values()):
            raise ValueError("give either values or aggregates (n, mean, ...), not both")
        d = describe(values)
        return NumericSummary(
            name, label, type, d.n, d.mean, d.median, d.minimum, d.maximum, missing, not_shown
        )
    if n is None:
        raise ValueError("give values, or n with any aggregates computed elsewhere")
    check_count("n", n)
    given = {k: float(v) for k, v in aggregates.items() if v is not None}
    if n == 0 and given:
        raise ValueError(f"n is 0 but aggregates were given: {sorted(given)}")
    low, high = given.get("minimum"), given.get("maximum")
    if low is not None and high is not None and low > high:
        raise ValueError(f"minimum ({low}) exceeds maximum ({high})")
    for key in ("mean", "median"):
        value = given.get(key)
        if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
            raise ValueError(f"{key} ({value}) lies outside minimum..maximum")
    return NumericSummary(
        name,
        label,
        type,
        n,
        given.get("mean"),
        given.get("median"),
        low,
        high,
        missing,
        not_shown,
    )


@dataclass(frozen=True)
class ProfileSection:
    """One question's block in a stacked profile table, headed by the question label."""

    heading: str
    table: FrequencyTable

    @property
    def base(self) -> int:
        return self.table.base

    @property
    def rows(self) -> tuple[FrequencyRow, ...]:
        return self.table.rows


@dataclass(frozen=True)
class ProfileTable:
    """Several closed questions stacked under headings (e.g. "Table 2.2: respondent profile").

    Each section keeps its own base: questions shown to different people are not comparable
    against a single total.
    """

    title: str
    sections: tuple[ProfileSection, ...]

    def to_rows(self) -> list[list[Any]]:
        """Header, then per section a heading row, its answers and its base row."""
        out: list[list[Any]] = [list(FREQUENCY_HEADER)]
        for section in self.sections:
            out.append([section.heading, None, None, None, None])
            out.extend(section.table.to_rows()[1:-2])  # answers and base, not missing/skipped
        return out

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "sections": [s.table.to_json_dict() for s in self.sections],
        }


def profile_table(title: str, tables: Sequence[FrequencyTable]) -> ProfileTable:
    """Stack frequency tables into one report table, in the order given."""
    return ProfileTable(
        title=title,
        sections=tuple(ProfileSection(heading=t.label, table=t) for t in tables),
    )


@dataclass(frozen=True)
class CrossTabHeading:
    """A row or column of a cross-tab: answer code, label, and whether the form lists it."""

    value: str
    label: str
    unlisted: bool = False


@dataclass(frozen=True)
class CrossTabCell:
    """A count with its percentage and the base that percentage is of (``None`` if base 0)."""

    n: int
    percent: float | None
    base: int


def _cell(n: int, base: int) -> CrossTabCell:
    return CrossTabCell(n=n, percent=percent_of(n, base), base=base)


@dataclass(frozen=True)
class CrossTab:
    """Two single-choice questions against each other.

    ``percent`` says what each cell is a percentage of; every cell also carries its ``base`` so
    the choice is visible in the data, not just in a caption. Margins in the percentaged
    direction show 100%; the other margin shows its share of the grand total.
    """

    row_name: str
    row_label: str
    column_name: str
    column_label: str
    percent: PercentBase
    rows: tuple[CrossTabHeading, ...]
    columns: tuple[CrossTabHeading, ...]
    cells: tuple[tuple[CrossTabCell, ...], ...]
    row_totals: tuple[CrossTabCell, ...]
    column_totals: tuple[CrossTabCell, ...]
    grand_total: CrossTabCell

    def cell(self, row_value: str, column_value: str) -> CrossTabCell:
        """Look up a cell by answer codes (``KeyError`` if either is absent)."""
        rows = [h.value for h in self.rows]
        columns = [h.value for h in self.columns]
        if row_value not in rows or column_value not in columns:
            raise KeyError((row_value, column_value))
        return self.cells[rows.index(row_value)][columns.index(column_value)]

    @property
    def base_description(self) -> str:
        """A caption fragment saying what the percentages are of."""
        return {
            "row": "Percentages of row totals",
            "column": "Percentages of column totals",
            "total": "Percentages of the grand total",
        }[self.percent]

    def to_rows(self) -> list[list[Any]]:
        """Header plus plain-value rows: an n and a % column per answer, then Total."""
        header: list[Any] = [self.row_label]
        for h in (*self.columns, CrossTabHeading("", "Total")):
            header += [f"{h.label} n", f"{h.label} %"]
        out: list[list[Any]] = [header]
        for heading, cells, total in zip(self.rows, self.cells, self.row_totals, strict=True):
            line: list[Any] = [heading.label]
            for c in (*cells, total):
                line += [c.n, c.percent]
            out.append(line)
        line = ["Total"]
        for c in (*self.column_totals, self.grand_total):
            line += [c.n, c.percent]
        out.append(line)
        return out


def crosstab(
    row_q: QuestionInfo,
    col_q: QuestionInfo,
    cells: Mapping[tuple[str, str], int],
    percent: PercentBase,
) -> CrossTab:
    """Cross-tabulate counts keyed ``(row_code, column_code)``; absent pairs count as zero.

    Only respondents who answered both questions belong in ``cells``; as with frequency tables,
    every defined choice appears and codes missing from the definitions are appended.
    """
    if percent not in ("row", "column", "total"):
        raise ValueError(f"percent must be 'row', 'column' or 'total', got {percent!r}")
    row_seen: dict[str, int] = {}
    col_seen: dict[str, int] = {}
    for (r, c), count in cells.items():
        check_count(f"count for {(r, c)!r}", count)
        row_seen[r] = row_seen.get(r, 0) + count
        col_seen[c] = col_seen.get(c, 0) + count
    row_codes = _ordered_codes(row_q, row_seen)
    col_codes = _ordered_codes(col_q, col_seen)
    counts = [[cells.get((r, c), 0) for c, _ in col_codes] for r, _ in row_codes]
    row_sums = [sum(line) for line in counts]
    col_sums = [sum(line[j] for line in counts) for j in range(len(col_codes))]
    grand = sum(row_sums)

    def base(i: int, j: int) -> int:
        return {"row": row_sums[i], "column": col_sums[j], "total": grand}[percent]

    return CrossTab(
        row_name=row_q.name,
        row_label=row_q.label,
        column_name=col_q.name,
        column_label=col_q.label,
        percent=percent,
        rows=tuple(CrossTabHeading(c, row_q.label_for(c), u) for c, u in row_codes),
        columns=tuple(CrossTabHeading(c, col_q.label_for(c), u) for c, u in col_codes),
        cells=tuple(
            tuple(_cell(counts[i][j], base(i, j)) for j in range(len(col_codes)))
            for i in range(len(row_codes))
        ),
        row_totals=tuple(_cell(s, s if percent == "row" else grand) for s in row_sums),
        column_totals=tuple(_cell(s, s if percent == "column" else grand) for s in col_sums),
        grand_total=_cell(grand, grand),
    )


def format_percent(p: float | None, n: int | None, base: int | None, *, decimals: int = 1) -> str:
    """``"40.0% (n=22)"`` for report text; an en dash when there is no percentage to show.

    The base is checked so that a 0.0 computed against an empty base is never printed as a
    real zero. Without ``n`` only the percentage is shown.
    """
    if p is None or base == 0:
        return DASH
    text = f"{p:.{decimals}f}%"
    return text if n is None else f"{text} (n={n})"
