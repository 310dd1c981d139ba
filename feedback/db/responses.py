"""Contacts, cases (a contact in an instrument's sample), responses and answers.

Every case has a token and, in the end, an AAPOR disposition; every response points at the
instrument version it answered. Answers are one row per value (a ``select_multiple`` gives one
row per ticked choice) so that frequency tables are a single ``GROUP BY``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, BigId, UTCDateTime, utcnow
from .models import Activity, Instrument, InstrumentVersion


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("project_id", "email"),
        UniqueConstraint("project_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(300), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attributes: Mapped[list[ContactAttribute]] = relationship(
        cascade="all, delete-orphan", order_by="ContactAttribute.key"
    )


class ContactAttribute(Base):
    """Any other column of a contact list (org_type, region...): one row each, so rates by
    subgroup are a join and a GROUP BY on every database."""

    __tablename__ = "contact_attributes"
    __table_args__ = (Index("ix_contact_attributes_key_value", "key", "value"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), default="")


class Case(Base):
    """One member of an instrument's sample: an invited contact, an attendee, an agency to call.

    ``token`` is the personal link (at least 128 random bits); unique and NOT NULL, so the
    database itself refuses a second case with the same link.
    """

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("instrument_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    disposition: Mapped[str | None] = mapped_column(String(2))  # None: derived from what happened
    disposition_reason: Mapped[str] = mapped_column(Text, default="")
    disposition_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    bounced: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instrument: Mapped[Instrument] = relationship()
    contact: Mapped[Contact | None] = relationship()


#: One live response per case: a second one would count the case twice in every rate and table.
#: Partial (``WHERE``) so that a soft-deleted response does not block answering again; written the
#: same for SQLite and PostgreSQL, which both support partial unique indexes.
_ONE_RESPONSE_PER_CASE = "case_id IS NOT NULL AND deleted_at IS NULL"


class Response(Base):
    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_instrument_status", "instrument_id", "status"),
        Index(
            "uq_responses_live_case",
            "case_id",
            unique=True,
            sqlite_where=text(_ONE_RESPONSE_PER_CASE),
            postgresql_where=text(_ONE_RESPONSE_PER_CASE),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("instrument_versions.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="partial")  # partial | complete
    mode: Mapped[str] = mapped_column(String(20), default="web")
    answered: Mapped[int] = mapped_column(Integer, default=0)  # questions answered
    applicable: Mapped[int] = mapped_column(Integer, default=0)  # questions shown by the rules
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    resume_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_reason: Mapped[str] = mapped_column(Text, default="")

    instrument: Mapped[Instrument] = relationship()
    version: Mapped[InstrumentVersion] = relationship()
    activity: Mapped[Activity | None] = relationship()
    case: Mapped[Case | None] = relationship()


class Answer(Base):
    """One value, as text. ``code`` repeats a chosen option's code (short, indexed: frequency
    tables group by it) and ``number`` a numeric answer (so SQL can average it). Free text stays
    out of the index because PostgreSQL's btree rows are limited to about 2.7 kB."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_question_code", "question_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    value: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(200))
    number: Mapped[float | None] = mapped_column(Float)
