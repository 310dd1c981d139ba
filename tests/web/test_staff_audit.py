"""The audit trail through the staff pages: the signed-in user is the actor, the trail page and
its CSV, soft-deleting a response and erasing a contact. CSRF stays on throughout."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import csrf_token, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Contact, Instrument, Response
from feedback.db.audit import AuditEntry
from feedback.db.base import utcnow
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services import audit
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response

pytestmark = pytest.mark.usefixtures("fast_hashing")

SURVEY = """\
settings:
  form_id: {slug}
  form_title: Survey of {project}
  project: {project}
survey:
  - type: text
    name: comments
    label: Any comments?
"""


def add_responses(db: Database, tmp_path: Path, project: str, count: int = 1) -> list[int]:
    path = tmp_path / f"{project}.yaml"
    path.write_text(SURVEY.format(slug=f"{project}-survey", project=project))
    with db.write() as session:
        save_instrument(session, load_file(path))
        instrument = session.scalar(select(Instrument).where(Instrument.slug == f"{project}-survey"))
        assert instrument is not None
        return [record_response(session, instrument, {"comments": f"Answer {n}"}).id for n in range(count)]


@pytest.fixture
def pilot(app: Flask, db: Database) -> dict[str, int]:
    ids = {"project": make_project(db, "pilot", "Pilot"), "other": make_project(db, "other", "Other")}
    ids["eve"] = make_user(db, "eve@example.org", roles={"pilot": "evaluator"}, identify=True)
    ids["ed"] = make_user(db, "ed@example.org", roles={"pilot": "evaluator"})
    ids["admin"] = make_user(db, "root@example.org", admin=True)
    return ids


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def post_form(client: FlaskClient, url: str, data: dict[str, str]):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_soft_delete_through_the_page_is_on_the_record_trail(
    app: Flask, db: Database, pilot: dict[str, int], tmp_path: Path
) -> None:
    (response_id,) = add_responses(db, tmp_path, "pilot")
    eve = signed_in(app, "eve@example.org")
    url = "/staff/projects/pilot/responses/delete"
    done = post_form(
        eve, url, {"response": str(response_id), "reason": "Test submission by the project team"}
    )
    assert done.status_code == 302
    assert done.headers["Location"] == f"/staff/projects/pilot/audit?entity=response&id={response_id}"
    with db.read() as session:
        response = session.get(Response, response_id)
        assert response is not None and response.deleted_at is not None
        entry = session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "response"))
        assert entry is not None
        assert (entry.actor_id, entry.actor_label) == (pilot["eve"], "eve@example.org")
    page = eve.get(done.headers["Location"]).get_data(as_text=True)
    assert "eve@example.org" in page
    assert "Test submission by the project team" in page
    assert f"response {response_id}</a>" in page
    # Deleting it again is refused with a message, not a second entry.
    again = post_form(eve, url, {"response": str(response_id), "reason": "again"})
    assert again.status_code == 400
    assert f"Response {response_id} was already deleted" in again.get_data(as_text=True)


def test_responses_of_other_projects_cannot_be_deleted(
    app: Flask, db: Database, pilot: dict[str, int], tmp_path: Path
) -> None:
    (theirs,) = add_responses(db, tmp_path, "other")
    eve = signed_in(app, "eve@example.org")
    refused = post_form(
        eve, "/staff/projects/pilot/responses/delete", {"response": str(theirs), "reason": "x"}
    )
    assert refused.status_code == 400
    assert f"Pilot has no response number {theirs}" in refused.get_data(as_text=True)
    with db.read() as session:
        assert session.get(Response, theirs).deleted_at is None  # type: ignore[union-attr]
    empty = post_form(eve, "/staff/projects/pilot/responses/delete", {})
    assert "Enter the response number" in empty.get_data(as_text=True)
    assert "Give a reason" in empty.get_data(as_text=True)


def test_permission_changes_by_an_admin_are_on_the_project_trail(
    app: Flask, db: Database, pilot: dict[str, int]
) -> None:
    root = signed_in(app, "root@example.org")
    target = make_user(db, "newcomer@example.org")
    url = f"/staff/admin/users/{target}"
    token = csrf_token(root.get(url).get_data(as_text=True))
    granted = root.post(f"{url}/roles", data={"csrf_token": token, "project": "pilot", "role": "viewer"})
    assert granted.status_code == 302
    revoked = root.post(f"{url}/roles/{pilot['project']}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    with db.read() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.entity_type == "project_role")
            .order_by(AuditEntry.id)
        ).all()
    expected_role = {
        "user_id": target,
        "project_id": pilot["project"],
        "role": "viewer",
        "can_identify": False,
    }
    assert rows == [
        ("create", pilot["admin"], None, expected_role),
        ("delete", pilot["admin"], expected_role, None),
    ]
    page = signed_in(app, "eve@example.org").get("/staff/projects/pilot/audit?entity=project_role")
    assert page.get_data(as_text=True).count("root@example.org") == 2
    # The actor does not outlive the request: later changes in this thread are nobody's.
    assert audit.actor.get() is None


def test_the_trail_is_paged_and_exported_as_formula_safe_csv(
    app: Flask, db: Database, pilot: dict[str, int], tmp_path: Path
) -> None:
    ids = add_responses(db, tmp_path, "pilot", count=30)
    with audit.acting_as(audit.Actor(pilot["eve"], "eve@example.org")), db.write() as session:
        for response_id in ids:
            response = session.get(Response, response_id)
            assert response is not None
            response.deleted_at, response.deleted_reason = utcnow(), '=HYPERLINK("http://evil.example","x")'
    eve = signed_in(app, "eve@example.org")
    first = eve.get("/staff/projects/pilot/audit").get_data(as_text=True)
    assert "30 entries, newest first" in first
    assert "?page=2" in first
    assert first.count('<tr class="govuk-table__row">') == 25 + 1  # the header row and one page
    download = eve.get("/staff/projects/pilot/audit.csv")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="audit-pilot.csv"'
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["at", "who", "action", "record", "record id", "field", "before", "after", "reason"]
    reasons = [row for row in rows[1:] if row[5] == "deleted_reason"]
    assert len(reasons) == 30
    assert len([row for row in rows[1:] if row[5] == "deleted_at"]) == 30
    assert all(row[7] == '\'=HYPERLINK("http://evil.example","x")' for row in reasons)
    assert all(row[8].startswith("'=") for row in rows[1:])
    assert {row[1] for row in rows[1:]} == {"eve@example.org"}
    # One record's trail only.
    one = eve.get(f"/staff/projects/pilot/audit.csv?entity=response&id={ids[0]}").get_data(as_text=True)
    assert {row[4] for row in list(csv.reader(io.StringIO(one)))[1:]} == {str(ids[0])}


def test_erasing_a_contact_needs_the_identify_permission(
    app: Flask, db: Database, pilot: dict[str, int]
) -> None:
    with db.write() as session:
        contact = Contact(project_id=pilot["project"], name="Ada Quill", email="ada.quill@example.org")
        session.add(contact)
        session.flush()
        contact_id = contact.id
    url = "/staff/projects/pilot/contacts/erase"
    assert signed_in(app, "ed@example.org").get(url).status_code == 404  # evaluator without identify
    eve = signed_in(app, "eve@example.org")
    unconfirmed = post_form(eve, url, {"contact": "ada.quill@example.org"})
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm the erasure" in unconfirmed.get_data(as_text=True)
    unknown = post_form(eve, url, {"contact": "nobody@example.org", "confirm": "y"})
    assert "Pilot has no contact with that number, e-mail address or id" in unknown.get_data(as_text=True)
    done = post_form(eve, url, {"contact": "Ada.Quill@example.org", "confirm": "y"})
    assert done.status_code == 302
    assert done.headers["Location"] == f"/staff/projects/pilot/audit?entity=contact&id={contact_id}"
    trail = eve.get(done.headers["Location"]).get_data(as_text=True)
    assert "erase" in trail and "data-protection request" in trail
    assert "Ada" not in trail and "ada.quill" not in trail
    assert "Ada Quill" not in eve.get("/staff/projects/pilot/contacts").get_data(as_text=True)
    with db.read() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None and contact.erased_at is not None
        assert (contact.name, contact.email) == ("", None)


def test_odd_numbers_are_messages_not_errors(app: Flask, db: Database, pilot: dict[str, int]) -> None:
    eve = signed_in(app, "eve@example.org")
    huge = "9" * 40
    assert eve.get(f"/staff/projects/pilot/audit?entity=response&id={huge}").status_code == 200
    refused = post_form(eve, "/staff/projects/pilot/responses/delete", {"response": huge, "reason": "x"})
    assert refused.status_code == 400
    assert "Enter a response number, such as 1234" in refused.get_data(as_text=True)
    erase = post_form(eve, "/staff/projects/pilot/contacts/erase", {"contact": huge, "confirm": "y"})
    assert "Pilot has no contact with that number" in erase.get_data(as_text=True)
