"""The audit trail on the staff side: who is acting, the trail pages, and the two changes that
exist for data protection (soft-deleting a response, erasing a contact).

=======================================================  =========================================
``GET  /staff/projects/<slug>/audit[?entity=&id=]``      the project's trail, newest first, paged
``GET  /staff/projects/<slug>/audit.csv[?entity=&id=]``  the same entries as CSV (formula-safe)
``GET|POST /staff/projects/<slug>/responses/delete``     soft-delete a response, with a reason
``GET|POST /staff/projects/<slug>/contacts/erase``       erase a contact (needs the identify right)
=======================================================  =========================================

Every request to the app sets :data:`feedback.services.audit.actor`: the signed-in user on staff
pages, nobody on the public pages (respondents are not audited, see the service's docstring).
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Response, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, select
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ...db import Project
from ...db.app import get_db, get_session
from ...db.audit import AuditEntry
from ...export.cells import csv_text
from ...services import audit
from ...services.data_protection import (
    DataProtectionError,
    delete_response,
    erase_contact,
    find_contact,
    find_response,
)
from ..ids import db_id
from ..paginate import page_arg, paginate
from .access import require_project_role
from .blueprint import bp

#: The kinds of record with a trail. Theme coding is on the "response" (an answer's themes) and
#: "instrument" (its codebook) trails: see feedback.services.coding_audit.
ENTITIES = (
    "response",
    "case",
    "contact",
    "instrument",
    "instrument_version",
    "project_role",
)


@bp.before_app_request
def _set_actor() -> None:
    """Attribute this request's changes: to the signed-in staff user, or to nobody."""
    who = audit.NOBODY
    if request.blueprint == bp.name and current_user.is_authenticated:
        who = audit.Actor(current_user.id, current_user.email)
    g.audit_actor_token = audit.actor.set(who)


@bp.teardown_app_request
def _reset_actor(_exc: BaseException | None) -> None:
    token = g.pop("audit_actor_token", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context (a copied one): let it go
            audit.actor.reset(token)


def _filters() -> tuple[str, int | None]:
    entity = request.args.get("entity", "")
    raw_id = request.args.get("id", "")
    return (entity if entity in ENTITIES else ""), db_id(raw_id, big=True)


def _trail(project: Project, entity: str, entity_id: int | None) -> Select[Any]:
    stmt = select(AuditEntry).where(AuditEntry.project_id == project.id)
    if entity:
        stmt = stmt.where(AuditEntry.entity_type == entity)
        if entity_id is not None:
            stmt = stmt.where(AuditEntry.entity_id == entity_id)
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def changes(entry: AuditEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) for each field the entry mentions, as text for a table or a cell."""
    before, after = entry.before or {}, entry.after or {}
    return [
        (name, _text(before.get(name)), _text(after.get(name))) for name in dict.fromkeys([*before, *after])
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@bp.get("/projects/<slug>/audit")
@require_project_role("evaluator")
def audit_trail(project: Project) -> str:
    entity, entity_id = _filters()
    page = paginate(get_session(), _trail(project, entity, entity_id), page_arg())
    args = {"slug": project.slug, **({"entity": entity} if entity else {})}
    if entity and entity_id is not None:
        args["id"] = str(entity_id)
    return render_template(
        "staff/audit.html",
        project=project,
        entries=page,
        changes=changes,
        entity=entity,
        entity_id=entity_id,
        entities=ENTITIES,
        args=args,
        can_identify=g.access.can_identify,
        page_title="Audit trail",
    )


CSV_HEADER = ("at", "who", "action", "record", "record id", "field", "before", "after", "reason")


@bp.get("/projects/<slug>/audit.csv")
@require_project_role("evaluator")
def audit_csv(project: Project) -> ResponseReturnValue:
    """One row per changed field, streamed: a long trail is never held in memory at once.

    The generator opens its own read session (not the request's), so it needs nothing of the
    request context while the server sends the file."""
    entity, entity_id = _filters()
    stmt = _trail(project, entity, entity_id).execution_options(yield_per=500)
    db = get_db()

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        with db.read() as session:
            for entry in session.scalars(stmt):
                for name, old, new in changes(entry) or [("", "", "")]:
                    cells = [entry.at.isoformat(), entry.actor_label, entry.action, entry.entity_type]
                    writer.writerow(
                        [csv_text(c) for c in cells]
                        + [entry.entity_id or ""]
                        + [csv_text(c) for c in (name, old, new, entry.reason)]
                    )
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        rows(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{project.slug}.csv"'},
    )


class DeleteResponseForm(FlaskForm):
    response = IntegerField(
        "Response number",
        validators=[
            InputRequired("Enter the response number"),
            NumberRange(min=1, max=2**62, message="Enter a response number, such as 1234"),
        ],
    )
    reason = TextAreaField(
        "Why is it being deleted?",
        validators=[DataRequired("Give a reason (it is kept in the audit trail)"), Length(max=2000)],
    )


@bp.route("/projects/<slug>/responses/delete", methods=["GET", "POST"])
@require_project_role("evaluator")
def delete_response_page(project: Project) -> ResponseReturnValue:
    """A response is never removed: it is marked deleted with a reason and left out of counts."""
    form = DeleteResponseForm(
        data={"response": db_id(request.args.get("id"), big=True)} if request.method == "GET" else None
    )
    problem = ""
    if form.validate_on_submit() and form.response.data is not None:  # not None: InputRequired
        with get_db().write() as session:
            found = find_response(session, project.id, form.response.data)
            if found is None:
                form.response.errors = [f"{project.name} has no response number {form.response.data}"]
            else:
                try:
                    delete_response(session, found, form.reason.data or "")
                except DataProtectionError as exc:
                    problem = str(exc)
        if not form.response.errors and not problem:
            return redirect(
                url_for("staff.audit_trail", slug=project.slug, entity="response", id=form.response.data)
            )
    status = 400 if request.method == "POST" else 200
    return render_template(
        "staff/delete_response.html",
        project=project,
        form=form,
        problem=problem,
        page_title="Delete a response",
    ), status


class EraseContactForm(FlaskForm):
    contact = StringField(
        "Contact number, e-mail address or external id",
        validators=[
            DataRequired("Enter the contact's number, e-mail address or external id"),
            Length(max=320),
        ],
    )
    confirm = BooleanField(
        "I understand that this removes the contact's personal data for good",
        validators=[DataRequired("Tick the box to confirm the erasure")],
    )


@bp.route("/projects/<slug>/contacts/erase", methods=["GET", "POST"])
@require_project_role("evaluator", identify=True)
def erase_contact_page(project: Project) -> ResponseReturnValue:
    """A data-protection request: the contact's identifying data goes, their answers stay anonymous."""
    form = EraseContactForm()
    problem = ""
    if form.validate_on_submit():
        with get_db().write() as session:
            found = find_contact(session, project.id, form.contact.data or "")
            if found is None:
                form.contact.errors = [
                    f"{project.name} has no contact with that number, e-mail address or id"
                ]
            else:
                try:
                    erase_contact(session, found)
                    erased = found.id
                except DataProtectionError as exc:
                    problem = str(exc)
        if not form.contact.errors and not problem:
            return redirect(url_for("staff.audit_trail", slug=project.slug, entity="contact", id=erased))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "staff/erase_contact.html", project=project, form=form, problem=problem, page_title="Erase a contact"
    ), status
