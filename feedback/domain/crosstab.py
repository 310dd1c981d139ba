"""Cross-tabulations of two closed questions, with the base of every percentage.

The database layer counts *people*: for each pair of answers, and for each row and column the
people who chose it and answered the other question (:class:`CrossCounts`). :func:`crosstab`
lays them out with every defined choice as a row or column (even at zero) and says, cell by
cell, what each percentage is of. With a select_multiple question the margins cannot be summed
from the cells (one person ticking two options would count twice), which is why they are passed
in: the base of a multiple-choice percentage is the people who answered, as in frequency tables.
Re-exported from :mod:`feedback.domain.summary`, where callers have always found it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from feedback.domain.stats import check_count, percent_of
from feedback.domain.summary_base import QuestionInfo, ordered_codes

__all__ = ["CrossCounts", "CrossTab", "CrossTabCell", "CrossTabHeading", "PercentBase", "crosstab"]

PercentBase = Literal["row", "column", "total"]
MULTIPLE = "select_multiple"
BOTH_ANSWERED = "people who answered both questions"


@dataclass(frozen=True)
class CrossCounts:
    """Respondents behind a cross-tab, each counted once however many options they ticked.

    ``cells``: people by (row code, column code). ``rows``: people who chose each row answer and
    answered the column question; ``columns`` likewise; ``total``: people who answered both.
    """

    cells: Mapping[tuple[str, str], int]
    rows: Mapping[str, int]
    columns: Mapping[str, int]
    total: int

    @classmethod
    def of_single_choices(cls, cells: Mapping[tuple[str, str], int]) -> CrossCounts:
        """Margins summed from the cells: right only when each person gives one answer a side."""
        rows: dict[str, int] = {}
        columns: dict[str, int] = {}
        for (r, c), count in cells.items():
            check_count(f"count for {(r, c)!r}", count)
            rows[r] = rows.get(r, 0) + count
            columns[c] = columns.get(c, 0) + count
        return cls(cells, rows, columns, sum(rows.values()))

    def check(self) -> None:
        """Reject margins that cannot describe the same people (a bug upstream)."""
        check_count("total", self.total)
        for (r, c), count in self.cells.items():
            check_count(f"count for {(r, c)!r}", count)
            if count > self.rows.get(r, 0) or count > self.columns.get(c, 0):
                raise ValueError(f"count for {(r, c)!r} exceeds its row or column base")
        for name, margin in (("row", self.rows), ("column", self.columns)):
            for code, count in margin.items():
                check_count(f"{name} base for {code!r}", count)
                if count > self.total:
                    raise ValueError(f"{name} base for {code!r} exceeds the {self.total} who answered both")


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
    """Two closed questions (or a question and a contact attribute) against each other.

    ``percent`` says what each cell is a percentage of; every cell also carries its ``base`` so
    the choice is visible in the data, not just in a caption. Every count is of people, so the
    bases are people too: a row or column's base is the people in it who answered the other
    question. Margins in the percentaged direction show 100%; the other margin shows its share
    of the people who answered both (``grand_total``). ``note`` warns, for a select_multiple
    question, that percentages can add up to more than 100%.
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
    base_who: str = BOTH_ANSWERED
    note: str | None = None

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

    @property
    def base_label(self) -> str:
        """Who the table counts, e.g. "Base: people who answered both questions, n = 193"."""
        return f"Base: {self.base_who}, n = {self.grand_total.n}"

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


def _multiple_note(*questions: QuestionInfo) -> str | None:
    labels = [f"'{q.label}'" for q in questions if q.type == MULTIPLE]
    if not labels:
        return None
    return (
        f"People could choose more than one answer to {' and to '.join(labels)}, "
        "so percentages can add up to more than 100%."
    )


def _base_who(col_q: QuestionInfo) -> str:
    if col_q.type == "attribute":
        return f"people who answered the question and have a {col_q.label.lower()} recorded"
    return BOTH_ANSWERED


def crosstab(
    row_q: QuestionInfo,
    col_q: QuestionInfo,
    counts: CrossCounts | Mapping[tuple[str, str], int],
    percent: PercentBase,
) -> CrossTab:
    """Cross-tabulate people counted by :class:`CrossCounts`; absent pairs count as zero.

    Only respondents who answered both questions belong in the counts; as with frequency
    tables, every defined choice appears and codes missing from the definitions are appended.
    A plain mapping of cells is accepted for two single-choice questions only: with a
    select_multiple one, summing cells would count a person once per option ticked.
    """
    if percent not in ("row", "column", "total"):
        raise ValueError(f"percent must be 'row', 'column' or 'total', got {percent!r}")
    if not isinstance(counts, CrossCounts):
        if MULTIPLE in (row_q.type, col_q.type):
            raise ValueError(
                "a cross-tab of a select_multiple question needs CrossCounts: its bases are the "
                "people who answered, which cannot be summed from the cells"
            )
        counts = CrossCounts.of_single_choices(counts)
    counts.check()
    row_codes = ordered_codes(row_q, counts.rows)
    col_codes = ordered_codes(col_q, counts.columns)
    cells = [[counts.cells.get((r, c), 0) for c, _ in col_codes] for r, _ in row_codes]
    row_bases = [counts.rows.get(r, 0) for r, _ in row_codes]
    col_bases = [counts.columns.get(c, 0) for c, _ in col_codes]
    grand = counts.total

    def base(i: int, j: int) -> int:
        return {"row": row_bases[i], "column": col_bases[j], "total": grand}[percent]

    return CrossTab(
        row_name=row_q.name,
        row_label=row_q.label,
        column_name=col_q.name,
        column_label=col_q.label,
        percent=percent,
        rows=tuple(CrossTabHeading(c, row_q.label_for(c), u) for c, u in row_codes),
        columns=tuple(CrossTabHeading(c, col_q.label_for(c), u) for c, u in col_codes),
        cells=tuple(
            tuple(_cell(cells[i][j], base(i, j)) for j in range(len(col_codes)))
            for i in range(len(row_codes))
        ),
        row_totals=tuple(_cell(n, n if percent == "row" else grand) for n in row_bases),
        column_totals=tuple(_cell(n, n if percent == "column" else grand) for n in col_bases),
        grand_total=_cell(grand, grand),
        base_who=_base_who(col_q),
        note=_multiple_note(row_q, col_q),
    )
