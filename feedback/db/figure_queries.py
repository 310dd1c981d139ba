"""How many responses each instrument has, split the ways its figures need: by status, by mode,
by whether the response belongs to a case of the sample, and by event.

One grouped query for any number of instruments. :func:`feedback.services.rates.instrument_rates`
turns these groups into the figures every page, sheet and ``--json`` shows, so that "responses"
means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from .responses import Response


@dataclass(frozen=True)
class ResponseGroup:
    """Responses of one instrument sharing a status, mode, case-or-not and event."""

    status: str
    mode: str
    has_case: bool
    activity_id: int | None
    n: int


def response_groups(
    session: Session,
    instrument_ids: Sequence[int],
    extra: Sequence[ColumnElement[bool]] = (),
) -> dict[int, list[ResponseGroup]]:
    """Live (not deleted) responses of each instrument, grouped; ``extra`` narrows them further
    (a summary's filter). Instruments without responses are absent."""
    if not instrument_ids:
        return {}
    keys = (
        Response.instrument_id,
        Response.status,
        Response.mode,
        Response.case_id.is_not(None),
        Response.activity_id,
    )
    rows = session.execute(
        select(*keys, func.count())
        .where(Response.instrument_id.in_(instrument_ids), Response.deleted_at.is_(None), *extra)
        .group_by(*keys)
    )
    result: dict[int, list[ResponseGroup]] = {}
    for instrument_id, status, mode, case, activity_id, n in rows:
        group = ResponseGroup(status, mode, bool(case), activity_id, int(n))
        result.setdefault(instrument_id, []).append(group)
    return result
