"""The attendance tables of a project (``staff.attendance``): the report's Tables 3.1, 3.3, 3.4.

Everything comes from :func:`feedback.services.attendance.attendance_of`, one aggregate query
over the project's activities, so the page costs the same for ten activities or a thousand. A
viewer may read it: it shows head counts, never who attended.

Two tables, as the report has them: events and attendance by activity series and region, then
each activity with its own head count. A head count nobody recorded reads "not known"; totals
add up the known ones only and say for how many events (their base).
"""

from __future__ import annotations

from flask import g, render_template

from ...db import Project
from ...db.app import get_session
from ...services.attendance import attendance_of
from .access import require_project_role
from .blueprint import bp


@bp.get("/projects/<slug>/attendance")
@require_project_role("viewer")
def attendance(project: Project) -> str:
    table = attendance_of(get_session(), project)
    return render_template(
        "staff/attendance.html",
        project=project,
        access=g.access,
        table=table,
        page_title=f"Attendance – {project.name}",
    )
