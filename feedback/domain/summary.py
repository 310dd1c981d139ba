"""Summary tables for evaluation reports, built from counts that were aggregated elsewhere.

The database layer does the ``GROUP BY``; this module decides what a reader of the report sees:
which rows appear (every defined choice, even at zero, so tables from different waves line up),
what the percentages are *of* (the respondents who answered; missing and skipped are reported
beside the base, never inside it), and when a figure needs a health warning. Percentages stay
unrounded floats on a 0–100 scale until :func:`format_percent`, so totals and re-derived figures
are exact and rounding happens once, at presentation.

Cross-tabs live in :mod:`feedback.domain.crosstab` and the question description in
:mod:`feedback.domain.summary_base`; both are re-exported here for existing importers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from feedback.domain.crosstab import CrossTab, CrossTabCell, CrossTabHeading, PercentBase, crosstab
from feedback.domain.stats import (
    check_count,
    describe,
    percent_with_interval,
    wilson_interval,
)
from feedback.domain.summary_base import QuestionInfo, ordered_codes

__all__ = [
    "CrossTab",
    "CrossTabCell",
    "CrossTabHeading",
    "FrequencyRow",
    "FrequencyTable",
    "MULTIPLE_NOTE",
    "NumericSummary",
    "PercentBase",
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


def _bare_type(question_type: str) -> str:
    """``select_one yes_no`` -> ``select_one``: XLSForm puts the list name in the type cell."""
    parts = question_type.split()
    return parts[0] if parts else question_type


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
    for code, unlisted in ordered_codes(question, counts):
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


def format_percent(p: float | None, n: int | None, base: int | None, *, decimals: int = 1) -> str:
    """``"40.0% (n=22)"`` for report text; an en dash when there is no percentage to show.

    The base is checked so that a 0.0 computed against an empty base is never printed as a
    real zero. Without ``n`` only the percentage is shown.
    """
    if p is None or base == 0:
        return DASH
    text = f"{p:.{decimals}f}%"
    return text if n is None else f"{text} (n={n})"
