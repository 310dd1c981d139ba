"""Identified exports: names and e-mail addresses only for those allowed, and every one on record.

Through HTTP with CSRF on (the export page and its downloads) and through the CLI (``feedback
export --identified --as EMAIL``); the workbooks are read back with openpyxl.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from analysis_web_support import SLUG, load_form, record, token_of
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import login, make_project, make_user

from feedback.db.accounts import IdentifiedAccess
from feedback.db.models import Project
from feedback.db.responses import Contact
from feedback.db.session import Database
from feedback.services.data_protection import erase_contact

pytestmark = pytest.mark.usefixtures("fast_hashing")
PAGE = "/staff/projects/pilot/exports"
PEOPLE = [("Ada Lovelace", "ada@example.org"), ("Bob Jones", "bob@example.org")]


@pytest.fixture
def data(db: Database, tmp_path: Path) -> list[int]:
    """Two invited respondents (contacts) and one anonymous one; returns the contact ids."""
    load_form(db, tmp_path)
    make_project(db, "other")
    with db.write() as session:
        project = session.scalar(select(Project).where(Project.slug == "pilot"))
        contacts = [Contact(project_id=project.id, name=name, email=email) for name, email in PEOPLE]
        session.add_all(contacts)
        session.flush()
        ids = [c.id for c in contacts]
    for contact_id in ids:
        record(db, [{"useful": "very"}], contact_id=contact_id)
    record(db, [{"useful": "ambivalent"}])
    return ids


def _log_entries(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(select(IdentifiedAccess.endpoint, IdentifiedAccess.detail))
        return [(endpoint, detail) for endpoint, detail in rows]


def _export(client: FlaskClient, **fields: str) -> tuple[str, bytes]:
    data = {"csrf_token": token_of(client, PAGE), "instrument": SLUG, "values": "labels", "format": "xlsx"}
    data.update(fields)
    started = client.post(PAGE, data=data)
    assert started.status_code == 302, started.get_data(as_text=True)
    status_url = started.headers["Location"]
    deadline = time.monotonic() + 30
    while 'http-equiv="refresh"' in (html := client.get(status_url).get_data(as_text=True)):
        assert time.monotonic() < deadline, "the export did not finish"
        time.sleep(0.05)
    start = html.index("/staff/projects/pilot/exports/download?job=")
    url = html[start : html.index('"', start)].replace("&amp;", "&")
    with client.get(url) as response:
        assert response.status_code == 200
        return url, response.get_data()


def _cells(workbook_bytes: bytes) -> dict[str, list[tuple[object, ...]]]:
    workbook = load_workbook(io.BytesIO(workbook_bytes), read_only=True)
    sheets = {}
    for name in workbook.sheetnames:
        rows = list(workbook[name].iter_rows(values_only=True))
        width = max((len(row) for row in rows), default=0)  # read-only mode drops trailing blanks
        sheets[name] = [tuple(row) + (None,) * (width - len(row)) for row in rows]
    workbook.close()
    return sheets


def _all_text(sheets: dict[str, list[tuple[object, ...]]]) -> str:
    return " ".join(str(c) for rows in sheets.values() for row in rows for c in row if c is not None)


def test_a_plain_export_has_no_names_or_e_mails(client: FlaskClient, db: Database, data: list[int]) -> None:
    make_user(db, "eva@example.org", roles={"pilot": "evaluator"})
    login(client, "eva@example.org")
    page = client.get(PAGE).get_data(as_text=True)
    assert 'name="identified"' not in page  # not offered without the permission
    _url, body = _export(client)
    sheets = _cells(body)
    assert "Respondents" not in sheets
    text = _all_text(sheets)
    assert not any(name in text or email in text for name, email in PEOPLE)
    assert _log_entries(db) == []


def test_asking_for_names_without_the_permission_is_refused(
    client: FlaskClient, db: Database, data: list[int]
) -> None:
    make_user(db, "eva@example.org", roles={"pilot": "evaluator"})
    login(client, "eva@example.org")
    data_ = {"csrf_token": token_of(client, PAGE), "instrument": SLUG, "values": "labels", "format": "xlsx"}
    refused = client.post(PAGE, data={**data_, "identified": "yes"})
    assert refused.status_code == 404
    assert _log_entries(db) == []


def test_an_identified_export_has_a_respondents_sheet_and_is_logged(
    app, client: FlaskClient, db: Database, data: list[int]
) -> None:
    make_user(db, "ida@example.org", roles={"pilot": "evaluator"}, identify=True)
    login(client, "ida@example.org")
    assert 'name="identified"' in client.get(PAGE).get_data(as_text=True)
    url, body = _export(client, identified="yes")
    sheets = _cells(body)
    respondents = sheets["Respondents"]
    assert respondents[0][:4] == ("response_id", "respondent", "name", "email")
    people = [tuple(c or "" for c in row[2:4]) for row in respondents[1:]]
    assert people == [*PEOPLE, ("", "")]  # the anonymous respondent: blank
    responses = sheets["Responses"]
    column = responses[0].index("respondent")
    pseudonyms = {row[0]: row[column] for row in responses[1:]}
    assert all((pseudonyms[row[0]] or "") == (row[1] or "") for row in respondents[1:])  # linked by id
    assert sum(1 for row in respondents[1:] if row[1]) == 2
    assert not any(email in str(c) for row in responses for c in row for _n, email in PEOPLE)
    entries = _log_entries(db)
    assert ("web export", f"identified export of {SLUG}") in entries
    assert sum(1 for endpoint, _d in entries if endpoint == "staff.exports_download") == 1

    # Another evaluator of the project without the permission neither sees nor downloads it.
    other = app.test_client()
    make_user(db, "eva@example.org", roles={"pilot": "evaluator"})
    login(other, "eva@example.org")
    assert "(identified)" not in other.get(PAGE).get_data(as_text=True)
    denied = other.get(url)
    assert denied.status_code == 302  # back to the export page, as for an unknown job
    assert len(_log_entries(db)) == len(entries)


def test_erased_contacts_stay_blank_in_an_identified_export(
    client: FlaskClient, db: Database, data: list[int]
) -> None:
    with db.write() as session:
        erase_contact(session, session.get(Contact, data[0]))
    make_user(db, "ida@example.org", roles={"pilot": "evaluator"}, identify=True)
    login(client, "ida@example.org")
    _url, body = _export(client, identified="yes")
    names = [row[2] or "" for row in _cells(body)["Respondents"][1:]]
    assert names == ["", "Bob Jones", ""]
    assert "Ada" not in _all_text(_cells(body))


def test_cli_identified_export_needs_an_allowed_account(
    runner: FlaskCliRunner, db: Database, data: list[int], tmp_path: Path
) -> None:
    make_user(db, "eva@example.org", roles={"pilot": "evaluator"})
    make_user(db, "ida@example.org", roles={"pilot": "evaluator"}, identify=True)
    target = tmp_path / "out.xlsx"
    base = ["export", "--instrument", SLUG, "-o", str(target), "--identified"]

    missing = runner.invoke(args=base)
    assert missing.exit_code != 0 and "--as" in missing.output
    refused = runner.invoke(args=[*base, "--as", "eva@example.org"])
    assert refused.exit_code != 0
    assert "may not see names" in refused.output
    assert not target.exists()
    assert _log_entries(db) == []

    allowed = runner.invoke(args=[*base, "--as", "ida@example.org"])
    assert allowed.exit_code == 0, allowed.output
    sheets = _cells(target.read_bytes())
    assert [row[2] or "" for row in sheets["Respondents"][1:]] == ["Ada Lovelace", "Bob Jones", ""]
    assert _log_entries(db) == [("cli export", f"identified export of {SLUG}")]

    as_csv = runner.invoke(args=[*base[:3], "-o", str(tmp_path / "x.csv"), "--format", "csv", "--identified",
                                 "--as", "ida@example.org"])  # fmt: skip
    assert as_csv.exit_code == 0, as_csv.output
    people = (tmp_path / "x-respondents.csv").read_text(encoding="utf-8-sig").splitlines()
    assert people[0].startswith("response_id,respondent,name,email") and "ada@example.org" in people[1]
    assert "ada@example.org" not in (tmp_path / "x-responses.csv").read_text(encoding="utf-8-sig")

    plain = runner.invoke(args=["export", "--instrument", SLUG, "-o", str(tmp_path / "plain.xlsx")])
    assert plain.exit_code == 0, plain.output
    assert "Respondents" not in _cells((tmp_path / "plain.xlsx").read_bytes())
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(IdentifiedAccess)) == 2  # xlsx and csv
