"""Instrument management: upload an XLSForm or YAML instrument, preview it, publish, close, reopen.

==========================================================  =====================================
``GET  /staff/projects/<slug>/instruments``                 the project's instruments, upload form
``POST /staff/projects/<slug>/instruments/upload``          upload (.xlsx, .yaml, .yml)
``GET  /staff/projects/<slug>/instruments/preview?instrument=<form_id>``  as a respondent sees it
``POST /staff/projects/<slug>/instruments/status``          publish, close or reopen
==========================================================  =====================================

An upload goes through the CLI's loader (:func:`feedback.domain.loader.load_file`, on a temporary
file with the uploaded name's suffix) and :func:`feedback.services.instruments.save_instrument`,
so the messages are the CLI's, naming the uploaded file's sheet, row and column.

Decisions:

* The instrument belongs to the page's project. One naming another project in its settings is
  refused, and so is a ``form_id`` already used by another project's instrument (or by one with
  no project): an upload must never replace someone else's questionnaire.
* A new instrument uploaded here starts as a **draft** (not reachable by respondents) until an
  evaluator previews and publishes it; ``feedback forms load`` keeps making instruments open, as
  the pilots' files are ready when loaded. A new version of an existing instrument keeps its
  status: fixing a typo in a live survey does not take it offline.
* Status moves: draft -> open (publish), open -> closed (close), closed -> open (reopen). A closed
  instrument shows respondents a "This form is closed" page (``feedback.services.respond``).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.utils import secure_filename
from wtforms import HiddenField

from ...db import Instrument, InstrumentVersion, Project
from ...db.app import get_db, get_session
from ...domain.instrument import Group, Question
from ...domain.loader import SUFFIXES, InstrumentError, LoadedInstrument, load_file
from ...services.instruments import model_of, save_instrument
from ..forms import PageContext, page_form_class, question_views
from ..paginate import page_arg, paginate
from ..public.rendering import language_of, page_title, section_count
from .access import require_project_role
from .blueprint import bp

#: action -> (status it applies to, status it sets, what the flash says)
MOVES = {
    "publish": ("draft", "open", "published: respondents can answer it now"),
    "close": ("open", "closed", "closed: respondents see a page saying it is closed"),
    "reopen": ("closed", "open", "reopened: respondents can answer it again"),
}


class UploadForm(FlaskForm):
    file = FileField(
        "Instrument file (XLSForm .xlsx, or .yaml)", validators=[FileRequired("Choose a file to upload")]
    )


class StatusForm(FlaskForm):
    instrument = HiddenField()
    action = HiddenField()


def _render_list(
    project: Project,
    form: UploadForm,
    *,
    problems: Sequence[str] = (),
    notes: Sequence[str] = (),
    done: str = "",
    status: int = 200,
) -> ResponseReturnValue:
    stmt = (
        select(Instrument, InstrumentVersion.number)
        .outerjoin(InstrumentVersion, InstrumentVersion.id == Instrument.current_version_id)
        .where(Instrument.project_id == project.id)
        .order_by(Instrument.slug)
    )
    page = paginate(get_session(), stmt, page_arg(), scalars=False)
    return render_template(
        "staff/instruments.html",
        project=project,
        form=form,
        status_form=StatusForm(formdata=None),
        instruments=page,
        moves={action: (before, after) for action, (before, after, _said) in MOVES.items()},
        problems=list(problems),
        notes=list(notes),
        done=done,
        page_title="Instruments",
    ), status


@bp.get("/projects/<slug>/instruments")
@require_project_role("evaluator")
def instruments(project: Project) -> ResponseReturnValue:
    return _render_list(project, UploadForm(formdata=None))


def _load_upload(upload: Any, project: Project) -> tuple[LoadedInstrument | None, list[str]]:
    """The uploaded file loaded as the CLI would, its project set to ``project``; or the problems."""
    name = secure_filename(upload.filename or "") or "upload"
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        return None, [f"{name}: unsupported file type '{suffix or name}' (expected .yaml, .yml or .xlsx)"]
    with tempfile.TemporaryDirectory(prefix="feedback-upload-") as folder:
        path = Path(folder) / f"instrument{suffix}"
        upload.save(path)
        try:
            loaded = load_file(path)
        except InstrumentError as exc:
            return None, [str(dataclasses.replace(p, file=name)) for p in exc.problems]
    model = loaded.instrument
    if model.project and model.project != project.slug:
        return None, [
            f"{name}: settings, column 'project': this instrument names project '{model.project}', "
            f"not '{project.slug}'. Upload it from that project's page, or change the project to "
            f"'{project.slug}' (or leave it empty)."
        ]
    model = dataclasses.replace(model, project=project.slug)
    left_out = [dataclasses.replace(p, file=name) for p in loaded.left_out]
    return LoadedInstrument(model, name, left_out), []


@bp.post("/projects/<slug>/instruments/upload")
@require_project_role("evaluator")
def upload_instrument(project: Project) -> ResponseReturnValue:
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_list(project, form, status=400)
    loaded, problems = _load_upload(form.file.data, project)
    if loaded is None:
        return _render_list(project, form, problems=problems, status=400)
    model = loaded.instrument
    with get_db().write() as session:
        existing = session.scalar(select(Instrument).where(Instrument.slug == model.slug))
        if existing is not None and existing.project_id != project.id:
            problems = [
                f"{loaded.source}: settings, column 'form_id': '{model.slug}' is already used by an "
                "instrument of another project. Choose another form_id."
            ]
        else:
            if existing is None:  # a new instrument waits as a draft until someone publishes it
                session.add(
                    Instrument(
                        slug=model.slug,
                        kind=model.kind,
                        title=model.title,
                        status="draft",
                        project_id=project.id,
                    )
                )
                session.flush()
            outcome = save_instrument(session, loaded)
            status = session.scalar(select(Instrument.status).where(Instrument.slug == model.slug))
    if problems:
        return _render_list(project, form, problems=problems, status=400)
    what = {"new": "new", "new version": "new version"}.get(outcome.status, outcome.status)
    if existing is None:
        what = "new instrument, a draft until you publish it"
    done = (
        f"Uploaded '{model.title}' ({model.slug}): {what}, version {outcome.version}, "
        f"{outcome.questions} questions, {status}."
    )
    notes = [str(note) for note in loaded.left_out]
    return _render_list(project, UploadForm(formdata=None), notes=notes, done=done)


def _project_instrument(project: Project, slug: str) -> Instrument:
    instrument = get_session().scalar(
        select(Instrument).where(Instrument.slug == slug, Instrument.project_id == project.id)
    )
    if instrument is None:
        abort(404)
    return instrument


@bp.post("/projects/<slug>/instruments/status")
@require_project_role("evaluator")
def instrument_status(project: Project) -> ResponseReturnValue:
    form = StatusForm()
    move = MOVES.get(form.action.data or "")
    if not form.validate_on_submit() or move is None or not form.instrument.data:
        problem = "Choose an instrument and publish, close or reopen"
        return _render_list(project, UploadForm(formdata=None), problems=[problem], status=400)
    before, after, said = move
    with get_db().write() as session:
        instrument = session.scalar(
            select(Instrument).where(
                Instrument.slug == form.instrument.data, Instrument.project_id == project.id
            )
        )
        if instrument is None:
            abort(404)
        title, current = instrument.title, instrument.status
        if current == before and instrument.current_version_id is not None:
            instrument.status = after
    if current != before:
        flash(f"'{title}' is {current}, so it cannot be {form.action.data}ed; nothing was changed.", "error")
    else:
        flash(f"'{title}' {said}.", "success")
    return redirect(url_for("staff.instruments", slug=project.slug))


@bp.get("/projects/<slug>/instruments/preview")
@require_project_role("evaluator")
def preview_instrument(project: Project) -> ResponseReturnValue:
    """Every page as a respondent would see it, all questions shown, nothing can be answered."""
    slug = request.args.get("instrument", "")
    if not slug:
        return redirect(url_for("staff.instruments", slug=project.slug))
    instrument = _project_instrument(project, slug)
    version = get_session().get(InstrumentVersion, instrument.current_version_id)
    if version is None:
        abort(404)
    model = model_of(version)
    language = language_of(model)
    everything = {item.name for item in model.walk() if isinstance(item, Question | Group)}
    pages = []
    for page in model.pages():
        ctx = PageContext(model, page, everything, {}, {}, language)
        views = question_views(ctx, page_form_class(model, page, language)())
        conditions = {q.name: q.relevant for q in page.questions() if q.relevant}
        pages.append(
            {"title": page_title(model, page, language), "questions": views, "conditions": conditions}
        )
    return render_template(
        "staff/instrument_preview.html",
        project=project,
        instrument=instrument,
        version=version,
        model=model,
        sections=section_count(model),
        pages=pages,
        page_title=f"Preview: {model.title}",
    )
