"""Public pages. The start page lists open instruments so a visitor can see what is collected."""

from __future__ import annotations

from typing import TypedDict

from flask import Blueprint, render_template
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from ...db import Instrument, Programme, Project
from ...db.app import get_session
from ...db.migrate import schema_problem
from ...services.access import invitation_only_ids

bp = Blueprint("public", __name__)


class ListedProject(TypedDict):
    """A project on the start page with its open instruments (title, slug and kind of each)."""

    name: str
    instruments: list[dict[str, str]]


@bp.get("/")
def index() -> str:
    session = get_session()
    programmes = session.scalars(select(Programme).order_by(Programme.id)).all()
    rows = session.execute(
        select(Project.name, Project.slug, Instrument)
        .join(Instrument, Instrument.project_id == Project.id)
        .where(Instrument.status == "open")
        .order_by(Project.id, Instrument.slug)
    ).all()
    # Surveys of a contact list are answered through personal links: listing them would invite
    # answers from outside the sample.
    private = invitation_only_ids(session, [row[2] for row in rows])
    projects: dict[str, ListedProject] = {}
    for project_name, project_slug, instrument in rows:
        if instrument.id in private:
            continue
        title, slug, kind = instrument.title, instrument.slug, instrument.kind
        entry = projects.setdefault(project_slug, {"name": project_name, "instruments": []})
        entry["instruments"].append({"title": title, "slug": slug, "kind": kind})
    return render_template("public/index.html", programmes=programmes, projects=projects)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Liveness, database and schema check for load balancers.

    One query, as cheap as ``SELECT 1``: the schema's revision. A worker whose database is
    unreachable, not yet migrated, or at another revision than this code's reports 503, so a
    balancer sends respondents only to machines that can store what they submit.
    """
    try:
        found = get_session().execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        message = str(exc.orig)
        missing = "no such table" in message or "does not exist" in message  # SQLite, PostgreSQL
        if not (missing and "alembic_version" in message):
            return {"status": "error", "database": type(exc).__name__}, 503
        found = None  # never migrated
    except Exception as exc:  # noqa: BLE001 - report any database failure as unhealthy
        return {"status": "error", "database": type(exc).__name__}, 503
    problem = schema_problem(found)
    if problem:
        return {"status": "error", "database": "ok", "schema": problem}, 503
    return {"status": "ok", "database": "ok", "schema": "current"}, 200
