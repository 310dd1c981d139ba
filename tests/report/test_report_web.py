"""The Word report from the staff pages: the button starts a background job, the status page
refreshes itself until the download arrives. Through the Flask test client with CSRF on."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from job_pages import finished, start_job
from report_support import load_form, make_user, record, signed_in, token_of

from feedback.db import Project
from feedback.db.session import Database
from feedback.web.staff import export_jobs, report_jobs

pytestmark = pytest.mark.usefixtures("cheap_hashing")
PAGE = "/staff/projects/pilot/report"


@pytest.fixture
def pilot(db: Database, tmp_path: Path) -> Database:
    load_form(db, tmp_path)
    record(db, [{"org_type": "vco", "area": "north", "useful": "very"}] * 3)
    with db.write() as session:
        session.add(Project(slug="other", name="Other project"))
    make_user(db, "evaluator@example.org", {"pilot": "evaluator"})
    make_user(db, "viewer@example.org", {"pilot": "viewer"})
    make_user(db, "outsider@example.org", {"other": "evaluator"})
    return db


def _start(client: FlaskClient) -> str:
    return start_job(client, PAGE, {"csrf_token": token_of(client, PAGE)})


def test_the_button_builds_the_report_and_the_download_arrives(pilot: Database, client: FlaskClient) -> None:
    evaluator = signed_in(client, "evaluator@example.org")
    project_page = evaluator.get("/staff/projects/pilot").get_data(as_text=True)
    assert f'<form method="post" action="{PAGE}"' in project_page and "Build the Word report" in project_page
    page = evaluator.get(PAGE).get_data(as_text=True)
    assert "Build the Word report" in page
    status = _start(evaluator)
    assert "?job=" in status
    html = finished(evaluator, status)
    assert "Your report is ready" in html
    start = html.index("/staff/projects/pilot/report/download?job=")
    url = html[start : html.index('"', start)].replace("&amp;", "&")
    with evaluator.get(url) as response:
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        assert ".docx" in response.headers["Content-Disposition"]
        data = response.get_data()
    document = Document(io.BytesIO(data))
    assert any(p.text == "Table 2.1: Methods, samples and response rates" for p in document.paragraphs)
    # The finished report is listed on the page for a day.
    assert "pilot-report-" in evaluator.get(PAGE).get_data(as_text=True)


def test_starting_needs_the_csrf_token(pilot: Database, client: FlaskClient) -> None:
    evaluator = signed_in(client, "evaluator@example.org")
    assert evaluator.post(PAGE, data={}).status_code == 400


def test_an_evaluator_of_another_project_gets_404(pilot: Database, app: Flask) -> None:
    evaluator = signed_in(app.test_client(), "evaluator@example.org")
    status = _start(evaluator)
    finished(evaluator, status)
    job = status.split("job=")[1]

    outsider = signed_in(app.test_client(), "outsider@example.org")
    assert outsider.get(PAGE).status_code == 404
    assert outsider.get(f"{PAGE}?job={job}").status_code == 404
    assert outsider.get(f"{PAGE}/download?job={job}").status_code == 404
    # Nor through their own project's address: the job belongs to pilot, so there it is unknown.
    own = outsider.get(f"/staff/projects/other/report/download?job={job}")
    assert own.status_code == 302 and own.headers["Location"] == "/staff/projects/other/report"
    token = token_of(outsider, "/staff/projects/other/report")
    assert outsider.post(PAGE, data={"csrf_token": token}).status_code == 404


def test_a_viewer_cannot_build_it(pilot: Database, client: FlaskClient) -> None:
    viewer = signed_in(client, "viewer@example.org")
    assert viewer.get(PAGE).status_code == 404
    assert "Build the Word report" not in viewer.get("/staff/projects/pilot").get_data(as_text=True)


def test_the_status_page_refreshes_and_shows_progress_while_running(
    pilot: Database, client: FlaskClient, app: Flask
) -> None:
    evaluator = signed_in(client, "evaluator@example.org")
    with app.test_request_context():
        where = report_jobs.folder()
    job = report_jobs.ReportJob(
        id=export_jobs.new_job_id(), project_id=1, user_id=1, project_slug="pilot", total=34, done=17,
        step="Pilot survey: How useful was the pilot?",
    )  # fmt: skip
    export_jobs.save(where, job)  # type: ignore[arg-type]
    html = evaluator.get(f"{PAGE}?job={job.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in html
    assert '<progress class="app-progress" value="17" max="34"' in html
    assert "Last done: Pilot survey: How useful was the pilot?" in html
    assert "/report/download" not in html
    early = evaluator.get(f"{PAGE}/download?job={job.id}")  # too early: back to the status page
    assert early.status_code == 302 and f"job={job.id}" in early.headers["Location"]


def test_a_second_press_while_a_report_is_building_follows_the_first(
    pilot: Database, client: FlaskClient, app: Flask
) -> None:
    """One build at a time per project: pressing again (or a second evaluator) does not start
    another five seconds of work, it shows the build already running."""
    evaluator = signed_in(client, "evaluator@example.org")
    with app.test_request_context():
        where = report_jobs.folder()
    job_id = export_jobs.new_job_id()
    running = report_jobs.ReportJob(id=job_id, project_id=1, user_id=1, project_slug="pilot")
    export_jobs.save(where, running)  # type: ignore[arg-type]
    assert _start(evaluator).endswith(f"job={running.id}")
    assert len(report_jobs.recent(where, 1)) == 1
