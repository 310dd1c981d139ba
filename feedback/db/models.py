"""Programmes, projects, activities and instruments (with their versions, questions and choices).

An instrument keeps every version it has had; responses point at the version they answered, so
editing a questionnaire never changes what an old answer meant.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow


class Programme(Base):
    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    projects: Mapped[list[Project]] = relationship(back_populates="programme", order_by="Project.id")


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    lead_organisation: Mapped[str] = mapped_column(String(200), default="")
    area: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme: Mapped[Programme | None] = relationship(back_populates="projects")
    activities: Mapped[list[Activity]] = relationship(back_populates="project", order_by="Activity.id")


class Activity(Base):
    """One event or piece of work (a conference, a training day, an e-bulletin).

    ``series`` groups events of the same activity (the report counts "Action Learning sets: North
    East 2"), ``attending`` is the head count when known: the denominator for its feedback forms.
    """

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="event")
    series: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date | None] = mapped_column(Date)
    region: Mapped[str] = mapped_column(String(100), default="")
    attending: Mapped[int | None] = mapped_column(Integer)
    attending_note: Mapped[str] = mapped_column(String(300), default="")
    short_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship(back_populates="activities")


class Instrument(Base):
    __tablename__ = "instruments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="open")  # draft | open | closed
    # The share of applicable questions a non-submitted response needs to count as partial (AAPOR P);
    # 0 means "any": at least one answer (see feedback.domain.partial).
    partial_threshold: Mapped[float] = mapped_column(Float, default=0.5)
    # Who may answer without a personal link: None follows the sample (an instrument with a
    # contact list is by invitation only), "open" or "invitation" as the evaluator chose.
    access: Mapped[str | None] = mapped_column(String(20))
    # e, the estimated eligible share of unknown-eligibility cases; None means the AAPOR default.
    eligibility_e: Mapped[float | None] = mapped_column(Float)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("instrument_versions.id", use_alter=True, name="fk_instruments_current_version")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    project: Mapped[Project | None] = relationship()
    versions: Mapped[list[InstrumentVersion]] = relationship(
        back_populates="instrument",
        foreign_keys="InstrumentVersion.instrument_id",
        order_by="InstrumentVersion.number",
    )
    current_version: Mapped[InstrumentVersion | None] = relationship(foreign_keys=[current_version_id])


class InstrumentVersion(Base):
    __tablename__ = "instrument_versions"
    __table_args__ = (
        UniqueConstraint("instrument_id", "number"),
        UniqueConstraint("instrument_id", "digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instruments.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100), default="")  # the author's settings.version
    digest: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instrument: Mapped[Instrument] = relationship(back_populates="versions", foreign_keys=[instrument_id])
    questions: Mapped[list[Question]] = relationship(order_by="Question.position", back_populates="version")


class Question(Base):
    """A question row of one version, so answers can be counted with SQL per question."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("instrument_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    list_name: Mapped[str | None] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)

    version: Mapped[InstrumentVersion] = relationship(back_populates="questions")


class Choice(Base):
    __tablename__ = "choices"
    __table_args__ = (UniqueConstraint("version_id", "list_name", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("instrument_versions.id"), index=True)
    list_name: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
