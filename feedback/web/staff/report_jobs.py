"""The project's Word report from the staff pages: built in a background thread, followed on a
status page that refreshes itself, downloaded once complete (``staff.report``,
``staff.report_download``).

The same design as the workbook exports, and the same helpers (:mod:`.export_jobs`: job ids,
the JSON status file written atomically, clean-up after a day): a report of a large project
draws dozens of charts, longer than a request should wait, and a .docx (a ZIP) cannot be sent
before it is complete. Reports keep their status files in their own folder
(``<exports_path>/web/reports``), so the export page never lists them. Issue 16 moves both kinds
of job to a real queue.

Evaluators only, as exports: the report carries every closed answer's figures and, where
respondents consented, quotes. A job records its project, checked on every request: another
project's evaluator gets the same 404 as for a project that does not exist.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ...db import Project
from ...db.app import get_db
from ...services.report import write_report
from . import export_jobs
from .access import require_project_role
from .blueprint import bp

log = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class ReportJob:
    id: str
    project_id: int
    user_id: int
    project_slug: str
    state: str = "running"  # running | done | failed
    total: int = 0
    done: int = 0
    step: str = ""  # what is being drawn, for the status page
    tables: int = 0
    questions: int = 0
    error: str = ""
    filename: str = ""
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    @property
    def stale(self) -> bool:
        return self.state == "running" and time.time() - self.updated_at > export_jobs.STALE_AFTER

    @property
    def download_name(self) -> str:
        stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(self.created_at))
        return f"{self.project_slug}-report-{stamp}.docx"


def folder() -> Path:
    return export_jobs.jobs_folder(current_app.config["FEEDBACK_SETTINGS"].exports_path) / "reports"


def load(where: Path, job_id: str) -> ReportJob | None:
    """The report job called ``job_id``, or None for an unknown, malformed or unreadable id."""
    return export_jobs.load_as(ReportJob, where, job_id)


def recent(where: Path, project_id: int, limit: int = 5) -> list[ReportJob]:
    """The project's reports still kept, newest first."""
    return export_jobs.recent_as(ReportJob, where, project_id, limit)


def start(app: Flask, where: Path, job: ReportJob) -> threading.Thread:
    """Save the job and build the report in a daemon thread; returns the thread (tests may join it)."""
    export_jobs.save(where, job)  # type: ignore[arg-type]  # any dataclass: it writes asdict(job)
    thread = threading.Thread(target=_run, args=(app, where, job), name=f"report-{job.id}", daemon=True)
    thread.start()
    return thread


def _run(app: Flask, where: Path, job: ReportJob) -> None:
    last_save = 0.0

    def progress(done: int, total: int, what: str) -> None:
        nonlocal last_save
        job.done, job.total, job.step = done, total, what
        if time.monotonic() - last_save > export_jobs.SAVE_EVERY:
            last_save = time.monotonic()
            export_jobs.save(where, job)  # type: ignore[arg-type]

    target = where / f"{job.id}.docx"
    try:
        with app.app_context(), get_db().read() as session:
            result = write_report(session, job.project_slug, target, progress=progress)
        job.tables, job.questions = result.tables, result.questions
        job.filename = target.name
        job.done = job.total
        job.state = "done"
    except Exception:  # noqa: BLE001 - reported on the status page; the details go to the log
        log.exception("report %s of %s failed", job.id, job.project_slug)
        job.state = "failed"
        job.error = (
            "The report could not be built. Try again; if it fails again, tell your administrator "
            "(the server log has the details)."
        )
    export_jobs.save(where, job)  # type: ignore[arg-type]


@bp.route("/projects/<slug>/report", methods=["GET", "POST"])
@require_project_role("evaluator")
def report(project: Project) -> ResponseReturnValue:
    """Starting the report (POST), its progress and download link (``?job=``), or the page that
    offers it (GET)."""
    where = folder()
    if request.method == "POST":
        export_jobs.clean_up(where)
        running = [job for job in recent(where, project.id) if job.state == "running" and not job.stale]
        if running:  # one build at a time per project: a second press follows the first
            return redirect(url_for("staff.report", slug=project.slug, job=running[0].id))
        started = ReportJob(
            id=export_jobs.new_job_id(),
            project_id=project.id,
            user_id=current_user.id,
            project_slug=project.slug,
        )
        start(current_app._get_current_object(), where, started)  # type: ignore[attr-defined]
        return redirect(url_for("staff.report", slug=project.slug, job=started.id))
    job = None
    job_id = request.args.get("job", "")
    if job_id:
        job = load(where, job_id)
        if job is None or job.project_id != project.id:
            flash("That report is no longer available (reports are kept for a day). Build a new one.")
            job = None
    return render_template(
        "staff/report_job.html",
        project=project,
        job=job,
        recent=[] if job else recent(where, project.id),
        page_title=f"Word report – {project.name}",
    )


@bp.get("/projects/<slug>/report/download")
@require_project_role("evaluator")
def report_download(project: Project) -> ResponseReturnValue:
    """The finished report of ``?job=``, as an attachment; otherwise back to the report page."""
    where = folder()
    job = load(where, request.args.get("job", ""))
    if job is None or job.project_id != project.id:  # another project's report: as if none
        flash("That report is not available (reports are kept for a day). Build a new one.")
        return redirect(url_for("staff.report", slug=project.slug))
    if job.state != "done":
        flash("That report is not ready yet.")
        return redirect(url_for("staff.report", slug=project.slug, job=job.id))
    path = where.resolve() / job.filename
    if not path.is_file():
        flash("That report has been deleted (reports are kept for a day). Build a new one.")
        return redirect(url_for("staff.report", slug=project.slug))
    return send_file(path, mimetype=DOCX, as_attachment=True, download_name=job.download_name)
