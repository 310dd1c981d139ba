"""Free-text answers and their coding: read them with the respondent's profile, keep a codebook of
themes, tick themes per answer.

Viewers read (answers are pseudonymous: a response number and a keyed hash of the contact, never
a name or e-mail); evaluators change the codebook and the coding, and see each change in the
audit trail: the codebook's on the instrument's trail, an answer's themes on its response's (the
page links to both; the service records them, see :mod:`feedback.services.coding_audit`).
Each page of answers is three queries (the page, the profile answers of its respondents, their
themes), whatever its length.

URLs take the instrument and question as query arguments (``?instrument=&question=&page=``), as
the summary page does; the POSTs carry them as form fields and send the user back to the page
they were on.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from ...db import Instrument, Project
from ...db.app import get_db, get_session
from ...db.coding import Theme, answer_codes, tags_of, text_answer_rows, theme_usage
from ...db.summary_queries import ResponseFilter
from ...export.tables import pseudonym
from ...services import coding
from ...services.summaries import question_infos
from ..ids import db_id
from ..paginate import page_arg, paginate
from .access import require_project_role
from .analysis import chosen_instrument, project_instruments
from .blueprint import bp

PER_PAGE = 20


def _back(project: Project, instrument: str, question: str, page: str = "1") -> ResponseReturnValue:
    page = page if page.isdigit() else "1"
    return redirect(
        url_for(
            "staff.free_text", slug=project.slug, instrument=instrument, question=question or None, page=page
        )
    )


@bp.get("/projects/<slug>/free-text")
@require_project_role("viewer")
def free_text(project: Project) -> str:
    session = get_session()
    instrument = chosen_instrument(session, project, request.args.get("instrument"))
    if instrument is None:
        return render_template(
            "staff/free_text.html",
            project=project,
            instruments=project_instruments(session, project),
            instrument=None,
            page_title=f"Free text – {project.name}",
        )
    questions = coding.text_questions(session, instrument)
    names = [q.name for q in questions]
    question = request.args.get("question") or (names[0] if names else "")
    if question and question not in names:  # also a personal-data question: never listed here
        abort(404)
    context: dict[str, object] = {}
    if question:
        context = _answers_page(instrument, question)
    return render_template(
        "staff/free_text.html",
        project=project,
        access=g.access,
        instrument=instrument,
        questions=questions,
        question=next((q for q in questions if q.name == question), None),
        instrument_themes=coding.codebook(session, instrument, None),
        page_title=f"Free text – {instrument.title}",
        **context,
    )


def _answers_page(instrument: Instrument, question: str) -> dict[str, object]:
    session = get_session()
    page = paginate(
        session,
        text_answer_rows(instrument.id, question, ResponseFilter()),
        page_arg(),
        PER_PAGE,
        scalars=False,
    )
    response_ids = [row[0] for row in page.items]
    profile = coding.profile_questions(
        question_infos(session, instrument), coding.question_pages(session, instrument)
    )
    codes = answer_codes(session, response_ids, [info.name for info in profile])
    secret = current_app.config["FEEDBACK_SETTINGS"].secret_key
    answers = [
        {
            "response_id": response_id,
            "respondent": pseudonym(secret, contact_id),
            "text": text,
            "profile": coding.describe_profile(profile, codes.get(response_id, {})),
        }
        for response_id, contact_id, text in page.items
    ]
    return {
        "page": page,
        "answers": answers,
        "themes": coding.codebook(session, instrument, question),
        "tags": tags_of(session, response_ids, question),
    }


def _in(session: Session, instrument: Instrument) -> Instrument:
    """The same instrument, loaded in the write session (a 404 if it went in between)."""
    found = session.get(Instrument, instrument.id)
    if found is None:
        abort(404)
    return found


def _posted_instrument(project: Project) -> Instrument:
    """The posted instrument: 400 when none is named, 404 for one this project does not have."""
    instrument = chosen_instrument(get_session(), project, request.form.get("instrument", ""))
    if instrument is None:
        abort(400)
    return instrument


def _posted_theme_id() -> int:
    """The posted theme number; 400 for anything else, including numbers no theme id can reach
    (PostgreSQL would refuse them in the query with an error rather than find nothing)."""
    theme_id = db_id(request.form.get("theme", ""))
    if theme_id is None:
        abort(400)
    return theme_id


@bp.post("/projects/<slug>/free-text/themes")
@require_project_role("evaluator")
def free_text_add_theme(project: Project) -> ResponseReturnValue:
    """Add a theme to the question's codebook, or (scope "instrument") to every text question."""
    instrument = _posted_instrument(project)
    question = request.form.get("question", "")
    scope = None if request.form.get("scope") == "instrument" else (question or None)
    try:
        with get_db().write() as session:
            theme = coding.create_theme(
                session, _in(session, instrument), scope, request.form.get("label", "")
            )
            label = theme.label
    except coding.CodingError as problem:
        flash(str(problem), "error")
    else:
        flash(f"Theme '{label}' added.", "success")
    return _back(project, instrument.slug, question, request.form.get("page", "1"))


@bp.post("/projects/<slug>/free-text/themes/rename")
@require_project_role("evaluator")
def free_text_rename_theme(project: Project) -> ResponseReturnValue:
    instrument = _posted_instrument(project)
    question = request.form.get("question", "")
    theme_id = _posted_theme_id()
    try:
        with get_db().write() as session:
            coding.rename_theme(session, _in(session, instrument), theme_id, request.form.get("label", ""))
    except coding.CodingError as problem:
        flash(str(problem), "error")
    else:
        flash("Theme renamed.", "success")
    return _back(project, instrument.slug, question, request.form.get("page", "1"))


@bp.post("/projects/<slug>/free-text/themes/delete")
@require_project_role("evaluator")
def free_text_delete_theme(project: Project) -> ResponseReturnValue:
    """Delete a theme from the codebook and from every answer coded with it (all in the trail).

    Two steps, without JavaScript: the Delete button posts here and gets a page saying how many
    answers carry the theme; only its "Yes, delete" (``confirm=yes``) deletes."""
    instrument = _posted_instrument(project)
    question = request.form.get("question", "")
    theme_id = _posted_theme_id()
    if request.form.get("confirm") != "yes":
        session = get_session()
        theme = session.get(Theme, theme_id)
        if theme is None or theme.instrument_id != instrument.id:
            flash("That theme no longer exists; reload the page", "error")
            return _back(project, instrument.slug, question, request.form.get("page", "1"))
        tagged = theme_usage(session, theme_id)
        return render_template(
            "staff/delete_theme.html",
            project=project,
            instrument=instrument,
            theme=theme,
            tagged=tagged,
            question=question,
            page=request.form.get("page", "1"),
            page_title=f"Delete the theme {theme.label}",
        )
    try:
        with get_db().write() as session:
            deleted = coding.delete_theme(session, _in(session, instrument), theme_id)
    except coding.CodingError as problem:
        flash(str(problem), "error")
    else:
        flash(f"Theme '{deleted.label}' deleted; it was taken off {deleted.answers} answer(s).", "success")
    return _back(project, instrument.slug, question, request.form.get("page", "1"))


@bp.post("/projects/<slug>/free-text/coding")
@require_project_role("evaluator")
def free_text_code(project: Project) -> ResponseReturnValue:
    """Save the ticked themes of the answers shown on one page (``shown``: their response ids)."""
    instrument = _posted_instrument(project)
    question = request.form.get("question", "")
    if not question:
        abort(400)
    assignments: dict[int, set[int]] = {}
    for value in request.form.getlist("shown"):  # response ids, each with its ticked theme ids
        response_id = db_id(value, big=True)
        ticked = [db_id(t) for t in request.form.getlist(f"themes-{value}")]
        if response_id is None or None in ticked:
            abort(400)
        assignments[response_id] = {t for t in ticked if t is not None}
    try:
        with get_db().write() as session:
            written = coding.set_answer_themes(
                session, _in(session, instrument), question, assignments, current_user.id
            )
    except coding.CodingError as problem:
        flash(str(problem), "error")
    else:
        flash(f"Coding saved: {written} theme(s) on {len(assignments)} answer(s).", "success")
    return _back(project, instrument.slug, question, request.form.get("page", "1"))
