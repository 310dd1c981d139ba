"""Cross-tabulations of two single-choice questions, with the base of every percentage.

The database layer counts pairs of answers; :func:`crosstab` lays them out with every defined
choice as a row or column (even at zero) and says, cell by cell, what each percentage is of.
Re-exported from :mod:`feedback.domain.summary`, where callers have always found it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from feedback.domain.stats import check_count, percent_of
from feedback.domain.summary_base import QuestionInfo, ordered_codes

__all__ = ["CrossTab", "CrossTabCell", "CrossTabHeading", "PercentBase", "crosstab"]

PercentBase = Literal["row", "column", "total"]


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
    row_codes = ordered_codes(row_q, row_seen)
    col_codes = ordered_codes(col_q, col_seen)
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
