"""The export page: choose an instrument, labels or codes, statuses and a format; get a workbook
(or CSV files, or an SPSS or Stata data file: those are never identified).

The export runs in the background (see :mod:`.export_jobs` for why and how); this page starts it,
shows its progress (refreshing itself while it runs) and offers the file once it is complete.
Evaluators only: an export holds every answer. The Responses sheet carries the pseudonymous
respondent id; an identified export (a Respondents sheet with names and e-mail addresses) is
offered only to those with the identify permission, is logged when it starts and at every
download, and is neither listed nor downloadable for anyone else in the project.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ...db import Project
from ...db.app import get_db, get_session
from ...db.summary_queries import STATUSES, ResponseFilter
from ...services.identified import authorise_identified_export
from ...services.instruments import get_instrument
from ...services.stat_exports import STAT_FORMATS
from ...services.summaries import UnknownWave, check_wave
from ..ids import whole_number
from . import export_jobs
from .access import log_identified_access, require_project_role
from .analysis import project_instruments
from .blueprint import bp

VALUES = (("labels", "Labels (what respondents saw)"), ("codes", "Codes (for statistics software)"))
FORMATS = (
    ("xlsx", "Excel workbook (.xlsx)"),
    ("csv", "CSV files, zipped (responses and codebook)"),
    ("sav", "SPSS data file (.sav): codes with value labels and missing codes; R reads it with haven"),
    ("dta", "Stata data file (.dta): codes with value labels and missing codes"),
)
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


class ExportChoice(TypedDict):
    """What the export form asked for (the page shows it again with any errors)."""

    instrument: str
    values: str
    format: str
    status: list[str]
    identified: bool
    wave: str


def _folder() -> Path:
    return export_jobs.jobs_folder(current_app.config["FEEDBACK_SETTINGS"].exports_path)


@bp.route("/projects/<slug>/exports", methods=["GET", "POST"])
@require_project_role("evaluator")
def exports(project: Project) -> ResponseReturnValue:
    """The form (GET), starting an export (POST), and with ``?job=`` the export's progress."""
    instruments = project_instruments(get_session(), project)
    slugs = {i.slug for i in instruments}
    form = request.form if request.method == "POST" else request.args
    chosen: ExportChoice = {
        "instrument": form.get("instrument", ""),
        "values": form.get("values", "labels"),
        "format": form.get("format", "xlsx"),
        "status": form.getlist("status") if request.method == "POST" else [],
        "identified": form.get("identified") == "yes",
        "wave": form.get("wave", "").strip(),
    }
    if chosen["identified"] and not g.access.can_identify:
        abort(404)  # the option is not offered to them: a tampered form, answered like any other
    errors: dict[str, str] = {}
    if request.method == "POST":
        if chosen["instrument"] not in slugs:
            errors["instrument"] = "Choose the instrument to export"
        if chosen["values"] not in dict(VALUES):
            errors["values"] = "Choose labels or codes"
        if chosen["format"] not in dict(FORMATS):
            errors["format"] = "Choose a file format"
        elif chosen["identified"] and chosen["format"] in STAT_FORMATS:
            errors["format"] = (
                "SPSS and Stata files are never identified: choose the workbook or CSV files "
                "for names and e-mail addresses"
            )
        statuses = [s for s in chosen["status"] if s in STATUSES]
        wave = _wave(chosen["instrument"], chosen["wave"], errors) if chosen["instrument"] in slugs else None
        if not errors and chosen["identified"]:
            with get_db().write() as session:  # on record before the file exists
                authorise_identified_export(
                    session,
                    current_user,
                    [get_instrument(session, chosen["instrument"])],
                    channel="web export",
                )
        if not errors:
            folder = _folder()
            export_jobs.clean_up(folder)
            started = export_jobs.ExportJob(
                id=export_jobs.new_job_id(),
                project_id=project.id,
                user_id=current_user.id,
                instrument=chosen["instrument"],
                values=chosen["values"],
                file_format=chosen["format"],
                statuses=statuses,
                identified=chosen["identified"],
                wave=wave,
            )
            settings = current_app.config["FEEDBACK_SETTINGS"]
            export_jobs.start(
                current_app._get_current_object(),  # type: ignore[attr-defined]
                folder,
                started,
                ResponseFilter(statuses=tuple(statuses), wave=wave),
                settings.secret_key,
            )
            return redirect(url_for("staff.exports", slug=project.slug, job=started.id))
    job = None
    job_id = request.args.get("job", "")
    if job_id:
        job = export_jobs.load(_folder(), job_id)
        if job is None or job.project_id != project.id or (job.identified and not g.access.can_identify):
            flash("That export is no longer available (exports are kept for a day). Start a new one.")
            job = None
    return render_template(
        "staff/exports.html",
        project=project,
        instruments=instruments,
        chosen=chosen,
        errors=errors,
        values=VALUES,
        formats=FORMATS,
        statuses=STATUSES,
        job=job,
        recent=[] if job else _visible(export_jobs.recent(_folder(), project.id)),
        can_identify=g.access.can_identify,
        page_title=f"Exports – {project.name}",
    )


def _wave(slug: str, text: str, errors: dict[str, str]) -> int | None:
    """The invitation wave asked for (None: every response), or an error for the page."""
    if not text:
        return None
    number = whole_number(text)
    if number is None:
        errors["wave"] = "Enter the wave as a number, for example 1"
        return None
    session = get_session()
    try:
        check_wave(session, get_instrument(session, slug), number)
    except UnknownWave as problem:
        errors["wave"] = str(problem)[0].upper() + str(problem)[1:]
        return None
    return number


def _visible(jobs: list[export_jobs.ExportJob]) -> list[export_jobs.ExportJob]:
    """Identified exports only for those who may see names."""
    return [job for job in jobs if g.access.can_identify or not job.identified]


@bp.get("/projects/<slug>/exports/download")
@require_project_role("evaluator")
def exports_download(project: Project) -> ResponseReturnValue:
    """The finished file of ``?job=``, as an attachment; otherwise back to the export page."""
    job = export_jobs.load(_folder(), request.args.get("job", ""))
    if job is not None and job.identified and not g.access.can_identify:
        job = None  # answered exactly like an unknown job
    if job is None or job.project_id != project.id or job.state != "done":
        flash("That export is not ready or no longer available. Start a new one.")
        return redirect(url_for("staff.exports", slug=project.slug))
    path = _folder().resolve() / job.filename
    if not path.is_file():
        flash("That export has been deleted (exports are kept for a day). Start a new one.")
        return redirect(url_for("staff.exports", slug=project.slug))
    if job.identified:
        log_identified_access(current_user, project, f"download of identified export {job.download_name}")
    mimetype = MIMETYPES.get(job.file_format, "application/octet-stream")
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=job.download_name)
