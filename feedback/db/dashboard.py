"""Read queries for the staff dashboards: which projects a user sees, and progress per instrument.

Every function here is a fixed number of queries whatever the number of projects, instruments or
responses: counts are grouped in SQL, never by loading rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .accounts import ProjectRole, User
from .models import Activity, Instrument, Project
from .responses import Response


@dataclass(frozen=True)
class InstrumentProgress:
    """What the dashboards show of an instrument besides its figures (counts, bases and rates come
    from :func:`feedback.services.figures.instrument_rates`, so they are defined once)."""

    id: int
    slug: str
    title: str
    kind: str
    status: str
    project_id: int
    last_response_at: datetime | None


@dataclass(frozen=True)
class LatestActivity:
    project_id: int
    title: str
    starts_on: date | None
    region: str


def visible_projects(session: Session, user: User) -> list[tuple[Project, str | None]]:
    """Projects the user can open, with their role there (None for an admin without a role)."""
    if user.is_admin:
        stmt: Select[Project, str | None] = (
            select(Project, ProjectRole.role)
            .outerjoin(ProjectRole, (ProjectRole.project_id == Project.id) & (ProjectRole.user_id == user.id))
            .order_by(Project.name, Project.id)
        )
    else:
        stmt = (
            select(Project, ProjectRole.role)
            .join(ProjectRole, ProjectRole.project_id == Project.id)
            .where(ProjectRole.user_id == user.id)
            .order_by(Project.name, Project.id)
        )
    return [(project, role) for project, role in session.execute(stmt)]


def instrument_progress(session: Session, project_ids: list[int]) -> dict[int, list[InstrumentProgress]]:
    """Each project's instruments with when they last had a response, in ONE grouped query."""
    if not project_ids:
        return {}
    last = (
        select(
            Response.instrument_id.label("instrument_id"),
            # When it was submitted (loaded and imported responses keep their own dates); a
            # partial response has no submission yet, so its last save counts.
            func.max(func.coalesce(Response.submitted_at, Response.updated_at)).label("last_at"),
        )
        .join(Instrument, Instrument.id == Response.instrument_id)
        .where(Response.deleted_at.is_(None), Instrument.project_id.in_(project_ids))
        .group_by(Response.instrument_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Instrument.id,
            Instrument.slug,
            Instrument.title,
            Instrument.kind,
            Instrument.status,
            Instrument.project_id,
            last.c.last_at,
        )
        .outerjoin(last, last.c.instrument_id == Instrument.id)
        .where(Instrument.project_id.in_(project_ids))
        .order_by(Instrument.project_id, Instrument.title, Instrument.id)
    )
    result: dict[int, list[InstrumentProgress]] = {pid: [] for pid in project_ids}
    for iid, slug, title, kind, status, pid, last_at in rows:
        if isinstance(last_at, str):  # SQLite returns MAX() of a typed column as text
            last_at = datetime.fromisoformat(last_at)
        result[pid].append(InstrumentProgress(iid, slug, title, kind, status, pid, last_at))
    return result


def latest_activities(session: Session, project_ids: list[int]) -> dict[int, LatestActivity]:
    """Each project's most recent activity (by date, then by when it was added), in one query."""
    if not project_ids:
        return {}
    ranked = (
        select(
            Activity.project_id,
            Activity.title,
            Activity.starts_on,
            Activity.region,
            func.row_number()
            .over(
                partition_by=Activity.project_id,
                order_by=(Activity.starts_on.desc().nulls_last(), Activity.id.desc()),
            )
            .label("rank"),
        )
        .where(Activity.project_id.in_(project_ids))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.project_id, ranked.c.title, ranked.c.starts_on, ranked.c.region).where(
            ranked.c.rank == 1
        )
    )
    return {pid: LatestActivity(pid, title, starts_on, region) for pid, title, starts_on, region in rows}


def activities_query(project_id: int) -> Select[Activity]:
    """A project's activities, newest first, for :func:`feedback.web.paginate.paginate`."""
    return (
        select(Activity)
        .where(Activity.project_id == project_id)
        .order_by(Activity.starts_on.desc().nulls_last(), Activity.id.desc())
    )
