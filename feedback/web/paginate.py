"""Paginating a SELECT: one COUNT and one LIMIT/OFFSET query, never the whole table.

Views call ``paginate(session, stmt, page_arg())``; templates render the result with the
``pagination`` macro in ``staff/_macros.html`` (GOV.UK pagination, with ellipses for long runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .ids import whole_number

PER_PAGE = 25


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int  # 1-based, clamped to the last page
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to show: first, last and ``around`` either side of this one; None is a gap."""
        shown = sorted({1, self.pages, *range(self.number - around, self.number + around + 1)})
        result: list[int | None] = []
        for n in (n for n in shown if 1 <= n <= self.pages):
            if result and n - (result[-1] or 0) > 1:
                result.append(None)
            result.append(n)
        return result


def page_arg(name: str = "page") -> int:
    """The requested page number from the query string; anything odd ("0", "²", 30 digits) means
    page 1. The bound keeps the OFFSET a number every database takes."""
    value = whole_number(request.args.get(name, "1"), 999_999)
    return value if value else 1


def paginate(
    session: Session,
    stmt: Select[*tuple[Any, ...]],
    page: int,
    per_page: int = PER_PAGE,
    *,
    scalars: bool = True,
) -> Page:
    """Run ``stmt`` for one page. ``stmt`` must have an ORDER BY, or pages may overlap."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(page, 1), pages)
    limited = stmt.limit(per_page).offset((number - 1) * per_page)
    items = list(session.scalars(limited) if scalars else session.execute(limited))
    return Page(items=items, number=number, per_page=per_page, total=total)
