"""Cases for evaluators: who has not responded (for the next reminder), and one case's
disposition, set by hand with a reason that is kept (``staff.responders``, ``staff.case``,
``staff.case_disposition``).

These pages show names and e-mail addresses, so they need the identify permission and each view
is logged. A disposition set here wins over the derived one in every rate, exactly as one set
with ``feedback dispositions set`` (same service); clearing it returns the case to its derived
disposition. Cases are always looked up within the URL's project: another project's case is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, or_, select

from ...db import Case, Contact, Instrument, Project
from ...db.app import get_db, get_session
from ...db.sampling import CallAttempt
from ...services import dispositions as disp
from ...services import invitations as inv
from ..ids import db_id
from ..paginate import page_arg, paginate
from .access import require_project_role
from .blueprint import bp
from .fieldwork import instrument_of, project_instruments
from .fieldwork_forms import DERIVE, DispositionForm

LISTS = {"non": "Non-responders", "partial": "Partial responders"}


@bp.get("/projects/<slug>/fieldwork/responders")
@require_project_role("evaluator", identify=True)
def responders(project: Project) -> ResponseReturnValue:
    """Non-responders (``?list=non``) or partial responders (``?list=partial``) of one instrument,
    paginated; both exclude cases closed by staff, opted out or bounced."""
    instruments = project_instruments(project)
    instrument = instrument_of(project, request.args.get("instrument")) or (
        instruments[0] if instruments else None
    )
    which = request.args.get("list", "non")
    which = which if which in LISTS else "non"
    page = None
    totals: dict[str, int] = {}
    if instrument is not None:
        queries = {
            "non": inv.non_responders_query(instrument.id),
            "partial": inv.partial_responders_query(instrument.id),
        }
        stmt = queries[which].add_columns(Contact).outerjoin(Contact, Contact.id == Case.contact_id)
        page = paginate(get_session(), stmt, page_arg(), scalars=False)
        other = "partial" if which == "non" else "non"
        totals = {
            which: page.total,
            other: get_session().scalar(select(func.count()).select_from(queries[other].subquery())) or 0,
        }
    return render_template(
        "staff/responders.html",
        project=project,
        instruments=instruments,
        instrument=instrument,
        which=which,
        lists=LISTS,
        page=page,
        totals=totals,
        page_title=f"{LISTS[which]}",
    )


def _case_in_project(project: Project, case_id: object) -> Case | None:
    number = db_id(case_id)
    if number is None:
        return None
    return get_session().scalar(
        select(Case)
        .join(Instrument, Instrument.id == Case.instrument_id)
        .where(Case.id == number, Instrument.project_id == project.id)
    )


def _find(project: Project, text: str) -> list[Case]:
    """Cases of the project whose token, e-mail address or contact id is exactly ``text``."""
    text = text.strip()
    if not text:
        return []
    return list(
        get_session().scalars(
            select(Case)
            .join(Instrument, Instrument.id == Case.instrument_id)
            .outerjoin(Contact, Contact.id == Case.contact_id)
            .where(
                Instrument.project_id == project.id,
                or_(Case.token == text, Contact.email == text.lower(), Contact.external_id == text),
            )
            .order_by(Case.id)
            .limit(50)
        )
    )


def render_case(project: Project, case: Case | None, form: DispositionForm | None = None, status: int = 200,
                **extra: Any) -> Any:  # fmt: skip
    session = get_session()
    context: dict[str, Any] = {}
    if case is not None:
        form = form or DispositionForm(case_id=str(case.id), code=case.disposition or DERIVE)
        context = {
            "final": disp.case_disposition(session, case.id),
            "history": disp.disposition_history(session, case.id),
            "attempts": list(
                session.scalars(
                    select(CallAttempt)
                    .where(CallAttempt.case_id == case.id)
                    .order_by(CallAttempt.attempted_at)
                )
            ),
        }
    return (
        render_template(
            "staff/case.html",
            project=project,
            access=g.access,
            case=case,
            form=form,
            page_title="Case" if case else "Find a case",
            **context,
            **extra,
        ),
        status,
    )


@bp.get("/projects/<slug>/case")
@require_project_role("evaluator", identify=True)
def case(project: Project) -> ResponseReturnValue:
    """One case (``?case=ID``), or a search by token, e-mail address or contact id (``?find=``)."""
    if "case" in request.args:
        found = _case_in_project(project, request.args["case"])
        if found is None:
            abort(404)
        return render_case(project, found)
    text = request.args.get("find", "")
    matches = _find(project, text)
    if len(matches) == 1:
        return redirect(url_for("staff.case", slug=project.slug, case=matches[0].id))
    return render_case(project, None, find=text, matches=matches)


@bp.post("/projects/<slug>/case/disposition")
@require_project_role("evaluator", identify=True)
def case_disposition(project: Project) -> ResponseReturnValue:
    """Set or clear a case's final disposition; the reason is required and kept in its history."""
    form = DispositionForm()
    found = _case_in_project(project, form.case_id.data)
    if found is None:
        if form.case_id.data:
            abort(404)
        return render_case(project, None, status=400, find="", matches=[], problem="Choose a case first.")
    if not form.validate_on_submit():
        return render_case(project, found, form, 400)
    code = None if form.code.data == DERIVE else form.code.data
    try:
        with get_db().write() as session:
            target = session.get(Case, found.id)
            if target is None:  # gone since it was read
                abort(404)
            change = disp.set_disposition(
                session, target, code, form.reason.data or "", changed_by=current_user.email
            )
            final = disp.case_disposition(session, found.id)
            previous, new = change.previous, change.new
    except disp.DispositionError as exc:
        form.reason.errors = [str(exc)]
        return render_case(project, found, form, 400)
    flash(
        f"Disposition {previous or 'derived'} → {new or 'derived'}; the case now counts as {final}.",
        "success",
    )
    return redirect(url_for("staff.case", slug=project.slug, case=found.id))
