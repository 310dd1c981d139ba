"""Deleting a response (softly, with a reason) and erasing a contact (a data-protection request).

Both flush and never commit; both leave an entry in the audit trail (the response's through the
automatic capture in :mod:`feedback.services.audit`, the erasure explicitly, because what it
removes must not be copied into the trail).

Decisions:

* A deleted response keeps its row and answers (``deleted_at``, ``deleted_reason``): rates,
  summaries and exports leave it out, and the trail can still explain a changed number.
* Erasing a contact removes what identifies them: name, e-mail, external id, organisation, every
  contact attribute, the free-text notes interviewers wrote on their cases' call attempts and the
  mail server's error messages for their invitations (both often quote a name or an address),
  and the reasons staff typed for their cases' dispositions, also where the audit trail copied
  them (replaced by "[erased]"; the codes and dates stay).
  Their answers stay, now anonymous: they are what the programme is evaluated on, the contact
  row no longer says whose they are, and rates keep their denominators. The exception is their
  answers to personal-data questions (``personal_data: yes``, e.g. "How can we contact you?"),
  which are blanked, also where the audit trail copied them: in their own responses, and in any
  response of the project (an anonymous event form, say) whose such answer gives their e-mail
  address. The erasure's audit entry names which fields were cleared, never their values.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..db import Answer, Case, Contact, Instrument, InstrumentVersion, Question, Response
from ..db.audit import AuditEntry
from ..db.base import rows_matched, utcnow
from ..db.sampling import CallAttempt, DispositionChange, Invitation
from ..domain.serialise import personal_data_names
from .audit import record

ERASED_FIELDS = ("name", "email", "external_id", "organisation")
ERASURE_REASON = "data-protection request"
ERASED = "[erased]"


class DataProtectionError(ValueError):
    """A deletion or erasure that cannot be done; the message says why and what to do."""


def find_response(session: Session, project_id: int, response_id: int) -> Response | None:
    """The response with this number if it belongs to the project (else None: not theirs)."""
    return session.scalar(
        select(Response)
        .join(Instrument, Instrument.id == Response.instrument_id)
        .where(Response.id == response_id, Instrument.project_id == project_id)
    )


def delete_response(session: Session, response: Response, reason: str) -> None:
    """Soft-delete ``response``. Raises :class:`DataProtectionError` without a reason or when it
    is already deleted (the first deletion's reason is kept)."""
    reason = reason.strip()
    if not reason:
        raise DataProtectionError("Give a reason for deleting the response (it is kept in the audit trail)")
    if response.deleted_at is not None:
        raise DataProtectionError(
            f"Response {response.id} was already deleted on {response.deleted_at:%d %B %Y}"
        )
    response.deleted_at = utcnow()
    response.deleted_reason = reason
    session.flush()


def find_contact(session: Session, project_id: int, key: str) -> Contact | None:
    """A contact of the project by number, e-mail address or external id (as typed)."""
    key = key.strip()
    if not key:
        return None
    condition = Contact.email == key.lower() if "@" in key else Contact.external_id == key
    # A contact number: ASCII digits within PostgreSQL's ``integer`` (beyond it the query fails).
    if key.isascii() and key.isdigit() and len(key) <= 10 and int(key) <= 2**31 - 1:
        condition = condition | (Contact.id == int(key))
    return session.scalar(
        select(Contact).where(Contact.project_id == project_id, condition).order_by(Contact.id).limit(1)
    )


def _erase_case_reasons(session: Session, case_ids: list[int]) -> int:
    """Replace the free-text reasons staff gave for the cases' dispositions (they may name the
    person) in the case, its disposition history and its audit entries; returns how many cases
    had one. Core statements for the case, so the automatic audit does not copy the old text."""
    if not case_ids:
        return 0
    changed = rows_matched(
        session.execute(
            update(Case)
            .where(Case.id.in_(case_ids), Case.disposition_reason != "")
            .values(disposition_reason=ERASED),
            execution_options={"synchronize_session": False},
        )
    )
    session.execute(
        update(DispositionChange).where(DispositionChange.case_id.in_(case_ids)).values(reason=ERASED),
        execution_options={"synchronize_session": False},
    )
    trail = select(AuditEntry).where(AuditEntry.entity_type == "case", AuditEntry.entity_id.in_(case_ids))
    for entry in session.scalars(trail):
        entry.reason = ERASED if entry.reason else ""
        for side in ("before", "after"):
            values = getattr(entry, side)
            if values and values.get("disposition_reason"):
                setattr(entry, side, {**values, "disposition_reason": ERASED})
    return changed


def _personal_answers_of(session: Session, contact: Contact) -> dict[int, set[str]]:
    """Response id -> names of its personal-data questions with an answer that is the contact's:
    any in their own responses, and those elsewhere in the project that give their e-mail. A
    question counts if the version answered or the current one marks it (a mark added later
    reaches the answers given before it)."""
    mentions = [Response.contact_id == contact.id]
    if contact.email:
        mentions.append(func.lower(Answer.value).contains(contact.email.lower(), autoescape=True))
    rows = session.execute(
        select(Answer.response_id, Question.name, Question.version_id, Instrument.current_version_id)
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Instrument, Instrument.id == Response.instrument_id)
        .where(Instrument.project_id == contact.project_id, Answer.value != "", or_(*mentions))
    ).all()
    personal: dict[int | None, frozenset[str]] = {None: frozenset()}
    found: dict[int, set[str]] = {}
    for response_id, name, *versions in rows:
        for version_id in versions:
            if version_id not in personal:
                version = session.get(InstrumentVersion, version_id)
                personal[version_id] = personal_data_names(version.definition) if version else frozenset()
        if any(name in personal[v] for v in versions):
            found.setdefault(response_id, set()).add(name)
    return found


def _erase_personal_answers(session: Session, contact: Contact) -> int:
    """Blank the contact's answers to personal-data questions (see the module docstring) and
    the copies the response's audit entries hold; returns how many answers were blanked. Core
    statements, so the automatic audit does not copy the old text."""
    found = _personal_answers_of(session, contact)
    blanked = 0
    for response_id, names in found.items():
        questions = select(Question.id).where(Question.name.in_(names)).scalar_subquery()
        blank = (
            update(Answer)
            .where(Answer.response_id == response_id, Answer.question_id.in_(questions), Answer.value != "")
            .values(value="", code=None, number=None)
        )
        blanked += rows_matched(session.execute(blank, execution_options={"synchronize_session": False}))
        trail = select(AuditEntry).where(
            AuditEntry.entity_type == "response", AuditEntry.entity_id == response_id
        )
        for entry in session.scalars(trail):
            for side in ("before", "after"):
                values = getattr(entry, side)
                if values and names & set(values):
                    setattr(entry, side, {k: ERASED if k in names else v for k, v in values.items()})
    return blanked


def erase_contact(session: Session, contact: Contact) -> list[str]:
    """Remove the contact's personal data; returns the names of the fields that held some.

    Raises :class:`DataProtectionError` if the contact was erased already."""
    if contact.erased_at is not None:
        raise DataProtectionError(f"Contact {contact.id} was already erased on {contact.erased_at:%d %B %Y}")
    cleared = [name for name in ERASED_FIELDS if getattr(contact, name)]
    answers = _erase_personal_answers(session, contact)  # before the e-mail it looks for goes
    attributes = len(contact.attributes)
    contact.name, contact.email, contact.external_id, contact.organisation = "", None, None, ""
    contact.attributes.clear()
    contact.erased_at = utcnow()
    cases = select(Case.id).where(Case.contact_id == contact.id).scalar_subquery()
    reasons = _erase_case_reasons(
        session, list(session.scalars(select(Case.id).where(Case.contact_id == contact.id)))
    )
    notes = rows_matched(
        session.execute(
            update(CallAttempt).where(CallAttempt.case_id.in_(cases), CallAttempt.note != "").values(note=""),
            execution_options={"synchronize_session": False},
        )
    )
    errors = rows_matched(
        session.execute(
            update(Invitation).where(Invitation.case_id.in_(cases), Invitation.error != "").values(error=""),
            execution_options={"synchronize_session": False},
        )
    )
    record(
        session,
        action="erase",
        entity="contact",
        entity_id=contact.id,
        before={
            "fields": cleared,
            "attributes": attributes,
            "call_notes": notes,
            "invitation_errors": errors,
            "disposition_reasons": reasons,
            **({"personal_data_answers": answers} if answers else {}),
        },
        after={"erased_at": contact.erased_at},
        reason=ERASURE_REASON,
        project_id=contact.project_id,
    )
    session.flush()
    return cleared
