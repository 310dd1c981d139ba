"""Paper data entry: key a batch of paper questionnaires, fast, from the keyboard.

The keyer chooses the questionnaire and the event once; the batch id is kept in the session, so
every form after that is one page with every question (the first field focused, tab order as
printed) and a "Save and enter next" button. Validation is the web form's
(:func:`feedback.domain.answers.check_answers`); a form with errors comes back with what was
typed still in the boxes. A sample of forms (every n-th, or chosen from the batch list) can be
keyed a second time, blind, and the discrepancy report lists where the two keyings differ.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from ...db import Activity, Instrument, Project
from ...db.app import get_db, get_session
from ...db.paper import PaperBatch, PaperEntry
from ...domain.instrument import Instrument as InstrumentModel
from ...services.paper_entry import (
    PaperEntryError,
    batch_count,
    batch_model,
    discrepancies,
    enter_form,
    entry_for_key,
    key_second,
    next_for_second,
    paper_instruments,
    start_batch,
)
from ...services.respond import new_token
from ..ids import db_id, whole_number
from ..paginate import page_arg, paginate
from .access import require_project_role
from .blueprint import bp
from .entry_forms import answers_only, entry_form, error_list

CONTROLS = ("_action", "_response")


def _session_key(project: Project) -> str:
    return f"paper_batch:{project.id}"


def _current_batch(project: Project) -> PaperBatch | None:
    """The batch this browser is keying in this project (kept in the signed session cookie)."""
    batch_id = session.get(_session_key(project))
    batch = get_session().get(PaperBatch, batch_id) if isinstance(batch_id, int) else None
    if batch is None or batch.project_id != project.id or batch.user_id != current_user.id:
        return None
    return batch


def _batch_in(db_session: Session, batch: PaperBatch) -> PaperBatch:
    """The same batch, loaded in the write transaction (a 404 if it went in between)."""
    found = db_session.get(PaperBatch, batch.id)
    if found is None:
        abort(404)
    return found


@bp.route("/projects/<slug>/paper", methods=["GET", "POST"])
@require_project_role("interviewer")
def paper_batch(project: Project) -> ResponseReturnValue:
    """Start a batch (questionnaire, event, how often to key twice), and list the current one."""
    error = ""
    if request.method == "POST":
        every = whole_number(request.form.get("second_every", "0").strip() or "0")
        try:
            if every is None:
                raise PaperEntryError("Enter how often to key a form twice as a whole number, or 0")
            with get_db().write() as db_session:
                started = start_batch(
                    db_session,
                    project.id,
                    current_user,
                    instrument_id=db_id(request.form.get("instrument")),
                    activity_id=db_id(request.form.get("activity")),
                    second_every=every,
                )
                batch_id = started.id
        except PaperEntryError as exc:
            error = str(exc)
        else:
            session[_session_key(project)] = batch_id
            return redirect(url_for("staff.paper_entry", slug=project.slug))
    db = get_session()
    batch = _current_batch(project)
    entries = None
    if batch is not None:
        stmt = select(PaperEntry).where(PaperEntry.batch_id == batch.id).order_by(PaperEntry.seq.desc())
        entries = paginate(db, stmt, page_arg())
    activities = db.scalars(
        select(Activity)
        .where(Activity.project_id == project.id)
        .order_by(Activity.starts_on.desc(), Activity.id)
    ).all()
    return render_template(
        "staff/paper_batch.html",
        project=project,
        instruments=paper_instruments(db, project.id),
        activities=activities,
        batch=batch,
        batch_instrument=db.get(Instrument, batch.instrument_id) if batch else None,
        batch_activity=db.get(Activity, batch.activity_id) if batch and batch.activity_id else None,
        entries=entries,
        form=request.form,
        error=error,
        page_title="Paper data entry",
    ), 400 if error else 200


def _render_entry(
    project: Project,
    batch: PaperBatch,
    model: InstrumentModel,
    *,
    title: str,
    action: str,
    posted: MultiDict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notices: list[str] | None = None,
    second: PaperEntry | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    built = entry_form(model, posted=posted, errors=errors)
    db = get_session()
    return render_template(
        "staff/paper_entry.html",
        project=project,
        batch=batch,
        count=batch_count(db, batch.id),
        activity=db.get(Activity, batch.activity_id) if batch.activity_id else None,
        instrument_title=model.title,
        questions=built.views,
        error_list=error_list(built.views, [(n, "#paper-form") for n in notices or []]),
        action=action,
        second=second,
        key=new_token(),
        page_title=title,
    ), status


@bp.route("/projects/<slug>/paper/entry", methods=["GET", "POST"])
@require_project_role("interviewer")
def paper_entry(project: Project) -> ResponseReturnValue:
    batch = _current_batch(project)
    if batch is None:
        flash("Choose the questionnaire and event for a batch first.")
        return redirect(url_for("staff.paper_batch", slug=project.slug))
    _instrument, _version, model = batch_model(get_session(), batch)
    action = url_for("staff.paper_entry", slug=project.slug)
    if request.method == "GET":
        return _render_entry(project, batch, model, title="Key a paper form", action=action)
    posted = answers_only(request.form, CONTROLS)
    built = entry_form(model, posted=posted)
    if built.refused:
        return _render_entry(
            project, batch, model, title="Key a paper form", action=action, posted=posted,
            notices=built.refused, status=400,
        )  # fmt: skip
    key = request.form.get("_key", "")
    with get_db().write() as db_session:
        fresh = _batch_in(db_session, batch)
        earlier = entry_for_key(db_session, fresh, key)
        if earlier is not None:  # the same page posted twice: one form, stored once
            flash(f"Form {earlier.seq} of this batch was already saved. Enter the next one.", "info")
            return redirect(action)
        entry, checked = enter_form(db_session, fresh, built.raw, key=key)
        seq = entry.seq if entry else 0
    if entry is None:
        return _render_entry(
            project, batch, model, title="Key a paper form", action=action, posted=posted,
            errors=checked.errors, status=400,
        )  # fmt: skip
    # Not a "success" banner: that one takes the focus, and the keyer's cursor belongs in the first field.
    flash(f"Form {seq} of this batch saved. Enter the next one.", "info")
    return redirect(action)


@bp.route("/projects/<slug>/paper/second", methods=["GET", "POST"])
@require_project_role("interviewer")
def paper_second(project: Project) -> ResponseReturnValue:
    """Key a form a second time without seeing the first keying; ``?response=`` chooses one."""
    batch = _current_batch(project)
    if batch is None:
        flash("Choose the questionnaire and event for a batch first.")
        return redirect(url_for("staff.paper_batch", slug=project.slug))
    chosen = db_id(request.args.get("response") or request.form.get("_response"), big=True)
    db = get_session()
    if chosen is not None:  # a form chosen from the batch's list
        entry = db.get(PaperEntry, chosen)
        if entry is None or entry.batch_id != batch.id:
            abort(404)
    else:
        entry = next_for_second(db, batch.id)
    if entry is None:
        return render_template(
            "staff/paper_second_done.html", project=project, batch=batch, page_title="Second keying"
        )
    _instrument, _version, model = batch_model(db, batch)
    action = url_for("staff.paper_second", slug=project.slug)
    title = f"Key form {entry.seq} again"
    if request.method == "GET":
        return _render_entry(project, batch, model, title=title, action=action, second=entry)
    posted = answers_only(request.form, CONTROLS)
    built = entry_form(model, posted=posted)
    if built.refused:
        return _render_entry(
            project, batch, model, title=title, action=action, posted=posted, notices=built.refused,
            second=entry, status=400,
        )  # fmt: skip
    with get_db().write() as db_session:
        fresh = db_session.get(PaperEntry, entry.response_id)
        if fresh is None:  # gone since the page was read
            abort(404)
        checked = key_second(db_session, _batch_in(db_session, batch), fresh, built.raw, current_user)
    if not checked.ok:
        return _render_entry(
            project, batch, model, title=title, action=action, posted=posted, errors=checked.errors,
            second=entry, status=400,
        )  # fmt: skip
    flash(f"Second keying of form {entry.seq} saved.", "success")
    return redirect(url_for("staff.paper_second", slug=project.slug))


@bp.get("/projects/<slug>/paper/discrepancies")
@require_project_role("evaluator")
def paper_discrepancies(project: Project) -> ResponseReturnValue:
    """Where the two keyings differ, for the current batch or ``?batch=``, to settle against paper."""
    db = get_session()
    chosen = db_id(request.args.get("batch"))
    batch = db.get(PaperBatch, chosen) if chosen is not None else _current_batch(project)
    if batch is not None and batch.project_id != project.id:
        abort(404)
    keyed, found = discrepancies(db, batch) if batch is not None else (0, [])
    return render_template(
        "staff/paper_discrepancies.html",
        project=project,
        batch=batch,
        keyed=keyed,
        found=found,
        page_title="Double-entry discrepancies",
    )
