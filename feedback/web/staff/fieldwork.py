"""Fieldwork for evaluators: upload a contact list, draw a sample, record an invitation wave and
download the mail-merge workbook (``staff.fieldwork`` and its POSTs).

The work itself is done by the services the CLI uses (:mod:`feedback.services.contacts`,
``sampling`` and ``invitations``), so a list imported here and one imported with
``feedback contacts import`` behave the same: a bad row stops the import with its row number and
nothing is written, unless "skip invalid rows" is ticked. Each POST is one transaction and
redirects on success; a problem re-renders the page with a GOV.UK error summary (status 400).

The page itself shows counts only (evaluator level); the mail-merge workbook holds names, e-mail
addresses and personal links, so downloading it needs the identify permission and is logged.
"""

from __future__ import annotations

import io
import secrets
import tempfile
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3; its stubs are 3.2

from ...db import Case, Contact, ContactAttribute, Instrument, Project
from ...db.app import get_db, get_session
from ...db.sampling import Invitation, InvitationWave, SampleDraw
from ...services import invitations as inv
from ...services.contact_files import MAX_LISTED
from ...services.contacts import ContactImportError, import_contacts
from ...services.sampling import SampleError, describe_sample, draw_sample
from ..ids import whole_number
from .access import require_project_role
from .blueprint import bp
from .fieldwork_forms import ImportContactsForm, SampleForm, WaveForm


def project_instruments(project: Project) -> list[Instrument]:
    return list(
        get_session().scalars(
            select(Instrument).where(Instrument.project_id == project.id).order_by(Instrument.slug)
        )
    )


def instrument_of(project: Project, slug: str | None) -> Instrument | None:
    """The project's instrument called ``slug`` (None for another project's or an unknown one)."""
    if not slug:
        return None
    return get_session().scalar(
        select(Instrument).where(Instrument.project_id == project.id, Instrument.slug == slug)
    )


def _chosen(project: Project, slug: str | None) -> Instrument:
    """The instrument a validated form chose (its choices are this project's instruments); 404 if
    it is not there when read again."""
    instrument = instrument_of(project, slug)
    if instrument is None:
        abort(404)
    return instrument


def _in_write(session: Session, instrument: Instrument) -> Instrument:
    """The same instrument, loaded in the write transaction (a 404 if it went in between)."""
    target = session.get(Instrument, instrument.id)
    if target is None:
        abort(404)
    return target


def _attribute_keys(project: Project) -> list[str]:
    return list(
        get_session().scalars(
            select(ContactAttribute.key)
            .join(Contact, Contact.id == ContactAttribute.contact_id)
            .where(Contact.project_id == project.id)
            .distinct()
            .order_by(ContactAttribute.key)
        )
    )


def _forms(project: Project, instruments: list[Instrument]) -> dict[str, Any]:
    choices = [SelectChoice(i.slug, i.title) for i in instruments]
    forms: dict[str, Any] = {"import": ImportContactsForm(), "sample": SampleForm(), "wave": WaveForm()}
    forms["import"].import_instrument.choices = choices
    forms["sample"].sample_instrument.choices = choices
    forms["wave"].wave_instrument.choices = choices
    forms["sample"].sample_strata.choices = [SelectChoice("", "No strata: simple random sample")] + [
        SelectChoice(key, key) for key in _attribute_keys(project)
    ]
    return forms


def _overview(instruments: list[Instrument]) -> dict[str, Any]:
    """Per instrument: cases, waves and the latest sample draw, in three grouped queries."""
    ids = [i.id for i in instruments]
    session = get_session()
    cases = dict(
        session.execute(
            select(Case.instrument_id, func.count())
            .where(Case.instrument_id.in_(ids))
            .group_by(Case.instrument_id)
        ).all()
    )
    wave_rows = session.execute(
        select(InvitationWave, func.count(Invitation.id))
        .outerjoin(Invitation, Invitation.wave_id == InvitationWave.id)
        .where(InvitationWave.instrument_id.in_(ids))
        .group_by(InvitationWave.id)
        .order_by(InvitationWave.instrument_id, InvitationWave.number)
    ).all()
    waves: dict[int, list[tuple[InvitationWave, int]]] = {}
    for wave, n in wave_rows:
        waves.setdefault(wave.instrument_id, []).append((wave, n))
    draws: dict[int, list[SampleDraw]] = {}
    for draw in session.scalars(
        select(SampleDraw)
        .where(SampleDraw.instrument_id.in_(ids))
        .order_by(SampleDraw.drawn_at, SampleDraw.id)
    ):
        draws.setdefault(draw.instrument_id, []).append(draw)
    return {"cases": cases, "waves": waves, "draws": draws}


def render_fieldwork(
    project: Project, forms: dict[str, Any] | None = None, status: int = 200, **extra: Any
) -> Any:
    instruments = project_instruments(project)
    return (
        render_template(
            "staff/fieldwork.html",
            project=project,
            access=g.access,
            instruments=instruments,
            forms=forms or _forms(project, instruments),
            overview=_overview(instruments),
            page_title="Fieldwork",
            **extra,
        ),
        status,
    )


@bp.get("/projects/<slug>/fieldwork")
@require_project_role("evaluator")
def fieldwork(project: Project) -> ResponseReturnValue:
    return render_fieldwork(project)


def _skipped_text(skipped: list[str]) -> str:
    shown = "; ".join(skipped[:MAX_LISTED])
    more = f"; and {len(skipped) - MAX_LISTED:,} more" if len(skipped) > MAX_LISTED else ""
    return f"Skipped {len(skipped):,} invalid row(s): {shown}{more}."


@bp.post("/projects/<slug>/fieldwork/import")
@require_project_role("evaluator")
def fieldwork_import(project: Project) -> ResponseReturnValue:
    """Import an uploaded contact list; every bad row is listed and nothing is written, unless
    the evaluator asked to skip invalid rows."""
    instruments = project_instruments(project)
    forms = _forms(project, instruments)
    form: ImportContactsForm = forms["import"]
    if not form.validate_on_submit():
        return render_fieldwork(project, forms, 400, import_failed=True)
    instrument = _chosen(project, form.import_instrument.data)
    upload = form.contacts_file.data
    filename = Path(upload.filename or "upload").name
    # Saved under a name of ours (the user's may be anything); messages use the user's name
    # (``name=``), so no message shows the server's temporary path.
    with tempfile.TemporaryDirectory(prefix="feedback-contacts-") as folder:
        path = Path(folder) / f"contacts{Path(filename).suffix.lower()}"
        upload.save(path)
        try:
            with get_db().write() as session:
                target = _in_write(session, instrument)
                report = import_contacts(
                    session,
                    path,
                    target,
                    skip_invalid=form.skip_invalid.data,
                    create_case=not form.list_only.data,
                    name=filename,
                )
        except ContactImportError as exc:
            return render_fieldwork(
                project, forms, 400, import_failed=True, import_file=filename, import_problems=exc.problems
            )
    cases = "no cases (draw a sample)" if form.list_only.data else f"{report.cases_created} new cases"
    flash(
        f"{filename}: {report.created} new contacts, {report.updated} updated, "
        f"{cases} for {instrument.title}.",
        "success",
    )
    for warning in report.warnings:  # encoding guesses and removed control characters: worth a look
        flash(f"{filename}: {warning}.", "warning")
    if report.skipped:
        flash(_skipped_text(report.skipped), "error")
    return redirect(url_for("staff.fieldwork", slug=project.slug))


@bp.post("/projects/<slug>/fieldwork/sample")
@require_project_role("evaluator")
def fieldwork_sample(project: Project) -> ResponseReturnValue:
    """Draw a simple or stratified random sample with a recorded seed (random if none given)."""
    forms = _forms(project, project_instruments(project))
    form: SampleForm = forms["sample"]
    if not form.validate_on_submit():
        return render_fieldwork(project, forms, 400, sample_failed=True)
    instrument = _chosen(project, form.sample_instrument.data)
    seed = form.sample_seed.data if form.sample_seed.data is not None else secrets.randbelow(2**31)
    try:
        with get_db().write() as session:
            target = _in_write(session, instrument)
            result = draw_sample(
                session,
                target,
                form.sample_n.data or 0,
                seed,
                strata=form.sample_strata.data or None,
                drawn_by=current_user.email,
            )
            message = describe_sample(result, instrument.title, seed)
    except SampleError as exc:
        form.sample_n.errors = [f"{exc}"]
        return render_fieldwork(project, forms, 400, sample_failed=True)
    flash(message, "success" if result.draw is not None else "info")
    return redirect(url_for("staff.fieldwork", slug=project.slug))


@bp.post("/projects/<slug>/fieldwork/wave")
@require_project_role("evaluator")
def fieldwork_wave(project: Project) -> ResponseReturnValue:
    """Record an invitation or reminder wave (the e-mails go out from the evaluator's own mail
    system, with the mail-merge workbook of that wave)."""
    forms = _forms(project, project_instruments(project))
    form: WaveForm = forms["wave"]
    if not form.validate_on_submit():
        return render_fieldwork(project, forms, 400, wave_failed=True)
    instrument = _chosen(project, form.wave_instrument.data)
    try:
        with get_db().write() as session:
            target = _in_write(session, instrument)
            wave, case_ids = inv.create_wave(
                session, target, kind=form.wave_kind.data or "invitation", sent_on=form.wave_sent_on.data,
                note=form.wave_note.data or "",
            )  # fmt: skip
            number, kind = wave.number, wave.kind
    except inv.InvitationError as exc:
        form.wave_kind.errors = [str(exc)]
        return render_fieldwork(project, forms, 400, wave_failed=True)
    flash(
        f"Wave {number} ({kind}) of {instrument.title} recorded: {len(case_ids)} cases. "
        "Download its mail-merge workbook from the table below.",
        "success",
    )
    return redirect(url_for("staff.fieldwork", slug=project.slug))


@bp.get("/projects/<slug>/fieldwork/mailmerge")
@require_project_role("evaluator", identify=True)
def fieldwork_mailmerge(project: Project) -> ResponseReturnValue:
    """The mail-merge workbook (``?instrument=``, optionally ``&wave=N``): contact columns and
    personal links, no cell a formula. Without a known instrument, back to the fieldwork page."""
    instrument = instrument_of(project, request.args.get("instrument"))
    if instrument is None:
        flash("Choose an instrument's mail-merge workbook from the table.", "error")
        return redirect(url_for("staff.fieldwork", slug=project.slug))
    session = get_session()
    wave_arg = request.args.get("wave", "")
    wave = whole_number(wave_arg)
    if wave is None and wave_arg.isdigit():  # digits no wave number can be ("²", 30 of them)
        abort(404)
    case_ids = None
    name = f"{instrument.slug}-mailmerge.xlsx"
    if wave is not None:
        case_ids = list(
            session.scalars(
                select(Invitation.case_id)
                .join(InvitationWave, InvitationWave.id == Invitation.wave_id)
                .where(InvitationWave.instrument_id == instrument.id, InvitationWave.number == wave)
            )
        )
        name = f"{instrument.slug}-wave-{wave}-mailmerge.xlsx"
    base_url = current_app.config["FEEDBACK_SETTINGS"].base_url
    merge = inv.mailmerge_rows(session, instrument, base_url, case_ids)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        inv.write_workbook(path, merge.headers, merge.rows)
        data = path.read_bytes()
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=name,
    )
