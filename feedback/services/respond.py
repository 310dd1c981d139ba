"""Respondent use cases: start a response, save a page, resume, submit.

Every function takes a session and only flushes; the web view owns the transaction (one
``get_db().write()`` per POST). The answers of a partial response are the stored answers: each
page is checked with :func:`feedback.domain.answers.check_answers` against the whole instrument
(so skip rules see earlier pages) and the response's answers are rewritten in one executemany,
which drops answers to questions the rules no longer show.

Idempotency, so a double click, the back button or two tabs store one response:

* starting: the start page carries a random key that becomes ``Response.submission_key``; a
  second POST with the same key finds that response instead of making another. An invited
  case has at most one live response, found by ``case_id``.
  Two identical start POSTs racing on PostgreSQL meet the unique constraint on the key: the
  loser's INSERT (in a savepoint) fails and it returns the winner's response.
* submitting: the response row is read ``FOR UPDATE`` inside the caller's write transaction
  (SQLite's ``BEGIN IMMEDIATE`` serialises writers the same way); a response that is already
  complete is left as it is and reported as such.
* every question page and the check page carry a submission key too, remembered with the answers
  it carried (:mod:`feedback.services.page_keys`): a repeated POST is answered, not stored again.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..db import Activity, Case, Instrument, InstrumentVersion, Response
from ..db.base import table_of, utcnow
from ..domain import serialise
from ..domain.answers import (
    CheckedAnswers,
    applicable_inputs,
    check_answers,
    merge_page,
    page_names,
)
from ..domain.instrument import INTERVIEWER_KINDS, NO_RESPONDENT_KINDS, Page
from ..domain.instrument import Instrument as InstrumentModel
from .access import is_invitation_only
from .responses import Stored, StoredRow, question_ids, skipped_inputs, stored_rows, write_answers

RawAnswers = dict[str, str | list[str]]


class FormNotFound(LookupError):
    """No open or closed instrument, event, invitation or response matches the link."""


class FormClosed(Exception):
    """The instrument no longer takes responses (``Instrument.status == "closed"``)."""

    def __init__(self, instrument: Instrument):
        self.instrument = instrument
        # Read now: the handler runs after the transaction rolled back and detached the instance.
        self.title = instrument.title
        super().__init__(instrument.slug)


class InvitationOnly(Exception):
    """``/f/<slug>`` without a personal link, for an instrument taking answers by invitation only
    (see :mod:`feedback.services.access`)."""

    def __init__(self, instrument: Instrument):
        self.title = instrument.title
        super().__init__(instrument.slug)


def require_public_access(session: Session, instrument: Instrument) -> None:
    """Refuse a start without an invitation where the instrument is invitation-only."""
    if is_invitation_only(session, instrument):
        raise InvitationOnly(instrument)


class AlreadyCompleted(Exception):
    """An invitation whose response has been submitted: it can be completed once."""

    def __init__(self, instrument: Instrument):
        self.instrument = instrument
        self.title = instrument.title  # read now, as in FormClosed: the handler runs after rollback
        super().__init__(instrument.slug)


@dataclass
class Attempt:
    """A response in progress with everything needed to show or check its pages."""

    response: Response
    instrument: Instrument
    model: InstrumentModel
    activity: Activity | None = None  # the event a feedback response is about

    @property
    def complete(self) -> bool:
        return self.response.status == "complete"


def new_token() -> str:
    """256 random bits, URL-safe (43 characters): resume links and start keys."""
    return secrets.token_urlsafe(32)


_MODELS: dict[str, InstrumentModel] = {}


def _model(session: Session, version_id: int | None, digest: str | None = None) -> InstrumentModel:
    """The version's domain model, cached by content digest (a stored version never changes), so
    the definition's JSON is read and parsed only the first time a process meets a version."""
    if digest is None:
        digest = session.scalar(select(InstrumentVersion.digest).where(InstrumentVersion.id == version_id))
    if digest is None:
        raise FormNotFound("instrument without a version")
    model = _MODELS.get(digest)
    if model is None:
        version = session.get(InstrumentVersion, version_id)
        if version is None:  # gone since its digest was read
            raise FormNotFound("instrument without a version")
        if len(_MODELS) > 64:
            _MODELS.clear()
        model = _MODELS[digest] = serialise.from_dict(version.definition)
    return model


def open_instrument(
    session: Session, slug: str, *, self_completion: bool = True
) -> tuple[Instrument, InstrumentModel]:
    """The instrument behind ``/f/<slug>``. Drafts are not found; closed ones raise FormClosed.

    Instruments an interviewer administers (or with no respondents at all) are not answered on
    the public web (``self_completion``); their paper version is still available.
    """
    instrument = session.scalar(select(Instrument).where(Instrument.slug == slug))
    if instrument is None or instrument.status == "draft" or instrument.current_version_id is None:
        raise FormNotFound(slug)
    if self_completion and instrument.kind in INTERVIEWER_KINDS | NO_RESPONDENT_KINDS:
        raise FormNotFound(slug)
    if instrument.status == "closed":
        raise FormClosed(instrument)
    return instrument, _model(session, instrument.current_version_id)


def find_case(session: Session, instrument: Instrument, token: str, *, for_update: bool = False) -> Case:
    """The invitation behind ``?t=<token>``; raises AlreadyCompleted once it has been answered.

    ``for_update`` locks the case row (PostgreSQL) so two tabs starting the same invitation at
    once make one response; SQLite's ``BEGIN IMMEDIATE`` serialises them anyway."""
    query = select(Case).where(Case.token == token, Case.instrument_id == instrument.id)
    case = session.scalar(query.with_for_update() if for_update else query)
    if case is None:
        raise FormNotFound("invitation")
    if case_response(session, case, status="complete") is not None:
        raise AlreadyCompleted(instrument)
    return case


def find_event(session: Session, short_code: str) -> tuple[Activity, Instrument, InstrumentModel]:
    """The activity behind ``/e/<code>`` and its project's open event feedback instrument."""
    activity = session.scalar(select(Activity).where(Activity.short_code == short_code))
    if activity is None:
        raise FormNotFound(short_code)
    candidates = session.scalars(
        select(Instrument)
        .where(Instrument.project_id == activity.project_id, Instrument.kind == "event_feedback")
        .order_by(Instrument.id)
    ).all()
    usable = [i for i in candidates if i.status != "draft" and i.current_version_id is not None]
    if not usable:
        raise FormNotFound(short_code)
    instrument = next((i for i in usable if i.status == "open"), usable[0])
    if instrument.status == "closed":
        raise FormClosed(instrument)
    return activity, instrument, _model(session, instrument.current_version_id)


def case_response(session: Session, case: Case, status: str | None = None) -> Response | None:
    query = select(Response).where(Response.case_id == case.id, Response.deleted_at.is_(None))
    if status:
        query = query.where(Response.status == status)
    return session.scalars(query.order_by(Response.id)).first()


def start_response(
    session: Session,
    instrument: Instrument,
    *,
    key: str,
    case: Case | None = None,
    activity: Activity | None = None,
) -> Response:
    """Create a web response (or return the one this start key or invitation already made)."""
    if case is not None:
        existing = case_response(session, case)
        if existing is not None:
            return existing
    if key:
        existing = session.scalar(select(Response).where(Response.submission_key == key))
        if existing is not None and existing.instrument_id == instrument.id:
            return existing
    activity_id = activity.id if activity else (case.activity_id if case else None)
    response = Response(
        instrument_id=instrument.id,
        version_id=instrument.current_version_id,
        case_id=case.id if case else None,
        contact_id=case.contact_id if case else None,
        activity_id=activity_id,
        status="partial",
        mode="web",
        resume_token=new_token(),
        submission_key=key or None,
        started_at=utcnow(),
    )
    try:
        with session.begin_nested():  # a racing POST with the same key may have inserted it first
            session.add(response)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(Response).where(Response.submission_key == key)) if key else None
        if existing is None or existing.instrument_id != instrument.id:
            raise
        return existing
    return response


# Built once: every respondent request runs it, and building it cost more than running it.
_ATTEMPT = (
    select(Response, Instrument, InstrumentVersion.digest)
    .join(Instrument, Instrument.id == Response.instrument_id)
    .join(InstrumentVersion, InstrumentVersion.id == Response.version_id)
    .where(
        Response.resume_token == bindparam("token"),
        Instrument.slug == bindparam("slug"),
        Response.deleted_at.is_(None),
    )
)
_ATTEMPT_FOR_UPDATE = _ATTEMPT.with_for_update(of=Response)
_responses = table_of(Response)
_UPDATE_COUNTS = (
    update(_responses)
    .where(_responses.c.id == bindparam("rid"))
    .values(
        answered=bindparam("new_answered"),
        applicable=bindparam("new_applicable"),
        updated_at=bindparam("new_updated_at"),
    )
)


def load_attempt(session: Session, slug: str, resume_token: str, *, for_update: bool = False) -> Attempt:
    """The response behind a resume link, with its instrument version's model.

    One query for the response, its instrument and its version's digest. ``for_update`` locks the
    response row only (``OF responses``): locking the joined instrument row too would make every
    respondent's POST to that instrument wait for the others on PostgreSQL."""
    query = _ATTEMPT_FOR_UPDATE if for_update else _ATTEMPT
    row = session.execute(query, {"token": resume_token, "slug": slug}).first()
    if row is None:
        raise FormNotFound("response")
    response, instrument, digest = row
    if instrument.status == "closed" and response.status != "complete":
        raise FormClosed(instrument)
    activity = session.get(Activity, response.activity_id) if response.activity_id else None
    return Attempt(response, instrument, _model(session, response.version_id, digest), activity)


def stored_answers(session: Session, attempt: Attempt) -> RawAnswers:
    """The response's answers as text, as a form would post them (lists for select_multiple)."""
    return _as_raw(session, attempt, stored_rows(session, attempt.response.id).answers)


def _as_raw(session: Session, attempt: Attempt, rows: Mapping[int, list[StoredRow]]) -> RawAnswers:
    names = {qid: name for name, qid in question_ids(session, attempt.response.version_id).items()}
    raw: RawAnswers = {}
    for qid, values in rows.items():
        name = names.get(qid)
        if name is None:
            continue
        qtype = attempt.model.question(name).type
        if qtype == "select_multiple":
            raw[name] = [value for value, _code, _number in values]
        elif qtype != "calculate":
            raw[name] = values[-1][0]
    return raw


def _store(
    session: Session,
    attempt: Attempt,
    checked: CheckedAnswers,
    existing: Stored | None = None,
) -> None:
    response = attempt.response
    ids = question_ids(session, response.version_id)
    write_answers(
        session,
        response.id,
        attempt.model,
        checked.values,
        ids,
        replace=True,
        skipped=skipped_inputs(attempt.model, checked),
        existing=existing,
    )
    counts = {
        "answered": checked.answered,
        "applicable": applicable_inputs(attempt.model, checked),
        "updated_at": utcnow(),
    }
    # One prebuilt Core UPDATE, then the loaded object told the new values as already stored: the
    # ORM's unit-of-work flush cost as much as writing every answer (profiled on a page POST).
    params = {"rid": response.id, **{f"new_{name}": value for name, value in counts.items()}}
    session.connection().execute(_UPDATE_COUNTS, params)
    for name, value in counts.items():
        set_committed_value(response, name, value)


def save_page(
    session: Session,
    attempt: Attempt,
    page: Page,
    posted: Mapping[str, object],
    *,
    enforce_required: bool = True,
) -> CheckedAnswers:
    """Store this page's valid answers with the rest of the response; return the checked result.

    Errors concern this page only; the valid answers are stored anyway, so nothing typed is lost
    when the page comes back with its errors. Answers that the new values make irrelevant (on
    any page) are dropped. A complete response is never changed.
    """
    if attempt.complete:
        return check_answers(attempt.model, stored_answers(session, attempt), enforce_required=False)
    existing = stored_rows(session, attempt.response.id)  # read once: to merge, and to diff
    merged = merge_page(_as_raw(session, attempt, existing.answers), page, posted)
    checked = check_answers(attempt.model, merged, only=page_names(page), enforce_required=enforce_required)
    _store(session, attempt, checked, existing)
    return checked


@dataclass(frozen=True)
class SubmitOutcome:
    submitted: bool  # False: there are errors (see checked.errors)
    already: bool  # True: it had been submitted before (a double POST); nothing changed
    checked: CheckedAnswers | None = None


def submit(session: Session, attempt: Attempt) -> SubmitOutcome:
    """Check every answer and mark the response complete, once. Load ``attempt`` for update."""
    if attempt.complete:
        return SubmitOutcome(submitted=True, already=True)
    existing = stored_rows(session, attempt.response.id)
    raw = _as_raw(session, attempt, existing.answers)
    checked = check_answers(attempt.model, raw, enforce_required=True)
    if not checked.ok:
        return SubmitOutcome(submitted=False, already=False, checked=checked)
    _store(session, attempt, checked, existing)  # usually nothing differs: no answer is rewritten
    response = attempt.response
    now = utcnow()
    response.status = "complete"
    response.submitted_at = now
    response.duration_seconds = max(0, int((now - response.started_at).total_seconds()))
    session.flush()
    return SubmitOutcome(submitted=True, already=False, checked=checked)
