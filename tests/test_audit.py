"""The audit trail at the service level: what is recorded, with which before/after, for whom.

The staff pages (who is the actor during a request, the trail page, CSV, deletion and erasure
through HTTP) are tested in ``tests/web/test_staff_audit.py``; theme coding's trail in
``tests/test_audit_coding.py`` and ``tests/web/test_staff_coding_audit.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from argon2 import PasswordHasher
from flask.testing import FlaskCliRunner
from sqlalchemy import JSON, String, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from feedback.db import Base, Case, Contact, ContactAttribute, Instrument, Project, Response
from feedback.db.audit import AuditEntry
from feedback.db.sampling import CallAttempt, Invitation, InvitationWave
from feedback.db.session import Database
from feedback.db.summary_queries import ResponseFilter
from feedback.domain.loader import load_file
from feedback.services import accounts
from feedback.services.audit import Actor, acting_as
from feedback.services.data_protection import DataProtectionError, delete_response, erase_contact
from feedback.services.dispositions import set_disposition
from feedback.services.exports import export_xlsx
from feedback.services.instruments import model_of, save_instrument
from feedback.services.responses import question_ids, record_response, write_answers

STAFF = Actor(None, "eve@example.org")

INSTRUMENT = """\
settings:
  form_id: audit-survey
  form_title: Audit survey
  version: "{version}"
  project: pilot
survey:
  - type: select_one yes_no
    name: useful
    label: Was it useful?
  - type: text
    name: comments
    label: Any comments?
choices:
  yes_no:
    - name: "yes"
      label: "Yes"
    - name: "no"
      label: "No"
"""

NAME, EMAIL = "Zebedee Quxworth", "zebedee.quxworth@example.org"


def load_instrument(session: Session, tmp_path: Path, version: str = "1") -> Instrument:
    path = tmp_path / f"audit-survey-{version}.yaml"
    path.write_text(INSTRUMENT.format(version=version))
    save_instrument(session, load_file(path))
    instrument = session.scalar(select(Instrument).where(Instrument.slug == "audit-survey"))
    assert instrument is not None
    return instrument


@pytest.fixture
def world(db: Database, tmp_path: Path) -> dict[str, int]:
    """A project with one instrument, one contact (with attributes), their case and response."""
    with db.write() as session:
        session.add(Project(slug="pilot", name="Pilot"))
        session.flush()
        instrument = load_instrument(session, tmp_path)
        contact = Contact(
            project_id=instrument.project_id,
            name=NAME,
            email=EMAIL,
            external_id="EXT-991",
            organisation="Qux Ltd",
        )
        contact.attributes.append(ContactAttribute(key="job_title", value=f"Manager ({NAME})"))
        session.add(contact)
        session.flush()
        case = Case(instrument_id=instrument.id, contact_id=contact.id, token="t" * 43)
        session.add(case)
        session.flush()
        response = record_response(
            session,
            instrument,
            {"useful": "yes", "comments": "The trainer was excellent"},
            status="partial",
            contact_id=contact.id,
            case_id=case.id,
        )
        wave = InvitationWave(instrument_id=instrument.id, number=1, sent_on=response.started_at.date())
        session.add(wave)
        session.flush()
        session.add(Invitation(wave_id=wave.id, case_id=case.id, error=f"550 <{EMAIL}>: mailbox unavailable"))
        session.add(CallAttempt(case_id=case.id, outcome="no_answer", note=f"Left a message for {NAME}"))
        session.flush()
        return {
            "instrument": instrument.id,
            "project": instrument.project_id,
            "contact": contact.id,
            "case": case.id,
            "response": response.id,
        }


@pytest.fixture
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters (as in tests/web/staff_helpers.py): users are made, not attacked."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


def entries(db: Database, entity: str | None = None) -> list[AuditEntry]:
    with db.read() as session:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if entity:
            stmt = stmt.where(AuditEntry.entity_type == entity)
        return list(session.scalars(stmt))


def test_respondents_and_unattributed_changes_leave_no_entries(db: Database, world: dict[str, int]) -> None:
    """Setting up the world (no actor) and a respondent submitting record nothing."""
    with db.write() as session:
        response = session.get(Response, world["response"])
        assert response is not None
        response.status = "complete"
    assert entries(db) == []


def test_response_status_and_soft_delete(db: Database, world: dict[str, int]) -> None:
    with acting_as(STAFF), db.write() as session:
        response = session.get(Response, world["response"])
        assert response is not None
        response.status = "complete"
    with acting_as(STAFF), db.write() as session:
        response = session.get(Response, world["response"])
        assert response is not None
        delete_response(session, response, "Duplicate of response 12")
    status, deletion = entries(db, "response")
    assert (status.action, status.before, status.after) == (
        "update",
        {"status": "partial"},
        {"status": "complete"},
    )
    assert (status.actor_label, status.entity_id, status.project_id) == (
        "eve@example.org",
        world["response"],
        world["project"],
    )
    assert deletion.before == {"deleted_at": None, "deleted_reason": ""}
    assert deletion.after is not None and deletion.after["deleted_reason"] == "Duplicate of response 12"
    assert deletion.after["deleted_at"].startswith(str(deletion.at.year))
    assert deletion.reason == "Duplicate of response 12"
    with db.write() as session, pytest.raises(DataProtectionError, match="already deleted"):
        delete_response(session, session.get(Response, world["response"]), "again")  # type: ignore[arg-type]


def test_a_deletion_needs_a_reason(db: Database, world: dict[str, int]) -> None:
    with db.write() as session, pytest.raises(DataProtectionError, match="Give a reason"):
        delete_response(session, session.get(Response, world["response"]), "  ")  # type: ignore[arg-type]


def _rewrite(db: Database, world: dict[str, int], values: dict[str, Any]) -> None:
    with db.write() as session:
        response = session.get(Response, world["response"])
        assert response is not None
        model = model_of(response.version)
        write_answers(
            session, response.id, model, values, question_ids(session, response.version_id), replace=True
        )


def test_staff_answer_edits_record_the_changed_answers(db: Database, world: dict[str, int]) -> None:
    with acting_as(STAFF):
        _rewrite(db, world, {"useful": "yes", "comments": "The trainer was good"})
    (edit,) = entries(db, "response")
    assert edit.action == "edit"
    assert edit.before == {"comments": ["The trainer was excellent"]}  # "useful" did not change
    assert edit.after == {"comments": ["The trainer was good"]}
    assert edit.project_id == world["project"]
    # A respondent saving their own page again (no actor) is not audited.
    _rewrite(db, world, {"useful": "no", "comments": "Changed my mind"})
    assert len(entries(db, "response")) == 1


def test_disposition_changes(db: Database, world: dict[str, int]) -> None:
    with acting_as(STAFF), db.write() as session:
        case = session.get(Case, world["case"])
        assert case is not None
        set_disposition(session, case, "R", "Refused on the phone")
    (entry,) = entries(db, "case")
    assert entry.before == {"disposition": None, "disposition_reason": ""}
    assert entry.after == {"disposition": "R", "disposition_reason": "Refused on the phone"}
    assert entry.reason == "Refused on the phone"
    assert entry.project_id == world["project"]


def test_instrument_status_title_and_versions(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    with acting_as(STAFF), db.write() as session:
        instrument = session.get(Instrument, world["instrument"])
        assert instrument is not None
        instrument.status = "closed"
    with acting_as(STAFF), db.write() as session:
        load_instrument(session, tmp_path, version="2")
    (status,) = entries(db, "instrument")
    assert (status.before, status.after) == ({"status": "open"}, {"status": "closed"})
    (version,) = entries(db, "instrument_version")
    assert version.action == "create"
    assert version.after is not None and version.after["label"] == "2" and version.after["number"] == 2
    assert version.entity_id is not None and version.project_id == world["project"]


def test_permission_grant_change_and_revoke(db: Database, world: dict[str, int], fast_hashing: None) -> None:
    with db.write() as session:
        user = accounts.create_user(
            session, "vic@example.org", "Vic", password="correct horse battery staple"
        )
        user_id = user.id
    with acting_as(Actor(None, "admin@example.org")):
        with db.write() as session:
            user = session.get(accounts.User, user_id)
            accounts.grant_role(session, user, "pilot", "viewer")  # type: ignore[arg-type]
        with db.write() as session:
            user = session.get(accounts.User, user_id)
            accounts.grant_role(session, user, "pilot", "evaluator", can_identify=True)  # type: ignore[arg-type]
        with db.write() as session:
            user = session.get(accounts.User, user_id)
            accounts.revoke_role(session, user, world["project"])  # type: ignore[arg-type]
            accounts.set_active(session, user, False)  # type: ignore[arg-type]
    granted, changed, revoked = entries(db, "project_role")
    assert granted.action == "create"
    assert granted.after == {
        "user_id": user_id,
        "project_id": world["project"],
        "role": "viewer",
        "can_identify": False,
    }
    assert (changed.before, changed.after) == (
        {"role": "viewer", "can_identify": False},
        {"role": "evaluator", "can_identify": True},
    )
    assert revoked.action == "delete" and revoked.after is None
    assert revoked.before is not None and revoked.before["role"] == "evaluator"
    assert {e.project_id for e in (granted, changed, revoked)} == {world["project"]}
    (deactivated,) = entries(db, "user")
    assert (deactivated.entity_id, deactivated.before, deactivated.after) == (
        user_id,
        {"active": True},
        {"active": False},
    )


def test_cli_commands_are_recorded_as_the_os_user(
    db: Database, world: dict[str, int], runner: FlaskCliRunner, fast_hashing: None
) -> None:
    with db.write() as session:
        accounts.create_user(session, "cli@example.org", "Cli", password="correct horse battery staple")
    result = runner.invoke(args=["users", "grant", "cli@example.org", "pilot", "viewer"])
    assert result.exit_code == 0, result.output
    (entry,) = entries(db, "project_role")
    assert entry.actor_label.startswith("cli:") and len(entry.actor_label) > 4
    assert entry.actor_id is None


def test_a_rolled_back_change_leaves_no_entry(db: Database, world: dict[str, int]) -> None:
    with acting_as(STAFF), pytest.raises(RuntimeError), db.write() as session:
        instrument = session.get(Instrument, world["instrument"])
        assert instrument is not None
        instrument.status = "closed"
        session.flush()
        raise RuntimeError("something failed later in the request")
    assert entries(db) == []


def _text_columns() -> list[Any]:
    return [
        column
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON)
    ]


def personal_data_in_database(session: Session, needles: list[str]) -> list[str]:
    """``table.column`` for every text or JSON cell, in every table, that contains a needle."""
    found = []
    for column in _text_columns():
        text = cast(column, Text) if isinstance(column.type, JSON) else column
        condition = or_(*(func.lower(text).contains(n.lower()) for n in needles))
        if session.scalar(select(func.count()).select_from(column.table).where(condition)):
            found.append(f"{column.table.name}.{column.name}")
    return found


def test_erasure_leaves_no_personal_data_in_the_database_or_an_export(
    db: Database, world: dict[str, int], tmp_path: Path
) -> None:
    needles = [NAME, EMAIL, "Quxworth", "EXT-991", "Qux Ltd"]
    with acting_as(STAFF), db.write() as session:
        case = session.get(Case, world["case"])
        assert case is not None
        set_disposition(session, case, "R", f"{NAME} said no on the phone")
    with db.read() as session:
        # The search finds what is there before the erasure (so it can fail).
        assert set(personal_data_in_database(session, needles)) >= {
            "contacts.name",
            "contacts.email",
            "contacts.external_id",
            "contacts.organisation",
            "contact_attributes.value",
            "call_attempts.note",
            "invitations.error",
            "cases.disposition_reason",
            "disposition_changes.reason",
            "audit_entries.reason",
            "audit_entries.after",
        }
    with acting_as(STAFF), db.write() as session:
        contact = session.get(Contact, world["contact"])
        assert contact is not None
        assert erase_contact(session, contact) == ["name", "email", "external_id", "organisation"]
    with db.read() as session:
        assert personal_data_in_database(session, needles) == []
        contact = session.get(Contact, world["contact"])
        assert contact is not None and contact.erased_at is not None
        # The answers stay, anonymous: the response still counts.
        response = session.get(Response, world["response"])
        assert response is not None and response.deleted_at is None
        instrument = session.get(Instrument, world["instrument"])
        target = tmp_path / "after-erasure.xlsx"
        export_xlsx(session, [instrument], target, ResponseFilter(), "secret", "labels")  # type: ignore[list-item]
    workbook = openpyxl.load_workbook(target, read_only=True)
    try:
        cells = [
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
    finally:
        workbook.close()
    assert "The trainer was excellent" in cells  # the export has the answers...
    assert not [c for c in cells if any(n.lower() in c.lower() for n in needles)]  # ...and no one's name
    (entry,) = entries(db, "contact")
    assert (entry.action, entry.entity_id, entry.reason) == (
        "erase",
        world["contact"],
        "data-protection request",
    )
    assert entry.before == {
        "fields": ["name", "email", "external_id", "organisation"],
        "attributes": 1,
        "call_notes": 1,
        "invitation_errors": 1,
        "disposition_reasons": 1,
    }
    (disposition,) = entries(db, "case")
    assert disposition.after == {"disposition": "R", "disposition_reason": "[erased]"}
    with db.write() as session, pytest.raises(DataProtectionError, match="already erased"):
        erase_contact(session, session.get(Contact, world["contact"]))  # type: ignore[arg-type]
