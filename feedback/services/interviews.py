"""Interviewer mode: assigning cases, and saving an interview with optimistic concurrency.

Only unfinished cases are counted and handed out (:func:`feedback.db.interviews.case_states`:
the disposition every rate counts, so a complete or not-eligible case is never given again).

An interview is saved whole (every topic at once) many times: by the Save button, and by the
page's autosave every twenty seconds and on leaving a box. Each save names the version it started
from and the *page* it came from (a token the interview page is rendered with). A save over a
newer version written from another page (someone else, or the same person in another tab) is a
:class:`Conflict` and writes nothing, so the later writer is told instead of silently replacing
the other's notes. A newer version written from the *same* page is that page's own earlier save
(its autosave racing its "Save and mark complete"), never a conflict. The version check is one
conditional ``UPDATE ... WHERE lock_version = :seen`` (atomic on SQLite and PostgreSQL alike);
the first save of a case inserts the record, whose unique ``case_id`` turns two simultaneous
first saves into one record and one conflict.

A case has at most one live response (the database refuses a second). A case answered before it
had an interview record (the demo, a web or paper response, a call logged as done) is opened
with that response's stored answers, and saving edits that same response; as any staff rewrite
of answers, the edit is on the audit trail.

What was typed is kept as typed in ``InterviewRecord.draft`` even when it does not pass the
checks (a half-typed number, a note under a question the rules now hide), so a reload shows it
again; only answers that pass :func:`feedback.domain.answers.check_answers` become answers.
Functions flush and never commit: the view owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import Case, Instrument, InstrumentVersion, Response
from ..db.accounts import ProjectRole, User
from ..db.base import rows_matched, utcnow
from ..db.interviews import INTERVIEW_MODES, CaseAssignment, InterviewRecord, case_states, unfinished
from ..domain.answers import CheckedAnswers, applicable_inputs, check_answers
from ..domain.instrument import Instrument as InstrumentModel
from .instruments import model_of
from .respond import Attempt, stored_answers
from .responses import question_ids, skipped_inputs, write_answers

MAX_DURATION_MINUTES = 24 * 60
#: The draft's key for the page that wrote the current version. No question can be called this
#: (names start with a letter or ``_``), so it never meets an answer.
PAGE_KEY = "@page"


class AssignmentError(ValueError):
    """Cases that cannot be assigned as asked; the message says which field to change."""


class InterviewNotFound(LookupError):
    """No such case in the project, or (for an interviewer) not one of their cases."""


@dataclass
class Interview:
    """A case being interviewed: its instrument and model, and the response and record once saved."""

    case: Case
    instrument: Instrument
    model: InstrumentModel
    response: Response | None
    record: InterviewRecord | None

    @property
    def version(self) -> int:
        return self.record.lock_version if self.record else 0

    def typed(self, session: Session) -> dict[str, str | list[str]]:
        """What the schedule shows: the last text typed, or, for a case answered before it had
        an interview record, its response's stored answers."""
        if self.record is not None:
            return {k: v for k, v in self.record.draft.items() if k != PAGE_KEY}
        if self.response is None:
            return {}
        return stored_answers(session, Attempt(self.response, self.instrument, self.model))


@dataclass(frozen=True)
class Details:
    """How the interview was done, as typed: mode, date (ISO or text) and minutes."""

    mode: str = "telephone"
    interview_date: str = ""
    minutes: str = ""


@dataclass(frozen=True)
class Conflict:
    """A save over a version it did not start from; nothing was written."""

    saved_by: str
    saved_at: str
    version: int


@dataclass
class SaveResult:
    checked: CheckedAnswers | None = None
    errors: dict[str, str] = field(default_factory=dict)  # answers' and details' errors, by field
    conflict: Conflict | None = None
    version: int = 0
    completed: bool = False


def assign_cases(session: Session, case_ids: Iterable[int], user: User, *, assigned_by: str = "") -> int:
    """Give cases to an interviewer (replacing any earlier assignment); returns how many."""
    ids = sorted(set(case_ids))
    if not ids:
        return 0
    session.execute(delete(CaseAssignment).where(CaseAssignment.case_id.in_(ids)))
    session.execute(
        insert(CaseAssignment),
        [
            {"case_id": i, "user_id": user.id, "assigned_by": assigned_by, "assigned_at": utcnow()}
            for i in ids
        ],
    )
    session.flush()
    return len(ids)


def unassigned_counts(session: Session, project_id: int) -> list[tuple[Instrument, int]]:
    """The project's instruments with cases still to be worked, and how many of those nobody has
    yet (finished cases are not waiting for anyone)."""
    states = case_states(project_id)
    rows = session.execute(
        select(Instrument, func.count(states.c.case_id))
        .join(states, states.c.instrument_id == Instrument.id)
        .outerjoin(CaseAssignment, CaseAssignment.case_id == states.c.case_id)
        .where(CaseAssignment.case_id.is_(None), unfinished(states))
        .group_by(Instrument.id)
        .order_by(Instrument.title)
    ).all()
    return [(instrument, count) for instrument, count in rows]


def project_interviewers(session: Session, project_id: int) -> list[User]:
    """People who may be given cases: the project's interviewers and evaluators (active ones)."""
    return list(
        session.scalars(
            select(User)
            .join(ProjectRole, ProjectRole.user_id == User.id)
            .where(
                ProjectRole.project_id == project_id,
                ProjectRole.role.in_(("interviewer", "evaluator")),
                User.active.is_(True),
            )
            .order_by(User.name, User.email)
        )
    )


def assign_unassigned(
    session: Session, project_id: int, instrument_id: int, user_id: int, count: int, *, assigned_by: str = ""
) -> int:
    """Give the next ``count`` unassigned, unfinished cases of an instrument (oldest first) to an
    interviewer.

    Raises :class:`AssignmentError` when the instrument is not the project's or the person is
    not one of its interviewers or evaluators.
    """
    instrument = session.get(Instrument, instrument_id)
    if instrument is None or instrument.project_id != project_id:
        raise AssignmentError("Choose one of this project's instruments")
    user = next((u for u in project_interviewers(session, project_id) if u.id == user_id), None)
    if user is None:
        raise AssignmentError("Choose an interviewer or evaluator of this project")
    if not 1 <= count <= 10_000:
        raise AssignmentError("Enter how many cases to assign, from 1 to 10000")
    states = case_states(project_id)
    ids = session.scalars(
        select(states.c.case_id)
        .outerjoin(CaseAssignment, CaseAssignment.case_id == states.c.case_id)
        .where(states.c.instrument_id == instrument_id, CaseAssignment.case_id.is_(None), unfinished(states))
        .order_by(states.c.case_id)
        .limit(count)
    ).all()
    return assign_cases(session, ids, user, assigned_by=assigned_by)


def assigned_to(session: Session, case_id: int) -> int | None:
    return session.scalar(select(CaseAssignment.user_id).where(CaseAssignment.case_id == case_id))


def load_interview(
    session: Session, project_id: int, case_id: int, *, interviewer_id: int | None = None
) -> Interview:
    """The case's interview, checking that the case is in the project and, when
    ``interviewer_id`` is given, assigned to that interviewer. Raises :class:`InterviewNotFound`."""
    found = session.execute(
        select(Case, Instrument)
        .join(Instrument, Instrument.id == Case.instrument_id)
        .where(Case.id == case_id, Instrument.project_id == project_id)
    ).first()
    if found is None or found[1].current_version_id is None:
        raise InterviewNotFound(case_id)
    case, instrument = found
    if interviewer_id is not None and assigned_to(session, case.id) != interviewer_id:
        raise InterviewNotFound(case_id)
    record = session.scalar(select(InterviewRecord).where(InterviewRecord.case_id == case.id))
    if record is not None:
        response = session.get(Response, record.response_id)
    else:  # answered before it had an interview record: that response is the case's one response
        response = session.scalar(
            select(Response).where(Response.case_id == case.id, Response.deleted_at.is_(None)).limit(1)
        )
    version_id = response.version_id if response else instrument.current_version_id
    version = session.get(InstrumentVersion, version_id)
    if version is None:  # the version row went (the foreign keys forbid it): no interview to show
        raise InterviewNotFound(case_id)
    return Interview(case, instrument, model_of(version), response, record)


def check_details(details: Details) -> tuple[dict[str, str], date | None, int | None]:
    """Errors in the mode, date and duration fields, with the parsed date and seconds."""
    errors: dict[str, str] = {}
    if details.mode not in dict(INTERVIEW_MODES):
        errors["mode"] = "Select how the interview was done: telephone, face to face or e-mail"
    when: date | None = None
    if details.interview_date:
        try:
            when = date.fromisoformat(details.interview_date)
        except ValueError:
            errors["interview_date"] = "Enter a real date for the interview, like 27 3 2024"
    seconds: int | None = None
    if details.minutes.strip():
        text = details.minutes.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) > MAX_DURATION_MINUTES:
            errors["minutes"] = f"Enter the length in whole minutes, from 0 to {MAX_DURATION_MINUTES}"
        else:
            seconds = int(text) * 60
    return errors, when, seconds


def _own_save(record: InterviewRecord | None, raw: Mapping[str, object], user: User, page: str) -> bool:
    """Whether the record's current version is this page's own (so saving over it is no conflict).

    It is when the page's token wrote it (an autosave still on its way when "Save and mark
    complete" was pressed), or, from a page without a token, when the same person saved the same
    text (a double click on Save).
    """
    if record is None:
        return False
    if page:
        return record.draft.get(PAGE_KEY) == page
    typed = {k: v for k, v in record.draft.items() if k != PAGE_KEY}
    return record.interviewer_id == user.id and typed == dict(raw)


def _claim(session: Session, interview: Interview, seen: int, user: User) -> Conflict | None:
    """Move the record from version ``seen`` to ``seen + 1``, or report who got there first."""
    if interview.record is None:
        if seen == 0 and _first_record(session, interview, user):
            return None
        return _current_conflict(session, interview)
    claimed = session.execute(
        update(InterviewRecord)
        .where(InterviewRecord.id == interview.record.id, InterviewRecord.lock_version == seen)
        .values(lock_version=seen + 1, saved_by=user.name or user.email, saved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(interview.record)
    if rows_matched(claimed) != 1:
        return _conflict(interview.record)
    return None


def _first_record(session: Session, interview: Interview, user: User) -> bool:
    """Make the case's interview record (version 1), on the case's response if it has one.

    False when another save made the record first, or a response for the case appeared meanwhile
    (the database's one-live-response-per-case index): that is a conflict, nothing is written.
    """
    response = interview.response or Response(
        instrument_id=interview.instrument.id,
        version_id=interview.instrument.current_version_id,
        case_id=interview.case.id,
        contact_id=interview.case.contact_id,
        activity_id=interview.case.activity_id,
        status="partial",
    )
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
            record = InterviewRecord(
                response_id=response.id,
                case_id=interview.case.id,
                interviewer_id=user.id,
                interviewer=user.name or user.email,
                lock_version=1,
                draft={},
                saved_by=user.name or user.email,
            )
            session.add(record)
            session.flush()
    except IntegrityError:
        return False
    interview.response, interview.record = response, record
    return True


def _current_conflict(session: Session, interview: Interview) -> Conflict:
    current = session.scalar(select(InterviewRecord).where(InterviewRecord.case_id == interview.case.id))
    return _conflict(current)


def _conflict(record: InterviewRecord | None) -> Conflict:
    if record is None:
        return Conflict("someone", "", 0)
    return Conflict(record.saved_by, record.saved_at.strftime("%H:%M on %d %b %Y"), record.lock_version)


def save_interview(
    session: Session,
    interview: Interview,
    raw: Mapping[str, str | list[str]],
    details: Details,
    *,
    seen_version: int,
    user: User,
    complete: bool = False,
    page: str = "",
) -> SaveResult:
    """Save the whole interview as typed, starting from ``seen_version``, from the page ``page``.

    Answers that pass the checks are stored (rewriting the response's answers in one
    executemany); everything typed is kept in the draft. ``complete=True`` also enforces required
    answers and, when they are all there, marks the response complete. A version newer than
    ``seen_version`` that this page wrote itself is saved over (see :func:`_own_save`); any other
    is a :class:`Conflict` in the result, and nothing was written.
    """
    errors, when, seconds = check_details(details)
    if interview.record is not None and _own_save(interview.record, raw, user, page):
        seen_version = interview.record.lock_version
    conflict = _claim(session, interview, seen_version, user)
    if conflict is not None:
        return SaveResult(conflict=conflict, version=conflict.version)
    record, response = interview.record, interview.response
    if record is None or response is None:  # _claim makes both or returns a conflict
        raise RuntimeError(f"case {interview.case.id}: claimed an interview without its record and response")
    checked = check_answers(interview.model, raw, enforce_required=complete)
    write_answers(
        session,
        response.id,
        interview.model,
        checked.values,
        question_ids(session, response.version_id),
        replace=True,
        skipped=skipped_inputs(interview.model, checked),
    )
    record.draft = {**raw, PAGE_KEY: page} if page else dict(raw)
    record.interviewer_id, record.interviewer = user.id, user.name or user.email
    _store_details(record, response, details, errors, when, seconds)
    response.answered = checked.answered
    response.applicable = applicable_inputs(interview.model, checked)
    response.updated_at = utcnow()
    errors.update(checked.errors)
    done = complete and not errors
    if done and response.status != "complete":
        response.status = "complete"
        response.submitted_at = utcnow()
    session.flush()
    return SaveResult(checked=checked, errors=errors, version=record.lock_version, completed=done)


def _store_details(
    record: InterviewRecord,
    response: Response,
    details: Details,
    errors: Mapping[str, str],
    when: date | None,
    seconds: int | None,
) -> None:
    """The mode, date and length that passed their checks (the others keep their stored value)."""
    if "mode" not in errors:
        response.mode = details.mode
    if when is not None:
        record.interview_date = when
    if seconds is not None:
        response.duration_seconds = seconds
