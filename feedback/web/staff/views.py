"""Dashboards: the user's projects with progress per instrument, and one project's page.

Each page is a fixed handful of queries (grouped counts in :mod:`feedback.db.dashboard`), so a
project with a hundred thousand responses draws as fast as an empty one.
"""

from __future__ import annotations

from flask import current_app, g, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ...db import Contact, Project
from ...db.app import get_session
from ...db.dashboard import activities_query, latest_activities, visible_projects
from ...services.dashboard import project_rows
from ..paginate import page_arg, paginate
from .access import require_project_role
from .blueprint import bp

#: Sections of a project page that later work fills: (title, endpoint, ability needed, blurb).
#: A section whose endpoint is not registered yet shows as "not available yet".
PROJECT_SECTIONS = (
    ("Summaries", "staff.summaries", "viewer", "Frequency tables with their bases, by instrument"),
    ("Response rates", "staff.rates", "viewer", "AAPOR response rates per instrument and subgroup"),
    (
        "Attendance",
        "staff.attendance",
        "viewer",
        "Activities with their number of events and number attending, by region",
    ),
    ("Free text", "staff.free_text", "evaluator", "Open answers, with coding by theme"),
    ("Contacts", "staff.contacts", "evaluator", "Contact lists, invitations and dispositions"),
    ("Fieldwork", "staff.fieldwork", "evaluator", "Import contacts, draw samples, record invitation waves"),
    (
        "Methodology",
        "staff.methodology",
        "viewer",
        "Every instrument with its method, cases, responses and rate",
    ),
    (
        "Your cases",
        "staff.interview_cases",
        "interviewer",
        "People to call, attempts, appointments and interviews",
    ),
    (
        "Paper data entry",
        "staff.paper_batch",
        "interviewer",
        "Key in paper questionnaires, with double keying",
    ),
    ("Instruments", "staff.instruments", "evaluator", "Upload, preview, publish and close questionnaires"),
    (
        "Audit trail",
        "staff.audit_trail",
        "evaluator",
        "Every change to responses, dispositions, instruments and roles",
    ),
    ("Exports", "staff.exports", "evaluator", "Workbooks of responses and summaries"),
)


def _section_links(project: Project) -> list[dict[str, str | None]]:
    links = []
    for title, endpoint, level, blurb in PROJECT_SECTIONS:
        if not g.access.can(level):
            continue
        if endpoint == "staff.contacts" and not g.access.can_identify:
            continue
        href = url_for(endpoint, slug=project.slug) if endpoint in current_app.view_functions else None
        links.append({"title": title, "href": href, "blurb": blurb})
    return links


@bp.get("/")
def home() -> str:
    session = get_session()
    projects = visible_projects(session, current_user)
    ids = [project.id for project, _ in projects]
    # Interviewers see their projects but not the counts (those are for viewers and evaluators).
    counted = [p.id for p, role in projects if current_user.is_admin or role in ("viewer", "evaluator")]
    progress = project_rows(session, counted)
    latest = latest_activities(session, ids)
    return render_template(
        "staff/home.html",
        projects=projects,
        progress=progress,
        latest=latest,
        page_title="Your projects",
    )


@bp.get("/projects/<slug>")
@require_project_role("member")
def project(project: Project) -> str:
    session = get_session()
    activities = paginate(session, activities_query(project.id), page_arg())
    instruments = project_rows(session, [project.id])[project.id]
    return render_template(
        "staff/project.html",
        project=project,
        access=g.access,
        activities=activities,
        instruments=instruments,
        sections=_section_links(project),
        page_title=project.name,
    )


@bp.get("/projects/<slug>/contacts")
@require_project_role("evaluator", identify=True)
def contacts(project: Project) -> str:
    """Names and e-mail addresses: identified, so every view of this page is logged."""
    stmt = (
        select(Contact)
        .where(Contact.project_id == project.id, Contact.erased_at.is_(None))
        .order_by(Contact.name, Contact.id)
    )
    page = paginate(get_session(), stmt, page_arg())
    return render_template("staff/contacts.html", project=project, contacts=page, page_title="Contacts")
