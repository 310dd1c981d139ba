"""The counts behind a project's attendance tables: one ``GROUP BY`` over its activities.

Grouping by (series, title, region, kind) gives one row per activity title (several events that
share a title, such as an undated repeat, add up in SQL), from which the domain builds the
region and series totals. ``COUNT(attending)`` counts only the events whose head count is
known, so an unknown attendance can never be read as 0.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.attendance import AttendanceCount
from .models import Activity


def attendance_counts(session: Session, project_id: int) -> list[AttendanceCount]:
    """Every activity title of the project with its events, known head counts and their sum."""
    query = (
        select(
            Activity.series,
            Activity.title,
            Activity.region,
            Activity.kind,
            func.count(),
            func.count(Activity.attending),
            func.sum(Activity.attending),
            func.min(Activity.starts_on),
            func.max(Activity.attending_note),
            func.min(Activity.id),
        )
        .where(Activity.project_id == project_id)
        .group_by(Activity.series, Activity.title, Activity.region, Activity.kind)
        .order_by(func.min(Activity.id))
    )
    return [
        AttendanceCount(
            series=series or "",
            title=title,
            region=region or "",
            kind=kind or "",
            events=int(events),
            known=int(known),
            attending=None if attending is None else int(attending),
            starts_on=starts_on,
            note=note or "",
            order=int(order),
        )
        for series, title, region, kind, events, known, attending, starts_on, note, order in session.execute(
            query
        )
    ]
