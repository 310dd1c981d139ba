"""Exports started from the staff pages run in a background thread; the browser polls a status page.

Decision: a thread plus a status file, not a streamed response. A streamed XLSX cannot be sent
before it is complete (the ZIP directory comes last), so a long export would hold the request
open with nothing to show; instead the request starts the job and redirects to a page that
refreshes itself (``<meta http-equiv="refresh">``, no JavaScript) and shows a progress bar
until the download link appears.

* The workbook is written by :func:`feedback.services.exports.export_xlsx`, which writes a
  temporary file and renames it into place when complete: the download link only appears once
  the file is whole, and a failed export leaves no file at all.
* State lives in a small JSON file beside the workbook (``<exports_path>/web/<job>.json``),
  written atomically, so any worker process can answer the status page, not only the one that
  runs the thread. If the process dies mid-export the state stops moving; after
  :data:`STALE_AFTER` without progress it is reported as failed, and the user starts again.
* Job ids are 128 random bits; a job also records its project, checked on every request.
* Finished files are deleted after :data:`KEEP_FOR` (checked whenever a new export starts).
* CSV gives two files (responses, codebook); the web download zips them into one file. SPSS
  (.sav) and Stata (.dta) give one file each (:mod:`feedback.services.stat_exports`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from flask import Flask
from sqlalchemy.orm import Session

from ...db import Instrument
from ...db.app import get_db
from ...db.summary_queries import ResponseFilter
from ...services.exports import ExportResult, count_in_scope, export_csv, export_xlsx
from ...services.instruments import get_instrument
from ...services.stat_exports import STAT_FORMATS, export_stat

log = logging.getLogger(__name__)

STALE_AFTER = 600.0  # seconds without progress before a running job counts as failed
KEEP_FOR = 24 * 3600.0
SAVE_EVERY = 0.5  # seconds between progress writes
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")


class _Kept(Protocol):
    project_id: int
    created_at: float


J = TypeVar("J", bound=_Kept)


@dataclass
class ExportJob:
    id: str
    project_id: int
    user_id: int
    instrument: str
    values: str
    file_format: str
    statuses: list[str] = field(default_factory=list)
    identified: bool = False  # a Respondents sheet with names and e-mails (see services.identified)
    wave: int | None = None  # only the responses of cases first invited in this invitation wave
    state: str = "running"  # running | done | failed
    total: int = 0
    done: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    error: str = ""
    filename: str = ""
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    @property
    def stale(self) -> bool:
        return self.state == "running" and time.time() - self.updated_at > STALE_AFTER

    @property
    def extension(self) -> str:
        """The file's extension: CSV files come zipped."""
        return "zip" if self.file_format == "csv" else self.file_format

    @property
    def download_name(self) -> str:
        stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(self.created_at))
        return f"{self.instrument}-{stamp}.{self.extension}"


def jobs_folder(exports_path: Path) -> Path:
    return Path(exports_path) / "web"


def new_job_id() -> str:
    return secrets.token_urlsafe(16)


def save(folder: Path, job: ExportJob) -> None:
    """Write the job's state atomically (temporary file, then rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    job.updated_at = time.time()
    draft = folder / f".{job.id}.{secrets.token_hex(4)}.json"
    draft.write_text(json.dumps(asdict(job)))
    os.replace(draft, folder / f"{job.id}.json")


def load_as(kind: type[J], folder: Path, job_id: str) -> J | None:
    """The job of dataclass ``kind`` called ``job_id``, or None for an unknown, malformed or
    unreadable id (exports and Word reports keep their state the same way)."""
    if not _JOB_ID.match(job_id):
        return None
    try:
        data: dict[str, Any] = json.loads((folder / f"{job_id}.json").read_text())
        return kind(**data)
    except (OSError, ValueError, TypeError):
        return None


def recent_as(kind: type[J], folder: Path, project_id: int, limit: int = 10) -> list[J]:
    """The project's jobs of ``kind`` still kept, newest first."""
    if not folder.is_dir():
        return []
    paths = [path for path in folder.glob("*.json") if not path.name.startswith(".")]
    jobs = [load_as(kind, folder, path.stem) for path in paths]
    mine = [job for job in jobs if job is not None and job.project_id == project_id]
    return sorted(mine, key=lambda job: job.created_at, reverse=True)[:limit]


def load(folder: Path, job_id: str) -> ExportJob | None:
    return load_as(ExportJob, folder, job_id)


def recent(folder: Path, project_id: int, limit: int = 10) -> list[ExportJob]:
    """The project's exports still kept, newest first."""
    return recent_as(ExportJob, folder, project_id, limit)


def clean_up(folder: Path, keep_for: float = KEEP_FOR) -> None:
    """Delete exports (and leftovers of crashed ones) older than ``keep_for`` seconds."""
    if not folder.is_dir():
        return
    cutoff = time.time() - keep_for
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # another worker got there first
            continue


def start(app: Flask, folder: Path, job: ExportJob, scope: ResponseFilter, secret: str) -> threading.Thread:
    """Save the job and run it in a daemon thread; returns the thread (tests may join it)."""
    save(folder, job)
    thread = threading.Thread(
        target=_run, args=(app, folder, job, scope, secret), name=f"export-{job.id}", daemon=True
    )
    thread.start()
    return thread


def _run(app: Flask, folder: Path, job: ExportJob, scope: ResponseFilter, secret: str) -> None:
    last_save = 0.0

    def progress(step: int) -> None:
        nonlocal last_save
        job.done += step
        if time.monotonic() - last_save > SAVE_EVERY:
            last_save = time.monotonic()
            save(folder, job)

    target = folder / f"{job.id}.{job.extension}"
    try:
        with app.app_context(), get_db().read() as session:
            instruments = [get_instrument(session, job.instrument)]
            job.total = count_in_scope(session, instruments, scope)
            save(folder, job)
            if job.file_format == "xlsx":
                result = export_xlsx(
                    session, instruments, target, scope, secret, job.values, progress,  # type: ignore[arg-type]
                    identified=job.identified,
                )  # fmt: skip
            elif job.file_format in STAT_FORMATS:
                # Never identified: the page refuses the combination; this is the second lock.
                if job.identified:
                    raise ValueError("SPSS and Stata exports are never identified")
                result = export_stat(session, instruments, target, scope, secret, job.file_format, progress)
            else:
                result = _csv_zip(
                    session, instruments, target, scope, secret, job.values, progress, job.identified
                )
        job.rows = dict(result.rows)
        job.filename = target.name
        job.done = job.total
        job.state = "done"
    except Exception:  # noqa: BLE001 - reported on the status page; the details go to the log
        log.exception("export %s of %s failed", job.id, job.instrument)
        job.state = "failed"
        job.error = (
            "The export failed. Try again; if it fails again, tell your administrator "
            "(the server log has the details)."
        )
    save(folder, job)


def _csv_zip(
    session: Session,
    instruments: list[Instrument],
    target: Path,
    scope: ResponseFilter,
    secret: str,
    values: str,
    progress: Callable[[int], None],
    identified: bool = False,
) -> ExportResult:
    """Write the CSV files into a private temporary folder, then zip them into ``target``
    (through a temporary name, so a half-written zip is never offered)."""
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        result = export_csv(
            session, instruments, Path(work) / "export.csv", scope, secret, values, progress,  # type: ignore[arg-type]
            identified=identified,
        )  # fmt: skip
        draft = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            with zipfile.ZipFile(draft, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in result.paths:
                    archive.write(path, arcname=path.name.replace("export", instruments[0].slug, 1))
            os.replace(draft, target)
        finally:
            if draft.exists():
                draft.unlink()
    return result
