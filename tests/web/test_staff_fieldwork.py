"""Fieldwork pages: contact upload, sample draw, invitation wave and mail merge, non-responders,
dispositions set with a reason, and who may do which.

Data comes in the way an evaluator brings it: a CSV uploaded through the page (CSRF on, the token
read from the page). Partial responses are inserted directly, as the respondent's side would.
"""

from __future__ import annotations

import html as htmllib
import io
import re
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import login, make_project, make_user, page_token

from feedback.db import Case, Contact, Instrument, InstrumentVersion, Project, Response
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")

GOOD = "email,name,organisation,region\na@example.org,Ann,Org A,North\nb@example.org,Bob,Org B,South\n"
BAD_ROW_3 = GOOD.replace("b@example.org", "not-an-email")


def text(response) -> str:  # type: ignore[no-untyped-def]
    return htmllib.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def plain(response) -> str:  # type: ignore[no-untyped-def]
    """The page's text without tags, as a reader sees it."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def add_instrument(db: Database, slug: str, project: str = "pilot") -> int:
    with db.write() as session:
        project_id = session.scalar(select(Project.id).where(Project.slug == project))
        instrument = Instrument(
            slug=slug, kind="survey", title=slug.replace("-", " ").title(), project_id=project_id
        )
        session.add(instrument)
        session.flush()
        version = InstrumentVersion(instrument_id=instrument.id, number=1, digest=slug, definition={})
        session.add(version)
        session.flush()
        instrument.current_version_id = version.id
        return instrument.id


@pytest.fixture
def pilot(db: Database) -> int:
    """Project "pilot" with one survey, an identifying evaluator, a viewer; "other" with its evaluator."""
    make_project(db, "pilot")
    make_project(db, "other")
    make_user(db, "eve@example.org", roles={"pilot": "evaluator"}, identify=True)
    make_user(db, "vic@example.org", roles={"pilot": "viewer"})
    make_user(db, "oscar@example.org", roles={"other": "evaluator"}, identify=True)
    return add_instrument(db, "pilot-survey")


def upload(client: FlaskClient, content: str, filename: str = "list.csv", **fields: str):  # type: ignore[no-untyped-def]
    token = page_token(client, "/staff/projects/pilot/fieldwork")
    data = {
        "csrf_token": token,
        "import_instrument": "pilot-survey",
        "contacts_file": (io.BytesIO(content.encode()), filename),
        **fields,
    }
    return client.post(
        "/staff/projects/pilot/fieldwork/import", data=data, content_type="multipart/form-data"
    )


def count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_bad_row_is_named_and_nothing_is_imported(client: FlaskClient, db: Database, pilot: int) -> None:
    login(client, "eve@example.org")
    response = upload(client, BAD_ROW_3)
    page = text(response)
    assert response.status_code == 400
    assert "list.csv could not be imported" in page
    assert "row 3: 'not-an-email' is not an e-mail address" in page and "nothing was imported" in page
    assert 'class="govuk-error-summary"' in response.get_data(as_text=True)
    assert count(db, Contact) == 0 and count(db, Case) == 0


def test_skip_invalid_imports_the_rest_and_reports_the_row(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    login(client, "eve@example.org")
    response = upload(client, BAD_ROW_3, skip_invalid="y")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "list.csv: 1 new contacts, 0 updated, 1 new cases" in page
    assert "Skipped 1 invalid row(s): row 3: 'not-an-email' is not an e-mail address" in page
    assert count(db, Contact) == 1 and count(db, Case) == 1
    assert "Ann" in text(client.get("/staff/projects/pilot/contacts"))


def test_reimporting_updates_rather_than_duplicates(client: FlaskClient, db: Database, pilot: int) -> None:
    login(client, "eve@example.org")
    assert upload(client, GOOD).status_code == 302
    response = upload(client, GOOD.replace("Org A", "Org A (renamed)"))
    assert "0 new contacts, 2 updated, 0 new cases" in text(client.get(response.headers["Location"]))
    assert count(db, Contact) == 2 and count(db, Case) == 2


def test_an_xlsx_list_is_imported_with_its_attributes(client: FlaskClient, db: Database, pilot: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for values in (
        ["Email", "Name", "org_type"],
        ["x@example.org", "Xena", "vco"],
        ["y@example.org", "Yan", ""],
    ):
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    login(client, "eve@example.org")
    token = page_token(client, "/staff/projects/pilot/fieldwork")
    response = client.post(
        "/staff/projects/pilot/fieldwork/import",
        data={"csrf_token": token, "import_instrument": "pilot-survey",
              "contacts_file": (io.BytesIO(buffer.getvalue()), "list.xlsx")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert "list.xlsx: 2 new contacts, 0 updated, 2 new cases" in text(
        client.get(response.headers["Location"])
    )
    rates = text(client.get("/staff/projects/pilot/rates?instrument=pilot-survey&by=org_type"))
    assert "0.0% (0/1)" in rates and "(missing)" in rates


def test_an_upload_that_is_not_a_spreadsheet_is_refused(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    login(client, "eve@example.org")
    response = upload(client, GOOD, filename="list.txt")
    assert response.status_code == 400
    assert "The file must be a .xlsx workbook or a .csv file" in text(response)
    assert count(db, Contact) == 0


def draw(client: FlaskClient, instrument: str, n: str, seed: str, strata: str = ""):  # type: ignore[no-untyped-def]
    token = page_token(client, "/staff/projects/pilot/fieldwork")
    return client.post(
        "/staff/projects/pilot/fieldwork/sample",
        data={"csrf_token": token, "sample_instrument": instrument, "sample_n": n, "sample_seed": seed,
              "sample_strata": strata},
    )  # fmt: skip


def sampled(db: Database, instrument_id: int) -> list[int]:
    with db.read() as session:
        return sorted(session.scalars(select(Case.contact_id).where(Case.instrument_id == instrument_id)))


def test_a_sample_drawn_with_a_seed_can_be_drawn_again(client: FlaskClient, db: Database, pilot: int) -> None:
    login(client, "eve@example.org")
    rows = "".join(f"p{i}@example.org,P{i},,{'North' if i % 3 else 'South'}\n" for i in range(30))
    assert upload(client, "email,name,organisation,region\n" + rows, list_only="y").status_code == 302
    assert count(db, Case) == 0  # the list alone gives no cases
    again = add_instrument(db, "pilot-survey-again")
    response = draw(client, "pilot-survey", "8", "42", "region")
    assert "Drew 8 of 30 contacts for Pilot Survey, stratified by region, seed 42" in text(
        client.get(response.headers["Location"])
    )
    draw(client, "pilot-survey-again", "8", "42", "region")
    first = sampled(db, pilot)
    assert len(first) == 8 and first == sampled(db, again)
    page = text(client.get("/staff/projects/pilot/fieldwork"))
    assert "stratified random, n = 8 of 30, strata region, seed 42" in page
    too_many = draw(client, "pilot-survey", "31", "1")
    assert too_many.status_code == 400 and "cannot draw 31 contacts: the project has 30" in text(too_many)


def test_a_wave_and_its_mail_merge_workbook(client: FlaskClient, db: Database, pilot: int) -> None:
    login(client, "eve@example.org")
    upload(client, GOOD.replace("Ann", "=HYPERLINK(1)"))
    token = page_token(client, "/staff/projects/pilot/fieldwork")
    response = client.post(
        "/staff/projects/pilot/fieldwork/wave",
        data={"csrf_token": token, "wave_instrument": "pilot-survey", "wave_kind": "invitation",
              "wave_sent_on": "2024-03-01", "wave_note": "first"},
    )  # fmt: skip
    assert "Wave 1 (invitation) of Pilot Survey recorded: 2 cases" in text(
        client.get(response.headers["Location"])
    )
    assert "Wave 1: invitation, 1 Mar 2024, 2 cases (first)" in text(
        client.get("/staff/projects/pilot/fieldwork")
    )
    workbook = client.get("/staff/projects/pilot/fieldwork/mailmerge?instrument=pilot-survey&wave=1")
    assert workbook.status_code == 200
    assert "pilot-survey-wave-1-mailmerge.xlsx" in workbook.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(workbook.data)).worksheets[0]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    assert rows[0] == ["email", "id", "name", "organisation", "region", "link"]
    assert [r[0] for r in rows[1:]] == ["a@example.org", "b@example.org"]
    assert rows[1][2] == "=HYPERLINK(1)" and sheet["C2"].data_type == "s"  # text, not a formula
    with db.read() as session:
        tokens = set(session.scalars(select(Case.token)))
    assert {r[5].rsplit("?t=", 1)[1] for r in rows[1:]} == tokens
    waves = plain(client.get("/staff/projects/pilot/rates?instrument=pilot-survey"))
    assert "wave 1 (invitation, 2024-03-01) 2 0 0 0.0% (0/2)" in waves
    assert 'id="chart-waves" aria-labelledby="chart-waves-caption"' in text(
        client.get("/staff/projects/pilot/rates?instrument=pilot-survey")
    )


def test_non_responders_and_partial_responders_are_listed_apart(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    login(client, "eve@example.org")
    upload(client, GOOD)
    with db.write() as session:
        case = session.scalar(select(Case).join(Contact).where(Contact.email == "b@example.org"))
        version = session.scalar(select(InstrumentVersion.id).where(InstrumentVersion.instrument_id == pilot))
        session.add(Response(instrument_id=pilot, version_id=version, case_id=case.id, status="partial",
                             answered=2, applicable=10, started_at=datetime(2024, 3, 2)))  # fmt: skip
    non = text(client.get("/staff/projects/pilot/fieldwork/responders?instrument=pilot-survey"))
    assert "Non-responders (1)" in non and "Partial responders (1)" in non
    assert "a@example.org" in non and "b@example.org" not in non
    partial = text(
        client.get("/staff/projects/pilot/fieldwork/responders?instrument=pilot-survey&list=partial")
    )
    assert "b@example.org" in partial and "a@example.org" not in partial


def case_id_of(db: Database, email: str) -> int:
    with db.read() as session:
        return session.scalar(select(Case.id).join(Contact).where(Contact.email == email))  # type: ignore[return-value]


def set_disposition(client: FlaskClient, case_id: int, code: str, reason: str, project: str = "pilot"):  # type: ignore[no-untyped-def]
    token = page_token(client, "/staff/password")
    return client.post(
        f"/staff/projects/{project}/case/disposition",
        data={"csrf_token": token, "case_id": str(case_id), "code": code, "reason": reason},
    )


def test_a_disposition_needs_a_reason_which_is_kept_and_changes_the_rate(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    login(client, "eve@example.org")
    upload(client, GOOD)
    case_id = case_id_of(db, "a@example.org")
    rates = "/staff/projects/pilot/rates?instrument=pilot-survey"
    assert "0.0% (0/2)" in text(client.get(rates))
    refused = set_disposition(client, case_id, "I", "  ")
    assert refused.status_code == 400
    assert "Give a reason for the disposition: it is kept with the case" in text(refused)
    response = set_disposition(client, case_id, "I", "Returned a paper questionnaire by post")
    assert response.status_code == 302
    page = plain(client.get(response.headers["Location"]))
    assert "Disposition derived → I; the case now counts as I" in page
    assert "I (set by staff)" in page
    assert "derived → I Returned a paper questionnaire by post eve@example.org" in page
    assert "50.0% (1/2)" in text(client.get(rates))
    cleared = set_disposition(client, case_id, "derive", "Entered in error")
    page = plain(client.get(cleared.headers["Location"]))
    assert "UH (derived from what happened)" in page and "I → derived Entered in error" in page
    assert "0.0% (0/2)" in text(client.get(rates))


def test_a_case_can_be_found_by_its_token_or_email(client: FlaskClient, db: Database, pilot: int) -> None:
    login(client, "eve@example.org")
    upload(client, GOOD)
    case_id = case_id_of(db, "b@example.org")
    found = client.get("/staff/projects/pilot/case?find=B@example.org")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"case={case_id}")
    assert "No case of this project matches" in text(client.get("/staff/projects/pilot/case?find=nobody"))


def test_a_viewer_reads_rates_but_cannot_change_anything(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    evaluator = client.application.test_client()
    login(evaluator, "eve@example.org")
    upload(evaluator, GOOD)
    case_id = case_id_of(db, "a@example.org")
    login(client, "vic@example.org")
    assert client.get("/staff/projects/pilot/rates").status_code == 200
    assert client.get("/staff/projects/pilot/fieldwork").status_code == 404
    token = page_token(client, "/staff/password")
    data = {"csrf_token": token, "import_instrument": "pilot-survey",
            "contacts_file": (io.BytesIO(GOOD.encode()), "list.csv")}  # fmt: skip
    assert client.post("/staff/projects/pilot/fieldwork/import", data=data).status_code == 404
    assert set_disposition(client, case_id, "NE", "not mine to decide").status_code == 404
    with db.read() as session:
        assert session.get(Case, case_id).disposition is None


def test_another_projects_evaluator_gets_404(client: FlaskClient, db: Database, pilot: int) -> None:
    evaluator = client.application.test_client()
    login(evaluator, "eve@example.org")
    upload(evaluator, GOOD)
    case_id = case_id_of(db, "a@example.org")
    login(client, "oscar@example.org")
    for url in ("rates", "methodology", "fieldwork", "fieldwork/responders", f"case?case={case_id}"):
        assert client.get(f"/staff/projects/pilot/{url}").status_code == 404, url
    # Their own project's URL with pilot's case id: the case is looked up within the project.
    assert client.get(f"/staff/projects/other/case?case={case_id}").status_code == 404
    assert set_disposition(client, case_id, "NE", "trying", project="other").status_code == 404
    assert set_disposition(client, case_id, "NE", "trying").status_code == 404
    with db.read() as session:
        assert session.get(Case, case_id).disposition is None
