"""Exports from the staff pages: started in the background, followed on a status page that
refreshes itself, downloaded whole once complete."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest
from analysis_web_support import SLUG, load_form, record, report_figures, signed_in, text_of, token_of
from flask.testing import FlaskClient
from job_pages import finished, start_job
from openpyxl import load_workbook
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import make_project

from feedback.config import Settings
from feedback.db.session import Database
from feedback.web.staff import export_jobs

pytestmark = pytest.mark.usefixtures("fast_hashing")
PAGE = "/staff/projects/pilot/exports"


@pytest.fixture
def evaluator(client: FlaskClient, db: Database, tmp_path: Path) -> FlaskClient:
    load_form(db, tmp_path)
    make_project(db, "other")
    report_figures(db)  # 55 complete responses
    record(db, [{"useful": "very"}] * 3, status="partial", submitted_at=None)
    return signed_in(client, db, "evaluator@example.org", "evaluator")


def _start(client: FlaskClient, **fields: object) -> str:
    data = {"csrf_token": token_of(client, PAGE), "instrument": SLUG, "values": "labels", "format": "xlsx"}
    return start_job(client, PAGE, {**data, **fields})


def _download(client: FlaskClient, html: str) -> bytes:
    start = html.index("/staff/projects/pilot/exports/download?job=")
    url = html[start : html.index('"', start)].replace("&amp;", "&")
    with client.get(url) as response:  # closing the response closes the sent file
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        return response.get_data()


def test_the_export_downloads_a_complete_workbook(evaluator: FlaskClient) -> None:
    status = _start(evaluator, status="complete")
    html = finished(evaluator, status)
    assert "Your export is ready" in text_of(html)
    workbook = load_workbook(io.BytesIO(_download(evaluator, html)), read_only=True)
    responses = workbook["Responses"]
    rows = list(responses.iter_rows(values_only=True))
    assert rows[0][:2] == ("response_id", "status")
    assert len(rows) - 1 == 55  # the 3 partial responses are filtered out
    assert {row[1] for row in rows[1:]} == {"complete"}
    useful = rows[0].index("useful")
    assert sum(1 for row in rows[1:] if row[useful] == "Very useful") == 22
    assert "Codebook" in workbook.sheetnames and "Summary" in workbook.sheetnames
    workbook.close()


def test_codes_and_csv_give_a_zip_of_two_files(evaluator: FlaskClient) -> None:
    html = finished(evaluator, _start(evaluator, values="codes", format="csv"))
    archive = zipfile.ZipFile(io.BytesIO(_download(evaluator, html)))
    names = sorted(archive.namelist())
    assert names == [f"{SLUG}-codebook.csv", f"{SLUG}-responses.csv"]
    lines = archive.read(f"{SLUG}-responses.csv").decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 58
    assert sum(1 for line in lines if ",very," in line) == 22 + 3


def test_the_status_page_refreshes_and_shows_progress_while_running(
    evaluator: FlaskClient, settings: Settings, db: Database
) -> None:
    folder = export_jobs.jobs_folder(settings.exports_path)
    job = export_jobs.ExportJob(
        id=export_jobs.new_job_id(),
        project_id=1,
        user_id=1,
        instrument=SLUG,
        values="labels",
        file_format="xlsx",
        total=200,
        done=50,
    )
    export_jobs.save(folder, job)
    html = evaluator.get(f"{PAGE}?job={job.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress class="app-progress" value="50" max="200"' in html
    assert "50 of 200 (25%, n = 200)" in text_of(html)
    assert "/exports/download" not in html
    # Asking for the file too early sends the user back to the export page.
    early = evaluator.get(f"{PAGE}/download?job={job.id}")
    assert early.status_code == 302 and early.headers["Location"].endswith(PAGE)


def test_a_failed_export_leaves_no_file_and_says_so(
    evaluator: FlaskClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_jobs, "export_xlsx", broken)
    html = finished(evaluator, _start(evaluator))
    assert "The export did not finish" in text_of(html)
    assert "/exports/download" not in html
    folder = export_jobs.jobs_folder(settings.exports_path)
    assert not list(folder.glob("*.xlsx")) and not list(folder.glob("*.part"))


def test_a_stale_running_export_is_reported_as_failed(evaluator: FlaskClient, settings: Settings) -> None:
    folder = export_jobs.jobs_folder(settings.exports_path)
    job = export_jobs.ExportJob(
        id=export_jobs.new_job_id(),
        project_id=1,
        user_id=1,
        instrument=SLUG,
        values="labels",
        file_format="xlsx",
    )
    export_jobs.save(folder, job)
    job.updated_at -= export_jobs.STALE_AFTER + 1
    (folder / f"{job.id}.json").write_text(json.dumps(asdict(job)))
    html = evaluator.get(f"{PAGE}?job={job.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html
    assert "The export did not finish" in text_of(html)


def test_the_form_reports_what_is_missing(evaluator: FlaskClient) -> None:
    response = evaluator.post(PAGE, data={"csrf_token": token_of(evaluator, PAGE), "format": "pdf"})
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Choose the instrument to export" in text and "Choose a file format" in text


def test_another_projects_export_cannot_be_fetched(
    evaluator: FlaskClient, client: FlaskClient, db: Database, app: object
) -> None:
    html = finished(evaluator, _start(evaluator))
    start = html.index("job=")
    job_id = html[start + 4 : html.index('"', start)]
    other = app.test_client()  # type: ignore[attr-defined]
    signed_in(other, db, "other@example.org", None)  # evaluator of "other" only
    assert other.get(f"/staff/projects/other/exports/download?job={job_id}").status_code == 302
    assert other.get(f"/staff/projects/pilot/exports/download?job={job_id}").status_code == 404


def test_viewers_cannot_export(app: object, db: Database, evaluator: FlaskClient) -> None:
    viewer = app.test_client()  # type: ignore[attr-defined]
    signed_in(viewer, db, "viewer@example.org", "viewer")
    assert viewer.get(PAGE).status_code == 404
    token = token_of(viewer, "/staff/password")
    response = viewer.post(
        PAGE, data={"csrf_token": token, "instrument": SLUG, "values": "labels", "format": "xlsx"}
    )
    assert response.status_code == 404
    assert viewer.get(f"{PAGE}/download?job=x").status_code == 404


def test_the_form_shows_no_error_before_anything_is_sent(evaluator: FlaskClient) -> None:
    html = evaluator.get(PAGE).get_data(as_text=True)
    assert "govuk-error-message" not in html and "govuk-form-group--error" not in html
    assert "built-in method" not in html  # errors["values"] once printed the dict's values method
