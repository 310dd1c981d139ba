"""Interviewer mode: which interviewer works which case, and the record of each interview.

A case is assigned to at most one interviewer (:class:`CaseAssignment`); an interviewer's case
list is the cases assigned to them. An interview is an ordinary :class:`~.responses.Response`
(mode telephone, face to face or e-mail) plus one :class:`InterviewRecord` holding what a
self-completion response has no use for: who interviewed, on which day, the last text typed
(``draft``, so nothing typed is lost even when it does not pass the checks yet) and
``lock_version``, the counter that turns a second person's save over a newer version into a
conflict instead of a silent overwrite.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    Select,
    String,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from ..domain.dispositions import CallOutcome
from .accounts import User
from .base import Base, BigId, UTCDateTime, utcnow
from .models import Instrument
from .rate_queries import dispositions_subquery
from .responses import Case, Contact, ContactAttribute
from .sampling import CallAttempt

INTERVIEW_MODES: tuple[tuple[str, str], ...] = (
    ("telephone", "Telephone"),
    ("face_to_face", "Face to face"),
    ("email", "E-mail"),
)

#: Dispositions that end a case whatever else happens: interviewed (I) and not eligible (NE).
FINISHED_CODES: tuple[str, ...] = ("I", "NE")


class CaseAssignment(Base):
    """The interviewer a case is assigned to (one per case; reassigning replaces the row)."""

    __tablename__ = "case_assignments"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(200), default="")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InterviewRecord(Base):
    """One interview: its response, interviewer, date, last draft and version counter.

    ``case_id`` is unique, so two interviewers starting the same case at once make one record
    (the second insert fails and is reported as a conflict).
    """

    __tablename__ = "interview_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("responses.id", ondelete="CASCADE"), unique=True
    )
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    interviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    interviewer: Mapped[str] = mapped_column(String(200), default="")
    interview_date: Mapped[date | None] = mapped_column(Date)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    draft: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    saved_by: Mapped[str] = mapped_column(String(200), default="")
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def case_states(project_id: int) -> Subquery:
    """One row per case of the project: its final disposition and whether the case is finished.

    The disposition is :func:`~.rate_queries.dispositions_subquery`'s, the one every rate counts.
    A case is *finished*, so nobody is given it or asked to call it, when that disposition is I or
    NE (:data:`FINISHED_CODES`), or when the non-response is final: staff set the disposition by
    hand (as invitations treat it, the case is closed), the person opted out, or a call ended in
    "Refused, do not call again" (the hard refusal the disposition rules treat as final).
    """
    hard_refusal = exists().where(
        CallAttempt.case_id == Case.id, CallAttempt.outcome == CallOutcome.hard_refusal.value
    )
    closed = or_(Case.disposition.is_not(None), Case.opted_out.is_(True), hard_refusal)
    rows = dispositions_subquery(None, case((closed, 1), else_=0).label("closed"))
    inner = rows.where(Instrument.project_id == project_id).subquery("states")
    finished = case((or_(inner.c.disposition.in_(FINISHED_CODES), inner.c.closed == 1), 1), else_=0)
    return select(
        inner.c.case_id, inner.c.instrument_id, inner.c.disposition, finished.label("finished")
    ).subquery("d")


def unfinished(states: Subquery) -> ColumnElement[bool]:
    """The WHERE clause keeping only the cases still to be worked (see :func:`case_states`)."""
    return states.c.finished == 0


def case_list_query(project_id: int, user_id: int | None, *, include_finished: bool = False) -> Select[Any]:
    """Cases to call in a project, one row each, appointments due first: the case, its
    instrument's title, who it is, how to reach them (telephone, e-mail), attempts so far, the
    latest attempt, the next appointment, the derived disposition and the assigned interviewer.

    ``user_id`` limits the list to that interviewer's cases; None lists every assigned case (for
    evaluators supervising the fieldwork). Finished cases (:func:`case_states`) are left out unless
    ``include_finished``. One statement: paginate it, never loop over cases.
    """
    attempts = (
        select(
            CallAttempt.case_id.label("case_id"),
            func.count().label("attempts"),
            func.max(CallAttempt.attempted_at).label("last_at"),
            func.max(CallAttempt.next_appointment).label("appointment"),
        )
        .group_by(CallAttempt.case_id)
        .subquery("a")
    )
    phones = (
        select(
            ContactAttribute.contact_id.label("contact_id"), func.min(ContactAttribute.value).label("phone")
        )
        .where(ContactAttribute.key.in_(("phone", "telephone", "tel", "phone_number", "mobile")))
        .group_by(ContactAttribute.contact_id)
        .subquery("p")
    )
    # An appointment counts until someone calls at or after its time (the callback was made).
    appointment = case(
        (attempts.c.appointment > attempts.c.last_at, attempts.c.appointment), else_=None
    ).label("appointment")
    dispositions = case_states(project_id)
    stmt = (
        select(
            Case.id.label("case_id"),
            Instrument.title.label("instrument"),
            func.coalesce(Contact.name, literal("")).label("name"),
            func.coalesce(Contact.organisation, literal("")).label("organisation"),
            phones.c.phone,
            Contact.email,
            func.coalesce(attempts.c.attempts, 0).label("attempts"),
            attempts.c.last_at,
            appointment,
            dispositions.c.disposition,
            dispositions.c.finished,
            User.name.label("interviewer"),
        )
        .join(Instrument, Instrument.id == Case.instrument_id)
        .join(CaseAssignment, CaseAssignment.case_id == Case.id)
        .join(User, User.id == CaseAssignment.user_id)
        .outerjoin(Contact, Contact.id == Case.contact_id)
        .outerjoin(phones, phones.c.contact_id == Case.contact_id)
        .outerjoin(attempts, attempts.c.case_id == Case.id)
        .outerjoin(dispositions, dispositions.c.case_id == Case.id)
        .where(Instrument.project_id == project_id)
        .order_by(case((appointment.is_(None), 1), else_=0), appointment, Case.id)
    )
    if user_id is not None:
        stmt = stmt.where(CaseAssignment.user_id == user_id)
    if not include_finished:
        stmt = stmt.where(unfinished(dispositions))
    return stmt
