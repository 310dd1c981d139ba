"""Instrument management from the staff area: upload, preview, publish, close, reopen.

Everything goes through HTTP with CSRF on, as a browser would: fetch the page, post its token.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from staff_helpers import csrf_token, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Instrument, InstrumentVersion, Response
from feedback.db.audit import AuditEntry
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.domain.loader.xlsform_writer import write_xlsform

pytestmark = pytest.mark.usefixtures("fast_hashing")

BASE = "/staff/projects/pilot/instruments"

GOOD_YAML = """\
settings:
  form_id: pilot-check-in
  form_title: Pilot check-in
  version: "1"
survey:
  - type: select_one yes_no
    name: useful
    label: Was the session useful?
    required: yes
  - type: text
    name: why
    label: What made it useful?
    relevant: "${useful} = 'yes'"
choices:
  yes_no:
    - name: "yes"
      label: "Yes"
    - name: "no"
      label: "No"
"""


@pytest.fixture
def evaluator(app: Flask, db: Database) -> FlaskClient:
    make_project(db, "pilot", "Pilot project")
    make_project(db, "other", "Other project")
    make_user(db, "eve@example.org", roles={"pilot": "evaluator"})
    client = app.test_client()
    assert login(client, "eve@example.org").status_code == 302
    return client


def upload(client: FlaskClient, content: bytes, name: str):
    token = csrf_token(client.get(BASE).get_data(as_text=True))
    return client.post(
        f"{BASE}/upload",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def change_status(client: FlaskClient, slug: str, action: str):
    token = csrf_token(client.get(BASE).get_data(as_text=True))
    return client.post(f"{BASE}/status", data={"csrf_token": token, "instrument": slug, "action": action})


def status_of(db: Database, slug: str) -> str | None:
    with db.read() as session:
        return session.scalar(select(Instrument.status).where(Instrument.slug == slug))


def xlsx_bytes(tmp_path: Path, yaml_text: str, *, extra_sheet: bool = False) -> bytes:
    source = tmp_path / "source.yaml"
    source.write_text(yaml_text)
    target = tmp_path / "out.xlsx"
    write_xlsform(load_file(source).instrument, target)
    if extra_sheet:
        workbook = openpyxl.load_workbook(target)
        workbook.create_sheet("Notes").append(["Reviewed by the steering group"])
        workbook.save(target)
    return target.read_bytes()


def test_a_yaml_upload_becomes_a_draft_of_the_page_project(evaluator: FlaskClient, db: Database) -> None:
    response = upload(evaluator, GOOD_YAML.encode(), "check-in.yaml")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Uploaded &#39;Pilot check-in&#39; (pilot-check-in)" in page
    assert "draft" in page
    with db.read() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == "pilot-check-in"))
        assert instrument is not None
        assert instrument.status == "draft"
        assert instrument.project.slug == "pilot"
        version = session.get(InstrumentVersion, instrument.current_version_id)
        assert version is not None and version.source == "check-in.yaml"
    # A draft is invisible to respondents.
    assert evaluator.get("/f/pilot-check-in").status_code == 404


def test_an_xlsform_upload_lists_what_was_left_out(
    evaluator: FlaskClient, db: Database, tmp_path: Path
) -> None:
    response = upload(evaluator, xlsx_bytes(tmp_path, GOOD_YAML, extra_sheet=True), "check-in.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    notes = page[page.index('id="upload-notes"') :]
    assert "check-in.xlsx: sheet &#39;Notes&#39;: sheet &#39;Notes&#39; ignored" in notes
    assert status_of(db, "pilot-check-in") == "draft"


def test_a_bad_workbook_is_refused_with_sheet_row_and_column(
    evaluator: FlaskClient, db: Database, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["select_one nowhere", "q1", "Pick one"])
    workbook.create_sheet("settings").append(["form_id", "form_title"])
    workbook["settings"].append(["broken-form", "Broken"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(evaluator, buffer.getvalue(), "broken.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = page[page.index('id="upload-problems"') :]
    assert (
        "broken.xlsx: sheet &#39;survey&#39;, row 2, column &#39;type&#39; (A), question &#39;q1&#39;: "
        "unknown choice list &#39;nowhere&#39;" in summary
    )
    assert "/tmp" not in summary  # the temporary file's path is not shown; the uploaded name is
    assert status_of(db, "broken-form") is None


def test_a_bad_yaml_file_names_its_line(evaluator: FlaskClient) -> None:
    text = GOOD_YAML.replace("select_one yes_no", "select_one yes_maybe")
    page = upload(evaluator, text.encode(), "check-in.yaml").get_data(as_text=True)
    assert "check-in.yaml: line 6" in page
    assert "unknown choice list &#39;yes_maybe&#39;" in page


def test_unsupported_files_and_empty_posts_are_refused(evaluator: FlaskClient) -> None:
    response = upload(evaluator, b"form_id,title\n", "check-in.csv")
    assert response.status_code == 400
    assert "unsupported file type &#39;.csv&#39; (expected .yaml, .yml or .xlsx)" in response.get_data(
        as_text=True
    )
    token = csrf_token(evaluator.get(BASE).get_data(as_text=True))
    empty = evaluator.post(f"{BASE}/upload", data={"csrf_token": token})
    assert empty.status_code == 400
    assert "Choose a file to upload" in empty.get_data(as_text=True)


def test_an_instrument_of_another_project_is_refused(evaluator: FlaskClient, db: Database) -> None:
    text = GOOD_YAML.replace('version: "1"', 'version: "1"\n  project: other')
    response = upload(evaluator, text.encode(), "check-in.yaml")
    assert response.status_code == 400
    assert "this instrument names project &#39;other&#39;, not &#39;pilot&#39;" in response.get_data(
        as_text=True
    )
    assert status_of(db, "pilot-check-in") is None


def test_a_form_id_taken_by_another_project_is_not_overwritten(
    app: Flask, evaluator: FlaskClient, db: Database
) -> None:
    make_user(db, "olly@example.org", roles={"other": "evaluator"})
    other = app.test_client()
    login(other, "olly@example.org")
    token = csrf_token(other.get("/staff/projects/other/instruments").get_data(as_text=True))
    first = other.post(
        "/staff/projects/other/instruments/upload",
        data={"csrf_token": token, "file": (io.BytesIO(GOOD_YAML.encode()), "theirs.yaml")},
        content_type="multipart/form-data",
    )
    assert first.status_code == 200
    response = upload(evaluator, GOOD_YAML.replace("Pilot check-in", "Hijacked").encode(), "mine.yaml")
    assert response.status_code == 400
    assert "is already used by an instrument of another project" in response.get_data(as_text=True)
    with db.read() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == "pilot-check-in"))
        assert instrument is not None and instrument.title == "Pilot check-in"
        assert instrument.project.slug == "other"
    # ...and the other project's instrument is not shown on this project's pages.
    assert "pilot-check-in" not in evaluator.get(BASE).get_data(as_text=True)
    assert evaluator.get(f"{BASE}/preview?instrument=pilot-check-in").status_code == 404


def test_preview_shows_every_question_read_only(evaluator: FlaskClient) -> None:
    upload(evaluator, GOOD_YAML.encode(), "check-in.yaml")
    page = evaluator.get(f"{BASE}/preview?instrument=pilot-check-in").get_data(as_text=True)
    assert "Was the session useful?" in page
    assert "What made it useful?" in page  # conditional questions are shown, with their condition
    assert "Shown only when: <code>${useful} = &#39;yes&#39;</code>" in page
    form_part = page[page.index('<fieldset disabled class="app-preview">') :]
    assert 'type="radio"' in form_part and 'name="useful"' in form_part
    assert 'method="post"' not in page.split("app-staff-nav")[-1].split("</nav>")[-1]  # nothing to submit
    assert evaluator.get(f"{BASE}/preview").status_code == 302
    assert evaluator.get(f"{BASE}/preview?instrument=no-such").status_code == 404


def test_publish_close_reopen(app: Flask, evaluator: FlaskClient, db: Database) -> None:
    upload(evaluator, GOOD_YAML.encode(), "check-in.yaml")
    respondent = app.test_client()
    assert respondent.get("/f/pilot-check-in").status_code == 404  # draft

    assert change_status(evaluator, "pilot-check-in", "publish").status_code == 302
    assert status_of(db, "pilot-check-in") == "open"
    assert respondent.get("/f/pilot-check-in").status_code == 200

    response = change_status(evaluator, "pilot-check-in", "close")
    assert response.status_code == 302
    assert "closed: respondents see a page saying it is closed" in evaluator.get(BASE).get_data(as_text=True)
    assert status_of(db, "pilot-check-in") == "closed"
    closed = respondent.get("/f/pilot-check-in")
    assert closed.status_code == 200
    assert "This form is closed" in closed.get_data(as_text=True)
    assert "“Pilot check-in” is no longer taking responses" in closed.get_data(as_text=True)

    # Publishing a closed instrument is not a move: nothing changes and the user is told why.
    change_status(evaluator, "pilot-check-in", "publish")
    assert "is closed, so it cannot be published" in evaluator.get(BASE).get_data(as_text=True)
    assert status_of(db, "pilot-check-in") == "closed"

    change_status(evaluator, "pilot-check-in", "reopen")
    assert status_of(db, "pilot-check-in") == "open"
    assert respondent.get("/f/pilot-check-in").status_code == 200

    with db.read() as session:
        moves = session.execute(
            select(AuditEntry.before, AuditEntry.after, AuditEntry.actor_label)
            .where(AuditEntry.entity_type == "instrument", AuditEntry.action == "update")
            .order_by(AuditEntry.id)
        ).all()
    assert [(b["status"], a["status"]) for b, a, _who in moves] == [
        ("draft", "open"),
        ("open", "closed"),
        ("closed", "open"),
    ]
    assert {who for _b, _a, who in moves} == {"eve@example.org"}


def test_a_new_version_keeps_the_status(evaluator: FlaskClient, db: Database) -> None:
    upload(evaluator, GOOD_YAML.encode(), "check-in.yaml")
    change_status(evaluator, "pilot-check-in", "publish")
    page = upload(evaluator, GOOD_YAML.replace('version: "1"', 'version: "2"').encode(), "v2.yaml")
    assert "new version, version 2" in page.get_data(as_text=True)
    assert status_of(db, "pilot-check-in") == "open"


def test_viewers_cannot_manage_instruments(app: Flask, evaluator: FlaskClient, db: Database) -> None:
    make_user(db, "vic@example.org", roles={"pilot": "viewer"})
    viewer = app.test_client()
    login(viewer, "vic@example.org")
    assert viewer.get(BASE).status_code == 404


def test_start_pressed_on_a_page_left_open_after_closing_shows_the_closed_page(
    app: Flask, evaluator: FlaskClient, db: Database
) -> None:
    upload(evaluator, GOOD_YAML.encode(), "check-in.yaml")
    change_status(evaluator, "pilot-check-in", "publish")
    respondent = app.test_client()
    start = respondent.get("/f/pilot-check-in").get_data(as_text=True)
    token = csrf_token(start)
    key = re.search(r'name="key" value="([^"]+)"', start)
    assert key is not None
    change_status(evaluator, "pilot-check-in", "close")
    refused = respondent.post("/f/pilot-check-in", data={"csrf_token": token, "key": key.group(1)})
    assert "This form is closed" in refused.get_data(as_text=True)
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 0


def test_every_pilot_instrument_previews(app: Flask, db: Database, loaded_forms: tuple) -> None:
    """The preview draws each instrument in forms/ (dates, grids, groups, notes, languages)."""
    make_user(db, "root@example.org", admin=True)
    root = app.test_client()
    login(root, "root@example.org")
    for item in loaded_forms:
        model = item.instrument
        page = root.get(f"/staff/projects/{model.project}/instruments/preview?instrument={model.slug}")
        assert page.status_code == 200, model.slug
        html = page.get_data(as_text=True)
        assert html.count('class="app-preview-page') == len(model.pages()), model.slug
        first = next(iter(model.input_questions()), None)
        if first is not None:
            assert f'id="question-{first.name}"' in html, model.slug
