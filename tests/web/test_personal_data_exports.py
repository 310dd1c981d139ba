"""Answers to personal-data questions (``personal_data: yes``) stay out of everything pseudonymous.

Through HTTP with CSRF on: the ordinary export (workbook read back with openpyxl, and CSV through
the CLI), the summaries page, the free-text page, an identified export (which has them, in the
Respondents sheet) and the erasure page (which blanks them, also where the trail copied them).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from analysis_web_support import text_of, token_of
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import login, make_user

from feedback.db import Answer, Contact, Instrument
from feedback.db.audit import AuditEntry
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services.audit import Actor, acting_as, record
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response

pytestmark = pytest.mark.usefixtures("fast_hashing")
SLUG = "contact-check"
EXPORTS = "/staff/projects/pilot/exports"
ADA = "ada@example.org"
DEMO = "demo.respondent2@example.org"
FORM = """
settings:
  form_id: contact-check
  form_title: Contact check
  version: "1"
  kind: event_feedback
  project: pilot
survey:
  - type: select_one yes_no
    name: interested
    label: Would you like to join a consortia building group?
  - type: text
    name: contact
    label: How can we contact you about this?
    personal_data: yes
  - type: integer
    name: born
    label: In what year were you born?
    personal_data: yes
  - type: text
    name: comments
    label: Any other comments?
choices:
  yes_no:
    - {name: 'yes', label: 'Yes'}
    - {name: 'no', label: 'No'}
"""


@pytest.fixture
def data(db: Database, tmp_path: Path) -> dict[str, int]:
    """Ada (a contact) and two anonymous event forms, one of which gives Ada's address too."""
    path = tmp_path / f"{SLUG}.yaml"
    path.write_text(FORM)
    with db.write() as session:
        save_instrument(session, load_file(path))
        instrument = session.scalars(select(Instrument).where(Instrument.slug == SLUG)).one()
        ada = Contact(project_id=instrument.project_id, name="Ada Lovelace", email=ADA)
        session.add(ada)
        session.flush()
        answers = [
            ({"interested": "yes", "contact": f"Ada, {ADA}", "born": 1815, "comments": "Great day"}, ada.id),
            ({"interested": "yes", "contact": f"Demo respondent, {DEMO}", "comments": "Too short"}, None),
            ({"interested": "yes", "contact": f"Ask for Ada at {ADA.upper()}"}, None),
        ]
        ids = [record_response(session, instrument, a, contact_id=c).id for a, c in answers]
    return {"ada": ada.id, "own": ids[0], "demo": ids[1], "mentions": ids[2]}


def _signed_in(client: FlaskClient, db: Database, *, identify: bool = False) -> FlaskClient:
    email = "ida@example.org" if identify else "eva@example.org"
    make_user(db, email, roles={"pilot": "evaluator"}, identify=identify)
    assert login(client, email).status_code == 302
    return client


def _export(client: FlaskClient, **fields: str) -> dict[str, list[tuple[object, ...]]]:
    """Ask for an export on the page, wait for it, download it; its sheets as rows of values."""
    form = {"csrf_token": token_of(client, EXPORTS), "instrument": SLUG, "values": "labels", "format": "xlsx"}
    started = client.post(EXPORTS, data={**form, **fields})
    assert started.status_code == 302, started.get_data(as_text=True)
    deadline = time.monotonic() + 30
    while 'http-equiv="refresh"' in (html := client.get(started.headers["Location"]).get_data(as_text=True)):
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.05)
    start = html.index("/staff/projects/pilot/exports/download?job=")
    with client.get(html[start : html.index('"', start)].replace("&amp;", "&")) as response:
        assert response.status_code == 200
        workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheets = {}
    for name in workbook.sheetnames:
        rows = list(workbook[name].iter_rows(values_only=True))
        width = max((len(row) for row in rows), default=0)  # read-only mode drops trailing blanks
        sheets[name] = [
            tuple("" if c is None else c for c in row) + ("",) * (width - len(row)) for row in rows
        ]
    workbook.close()
    return sheets


def _text(rows: list[tuple[object, ...]]) -> str:
    return " ".join(str(cell) for row in rows for cell in row)


def test_an_ordinary_export_has_no_personal_data(
    client: FlaskClient, db: Database, data: dict[str, int]
) -> None:
    sheets = _export(_signed_in(client, db))
    assert "Respondents" not in sheets
    responses = sheets["Responses"]
    assert "interested" in responses[0] and "comments" in responses[0]
    assert "contact" not in responses[0] and "born" not in responses[0]
    assert "Too short" in _text(sheets["Free text"])  # the other free text is still there...
    for name, rows in sheets.items():  # ...and no address, year of birth or their questions anywhere
        text = _text(rows).lower()
        assert ADA not in text and DEMO not in text and "1815" not in text, name
        assert "how can we contact you" not in text and "were you born" not in text, name


def test_the_csv_export_has_no_personal_data(
    runner: FlaskCliRunner, data: dict[str, int], tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(args=["export", "--instrument", SLUG, "-o", str(target), "--format", "csv"])
    assert result.exit_code == 0, result.output
    responses = (tmp_path / "out-responses.csv").read_text(encoding="utf-8-sig")
    assert "Great day" in responses
    assert (
        ADA not in responses.lower() and DEMO not in responses and "contact" not in responses.splitlines()[0]
    )
    assert "How can we contact you" not in (tmp_path / "out-codebook.csv").read_text(encoding="utf-8-sig")


def test_an_identified_export_has_them_in_the_respondents_sheet(
    client: FlaskClient, db: Database, data: dict[str, int]
) -> None:
    sheets = _export(_signed_in(client, db, identify=True), identified="yes")
    header, *rows = sheets["Respondents"]
    assert header[:4] == ("response_id", "respondent", "name", "email")
    assert header[-2:] == ("contact", "born")
    by_id = {row[0]: row for row in rows}
    assert by_id[data["own"]][2:4] == ("Ada Lovelace", ADA)
    assert by_id[data["own"]][-2:] == (f"Ada, {ADA}", "1815")
    assert by_id[data["demo"]][-2] == f"Demo respondent, {DEMO}"
    assert "contact" not in sheets["Responses"][0]  # Responses keeps one layout in every export
    assert DEMO not in _text(sheets["Responses"]) + _text(sheets.get("Free text", []))


def test_summaries_and_free_text_pages_do_not_show_them(
    client: FlaskClient, runner: FlaskCliRunner, db: Database, data: dict[str, int]
) -> None:
    viewer = _signed_in(client, db)
    summary = text_of(viewer.get(f"/staff/projects/pilot/summaries?instrument={SLUG}").get_data(as_text=True))
    assert "Would you like to join" in summary
    assert "were you born" not in summary and "1815" not in summary
    free = f"/staff/projects/pilot/free-text?instrument={SLUG}"
    page = text_of(viewer.get(free).get_data(as_text=True))
    assert "Any other comments?" in page
    assert "How can we contact you" not in page and ADA not in page.lower()
    assert viewer.get(f"{free}&question=contact").status_code == 404
    as_json = runner.invoke(args=["summary", "--instrument", SLUG, "--json"])
    assert as_json.exit_code == 0, as_json.output
    names = [question["name"] for question in json.loads(as_json.output)["questions"]]
    assert names == ["interested"]


def test_erasing_a_contact_blanks_their_personal_data_answers(
    client: FlaskClient, db: Database, data: dict[str, int]
) -> None:
    with acting_as(Actor(None, "ida@example.org")), db.write() as session:  # a staff edit, on the trail
        record(
            session,
            action="edit",
            entity="response",
            entity_id=data["mentions"],
            before={"contact": ["(blank)"]},
            after={"contact": [f"Ask for Ada at {ADA.upper()}"], "comments": ["kept"]},
        )
    ida = _signed_in(client, db, identify=True)
    url = "/staff/projects/pilot/contacts/erase"
    done = ida.post(url, data={"csrf_token": token_of(ida, url), "contact": ADA, "confirm": "y"})
    assert done.status_code == 302, done.get_data(as_text=True)

    respondents = {row[0]: row for row in _export(ida, identified="yes")["Respondents"][1:]}
    assert respondents[data["own"]][2:] == ("", "", "", "", "", "")  # name, e-mail... and answers
    assert respondents[data["mentions"]][-2] == ""  # an anonymous form giving her address
    assert respondents[data["demo"]][-2] == f"Demo respondent, {DEMO}"  # someone else's: kept
    with db.read() as session:
        values = [value.lower() for value in session.scalars(select(Answer.value))]
        assert "great day" in values  # her other answers stay, anonymous
        assert not [v for v in values if ADA in v or v == "1815"]
        trail = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "response")).one()
        assert trail.after == {"contact": "[erased]", "comments": ["kept"]}
        erasure = session.scalars(select(AuditEntry).where(AuditEntry.entity_type == "contact")).one()
        assert erasure.before is not None and erasure.before["personal_data_answers"] == 3


def test_a_mark_added_in_a_later_version_reaches_earlier_answers(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    first = tmp_path / "v1.yaml"
    first.write_text(FORM.replace("    personal_data: yes\n", ""))
    with db.write() as session:
        save_instrument(session, load_file(first))
        instrument = session.scalars(select(Instrument).where(Instrument.slug == SLUG)).one()
        ada = Contact(project_id=instrument.project_id, name="Ada Lovelace", email=ADA)
        session.add(ada)
        session.flush()
        record_response(session, instrument, {"contact": ADA, "comments": "Early"}, contact_id=ada.id)
    second = tmp_path / f"{SLUG}.yaml"
    second.write_text(FORM.replace('version: "1"', 'version: "2"'))
    with db.write() as session:
        save_instrument(session, load_file(second))
    ida = _signed_in(client, db, identify=True)
    sheets = _export(ida)
    assert "contact" not in sheets["Responses"][0] and ADA not in _text(sheets["Free text"])
    url = "/staff/projects/pilot/contacts/erase"
    done = ida.post(url, data={"csrf_token": token_of(ida, url), "contact": ADA, "confirm": "y"})
    assert done.status_code == 302
    with db.read() as session:
        assert sorted(session.scalars(select(Answer.value))) == ["", "Early"]
