"""Samples and fieldwork: draws, invitation waves, call attempts, attendance registers, and the
history of dispositions set by staff.

Response rates are only as good as the record of who was asked and what happened, so each step
of fieldwork leaves a row: a :class:`SampleDraw` (method, seed: the draw can be repeated), an
:class:`InvitationWave` with one :class:`Invitation` per case it went to, a :class:`CallAttempt`
per telephone or face-to-face attempt, an :class:`AttendanceEntry` per person on an event's
register, and a :class:`DispositionChange` each time staff set a disposition by hand (the case
keeps the current value; this table keeps every earlier one, with who, when and why).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, BigId, UTCDateTime, utcnow
from .models import Instrument
from .responses import Case, Contact, ContactAttribute

WAVE_KINDS: tuple[str, ...] = ("invitation", "reminder")
SAMPLE_METHODS: tuple[str, ...] = ("simple", "stratified")


class SampleDraw(Base):
    """One random draw from a project's contacts into an instrument's sample.

    ``seed`` with ``method``, ``strata_column`` and ``n`` is everything needed to repeat the draw
    (contacts are ordered by id before drawing); ``allocation`` records, per stratum, the
    population and the number drawn, for the methodology section of a report.
    """

    __tablename__ = "sample_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # simple | stratified
    strata_column: Mapped[str | None] = mapped_column(String(100))
    n: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    allocation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    drawn_by: Mapped[str] = mapped_column(String(200), default="")
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instrument: Mapped[Instrument] = relationship()


class InvitationWave(Base):
    """An invitation or reminder sent to (part of) an instrument's sample on one day."""

    __tablename__ = "invitation_waves"
    __table_args__ = (UniqueConstraint("instrument_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20), default="invitation")  # invitation | reminder
    sent_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instrument: Mapped[Instrument] = relationship()


class Invitation(Base):
    """One case included in one wave. ``sent_at``/``error`` are filled when the tool itself sent
    the e-mail (SMTP); a mail-merge export leaves them empty."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("wave_id", "case_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wave_id: Mapped[int] = mapped_column(ForeignKey("invitation_waves.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str] = mapped_column(Text, default="")


class CallAttempt(Base):
    """One telephone or face-to-face attempt at a case. ``outcome`` is a
    :class:`feedback.domain.dispositions.CallOutcome` value; the case's disposition is derived
    from all its attempts (see ``feedback.services.dispositions``)."""

    __tablename__ = "call_attempts"
    __table_args__ = (Index("ix_call_attempts_case_time", "case_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    interviewer: Mapped[str] = mapped_column(String(200), default="")
    # Staff accounts arrive with the authentication issue; kept as a plain id until then.
    user_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    next_appointment: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()


class AttendanceEntry(Base):
    """One person on an activity's attendance register: the sample of its event feedback form."""

    __tablename__ = "attendance_entries"
    __table_args__ = (UniqueConstraint("activity_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DispositionChange(Base):
    """A disposition set (or cleared) by staff: the case's previous and new value, who and why."""

    __tablename__ = "disposition_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    previous: Mapped[str | None] = mapped_column(String(2))
    new: Mapped[str | None] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(200), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- queries for drawing a sample --------------------------------------------------------------


def sampling_frame(session: Session, project_id: int, instrument_id: int) -> tuple[list[int], int]:
    """The ids of the project's contacts a sample for the instrument may draw, ordered by id (the
    order the draw depends on), and how many contacts the project has in all.

    A contact who already is a case of the instrument is left out: drawing them again would add no
    case, so a sample of N would quietly give fewer than N new cases. Erased contacts are never
    drawn, nor counted.
    """
    contacts = list(
        session.scalars(
            select(Contact.id)
            .where(Contact.project_id == project_id, Contact.erased_at.is_(None))
            .order_by(Contact.id)
        )
    )
    cased = set(
        session.scalars(
            select(Case.contact_id).where(Case.instrument_id == instrument_id, Case.contact_id.is_not(None))
        )
    )
    return [cid for cid in contacts if cid not in cased], len(contacts)


def contact_values(session: Session, contact_ids: list[int], key: str) -> dict[int, str]:
    """Each listed contact's value of attribute ``key`` (contacts without one are left out)."""
    rows = session.execute(
        select(ContactAttribute.contact_id, ContactAttribute.value).where(ContactAttribute.key == key)
    ).all()
    wanted = set(contact_ids)
    return {cid: value for cid, value in rows if cid in wanted}
