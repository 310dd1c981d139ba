"""Attendance tables of a project (the report's Tables 3.1, 3.3 and 3.4), from live activities.

What the staff page, ``feedback attendance`` and the workbook's Attendance sheet call. Only
reads: one aggregate query (:func:`feedback.db.attendance.attendance_counts`), whatever the
number of activities.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Project
from ..db.attendance import attendance_counts
from ..domain.attendance import AttendanceTable, attendance_table


class UnknownProject(LookupError):
    """No project has the slug given."""


def attendance_of(session: Session, project: Project) -> AttendanceTable:
    """The attendance table of ``project``: its activities by series and region."""
    return attendance_table(f"Activities of {project.name}", attendance_counts(session, project.id))


def project_attendance(session: Session, slug: str) -> AttendanceTable:
    """The attendance table of the project called ``slug``; raises :class:`UnknownProject`."""
    project = session.scalar(select(Project).where(Project.slug == slug))
    if project is None:
        raise UnknownProject(slug)
    return attendance_of(session, project)
