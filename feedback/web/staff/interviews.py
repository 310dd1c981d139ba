"""Interviewer mode: the case list, logging a call attempt, and conducting the interview.

An interviewer sees only the cases assigned to them (any other case answers 404, like a case
that does not exist); evaluators and admins see every assigned case of the project, to supervise
fieldwork. The interview page shows the whole schedule at once, topic by topic, with the prompts
(the schedule's notes and hints) beside large notes boxes and the coded items. It works without
JavaScript (the Save button); ``static/staff/interview.js`` also posts it to the autosave endpoint
every twenty seconds and whenever a field loses focus. Saves carry the version they started
from and the page they came from (``_page``, a token made when the page is shown), so a second
person saving over a newer version is shown a conflict with their own text still in the boxes,
while the page's own autosave racing its "Save and mark complete" is not one (see
:mod:`feedback.services.interviews`).

The case list leaves out finished cases (complete, not eligible, or a final refusal) unless
"Include finished cases" is ticked; a finished case can still be opened, and shows its answers.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from ...db import Case, Contact, Project
from ...db.app import get_db, get_session
from ...db.base import utcnow
from ...db.interviews import INTERVIEW_MODES, case_list_query
from ...db.sampling import CallAttempt
from ...domain.dispositions import CallOutcome
from ...services.dispositions import DispositionError, case_disposition, log_call
from ...services.interviews import (
    AssignmentError,
    Conflict,
    Details,
    Interview,
    InterviewNotFound,
    SaveResult,
    assign_unassigned,
    load_interview,
    project_interviewers,
    save_interview,
    unassigned_counts,
)
from ..forms import QuestionView, typed_date
from ..ids import whole_number
from ..paginate import page_arg, paginate
from .access import require_project_role
from .blueprint import bp
from .entry_forms import answers_only, entry_form, error_list

#: The page's own fields, kept apart from the schedule's answers.
CONTROLS = ("_version", "_page", "_mode", "_interview_date", "_minutes", "_action")
OUTCOME_LABELS = {
    CallOutcome.no_answer: "No answer",
    CallOutcome.busy: "Busy",
    CallOutcome.answering_machine: "Answering machine or voicemail",
    CallOutcome.wrong_number: "Wrong number",
    CallOutcome.appointment: "Appointment made (call back)",
    CallOutcome.soft_refusal: "Refused, might agree later",
    CallOutcome.hard_refusal: "Refused, do not call again",
    CallOutcome.language_barrier: "Could not be interviewed: language",
    CallOutcome.ineligible: "Not eligible",
    CallOutcome.complete: "Interview done",
}


def _own_cases_only() -> int | None:
    """The interviewer's id when they may see only their own cases; None for supervisors."""
    return None if g.access.can("evaluator") else current_user.id


def _interview(project: Project, case_id: int) -> Interview:
    try:
        return load_interview(get_session(), project.id, case_id, interviewer_id=_own_cases_only())
    except InterviewNotFound:
        abort(404)


@bp.get("/projects/<slug>/interviews")
@require_project_role("interviewer")
def interview_cases(project: Project) -> str:
    session = get_session()
    finished = request.args.get("finished") == "1"
    query = case_list_query(project.id, _own_cases_only(), include_finished=finished)
    page = paginate(session, query, page_arg(), scalars=False)
    supervising = _own_cases_only() is None
    return render_template(
        "staff/interview_cases.html",
        include_finished=finished,
        unassigned=unassigned_counts(session, project.id) if supervising else [],
        interviewers=project_interviewers(session, project.id) if supervising else [],
        project=project,
        cases=page,
        now=utcnow(),
        supervising=supervising,
        outcome_labels=OUTCOME_LABELS,
        page_title="Your cases",
    )


@bp.post("/projects/<slug>/interviews/assign")
@require_project_role("evaluator")
def interview_assign(project: Project) -> ResponseReturnValue:
    """Give the next n unassigned cases of an instrument to an interviewer."""

    def number(name: str) -> int:
        return whole_number(request.form.get(name, "")) or 0

    try:
        with get_db().write() as session:
            done = assign_unassigned(
                session,
                project.id,
                number("instrument"),
                number("interviewer"),
                number("count"),
                assigned_by=current_user.name or current_user.email,
            )
    except AssignmentError as exc:
        flash(f"No cases were assigned: {exc}.", "error")
    else:
        flash(f"{done} case{'' if done == 1 else 's'} assigned.", "success")
    return redirect(url_for("staff.interview_cases", slug=project.slug))


def _appointment(form: dict[str, str]) -> tuple[datetime | None, str]:
    """The next appointment from the day/month/year boxes and an HH:MM time, or an error."""
    parts = [form.get(f"next-{p}", "").strip() for p in ("day", "month", "year")]
    clock = form.get("next_time", "").strip()
    if not any(parts) and not clock:
        return None, ""
    day = typed_date(*parts)
    hour, _colon, minute = (clock or "09:00").partition(":")
    hours, minutes = whole_number(hour, 23), whole_number(minute, 59)
    if day is None or hours is None or minutes is None:
        return None, "Enter the appointment as a real date and a time like 14:30"
    return datetime.combine(day, time(hours, minutes), tzinfo=UTC), ""


@bp.route("/projects/<slug>/interviews/<id:case_id>/call", methods=["GET", "POST"])
@require_project_role("interviewer")
def interview_call(project: Project, case_id: int) -> ResponseReturnValue:
    interview = _interview(project, case_id)
    errors: dict[str, str] = {}
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        when, problem = _appointment(form)
        if problem:
            errors["next-day"] = problem
        elif form.get("outcome") not in {o.value for o in CallOutcome}:
            errors["outcome"] = "Select what happened on the call"
        else:
            try:
                with get_db().write() as session:
                    case = session.get(Case, interview.case.id)
                    if case is None:  # gone since the interview was read
                        abort(404)
                    log_call(
                        session,
                        case,
                        form["outcome"],
                        interviewer=current_user.name or current_user.email,
                        user_id=current_user.id,
                        note=form.get("note", "")[:5000],
                        next_appointment=when,
                    )
                    code = case_disposition(session, case.id)
            except DispositionError as exc:
                errors["next-day"] = str(exc).capitalize()
            else:
                label = OUTCOME_LABELS[CallOutcome(form["outcome"])]
                flash(f"Call recorded: {label}. The case's disposition is now {code}.", "success")
                return redirect(url_for("staff.interview_cases", slug=project.slug))
    session = get_session()
    attempts = session.scalars(
        select(CallAttempt).where(CallAttempt.case_id == case_id).order_by(CallAttempt.attempted_at.desc())
    ).all()
    contact = session.get(Contact, interview.case.contact_id) if interview.case.contact_id else None
    return render_template(
        "staff/interview_call.html",
        project=project,
        interview=interview,
        contact=contact,
        attempts=attempts,
        disposition=case_disposition(session, case_id),
        outcomes=[(o.value, OUTCOME_LABELS[o]) for o in CallOutcome],
        outcome_labels=OUTCOME_LABELS,
        form=form,
        errors=errors,
        page_title="Log a call",
    ), 400 if errors else 200


def _details(values: dict[str, str]) -> Details:
    parts = [values.get(f"_interview_date-{p}", "").strip() for p in ("day", "month", "year")]
    typed = ""
    if any(parts):
        day = typed_date(*parts)
        typed = day.isoformat() if day else "/".join(parts)  # not ISO: refused
    return Details(values.get("_mode", ""), typed, values.get("_minutes", ""))


def _stored_details(interview: Interview) -> Details:
    """The mode, date and length as saved; a case answered before its interview record has no
    interview date of its own, so its response's day is shown (today for a new interview)."""
    record, response = interview.record, interview.response
    day = record.interview_date if record else None
    if record is None and response is not None:
        day = (response.submitted_at or response.started_at).date()
    return Details(
        response.mode if response and response.mode != "web" else "telephone",
        (day or date.today()).isoformat(),
        str(response.duration_seconds // 60) if response and response.duration_seconds is not None else "",
    )


def _save(project: Project, case_id: int) -> tuple[Interview, SaveResult | None, list[str], Details]:
    interview = _interview(project, case_id)
    posted = answers_only(request.form, CONTROLS)
    built = entry_form(interview.model, posted=posted)
    details = _details(request.form.to_dict())
    if built.refused:
        return interview, None, built.refused, details
    seen = whole_number(request.form.get("_version", "0"))
    page = request.form.get("_page", "")[:64]
    with get_db().write() as session:
        interview = load_interview(session, project.id, case_id, interviewer_id=_own_cases_only())
        result = save_interview(
            session,
            interview,
            built.raw,
            details,
            seen_version=-1 if seen is None else seen,
            user=current_user,
            complete=request.form.get("_action") == "complete",
            page=page,
        )
    return interview, result, [], details


def _conflict_text(conflict: Conflict) -> str:
    when = f" at {conflict.saved_at}" if conflict.saved_at else ""
    return (
        f"{conflict.saved_by} saved this interview{when}, after you opened it. Your text has not "
        "been saved; it is still in the boxes below. Copy anything you need, then reload the page "
        "to see their version, or press Save to replace their version with yours."
    )


@bp.route("/projects/<slug>/interviews/<id:case_id>", methods=["GET", "POST"])
@require_project_role("interviewer")
def interview_form(project: Project, case_id: int) -> ResponseReturnValue:
    if request.method == "GET":
        interview = _interview(project, case_id)
        built = entry_form(interview.model, data=interview.typed(get_session()))
        return _render(project, interview, built.views, _stored_details(interview), interview.version)
    interview, result, refused, details = _save(project, case_id)
    built = entry_form(
        interview.model, posted=answers_only(request.form, CONTROLS), errors=result.errors if result else None
    )
    if result is None:
        return _render(
            project, interview, built.views, details, interview.version, notices=refused, status=400
        )
    if result.conflict:
        return _render(
            project,
            interview,
            built.views,
            details,
            result.version,
            conflict=_conflict_text(result.conflict),
            status=409,
        )
    if result.errors:
        return _render(project, interview, built.views, details, result.version, detail_errors=result.errors)
    flash("Interview saved and marked complete." if result.completed else "Interview saved.", "success")
    return redirect(url_for("staff.interview_form", slug=project.slug, case_id=case_id))


@bp.post("/projects/<slug>/interviews/<id:case_id>/autosave")
@require_project_role("interviewer")
def interview_autosave(project: Project, case_id: int) -> ResponseReturnValue:
    """The page script's save: JSON with the new version, or 409 with the conflict."""
    _, result, refused, _ = _save(project, case_id)
    if result is None:
        return jsonify(message=" ".join(refused)), 400
    if result.conflict:
        return jsonify(message=_conflict_text(result.conflict), version=result.version), 409
    saved = utcnow().strftime("%H:%M:%S UTC")
    note = (
        f" {len(result.errors)} answer(s) need checking before the interview can be complete."
        if result.errors
        else ""
    )
    return jsonify(message=f"Saved at {saved}.{note}", version=result.version), 200


def _render(
    project: Project,
    interview: Interview,
    views: list[QuestionView],
    details: Details,
    version: int,
    *,
    conflict: str = "",
    notices: list[str] | None = None,
    detail_errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    detail_errors = detail_errors or {}
    extra = [(n, "#page-form") for n in notices or []]
    anchors = {"mode": "#_mode", "interview_date": "#_interview_date-day", "minutes": "#_minutes"}
    extra += [(detail_errors[k], anchor) for k, anchor in anchors.items() if k in detail_errors]
    contact = get_session().get(Contact, interview.case.contact_id) if interview.case.contact_id else None
    return render_template(
        "staff/interview_form.html",
        project=project,
        interview=interview,
        contact=contact,
        questions=views,
        details=details,
        date_parts=_date_parts(details.interview_date),
        modes=INTERVIEW_MODES,
        version=version,
        # A page shown again after a POST keeps its token: it is still the same page's saves.
        page_token=request.form.get("_page", "")[:64] or secrets.token_urlsafe(16),
        conflict=conflict,
        error_list=error_list(views, extra),
        detail_errors=detail_errors,
        page_title=interview.instrument.title,
    ), status


def _date_parts(text: str) -> dict[str, str]:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        bits = (text.split("/") + ["", "", ""])[:3] if text else ["", "", ""]
        return dict(zip(("day", "month", "year"), bits, strict=True))
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
