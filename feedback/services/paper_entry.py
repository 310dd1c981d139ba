"""Keying paper questionnaires back in, with optional double data entry.

Each keyed form is checked by :func:`feedback.domain.answers.check_answers` exactly as a web
response is (types, options, constraints, skip rules), and stored as a complete response with
mode ``paper`` and the batch's event. Required answers are *not* enforced: a question the
respondent left blank on paper is missing data, and a keyer who had to invent an answer to get
past the form would be worse than a blank.

Double data entry keys a sample of forms again (every n-th of the batch, or forms chosen by
hand) without showing the first keying; the second keying is compared with the stored answers
and the differences are listed for someone to settle against the paper. Functions flush and
never commit: the view owns the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Activity, Answer, Instrument, InstrumentVersion, Question, Response
from ..db.accounts import User
from ..db.base import utcnow
from ..db.paper import PaperBatch, PaperEntry
from ..domain.answers import AnswerValue, CheckedAnswers, applicable_inputs, check_answers, storable
from ..domain.instrument import NO_RESPONDENT_KINDS
from ..domain.instrument import Instrument as InstrumentModel
from .instruments import model_of
from .responses import question_ids, skipped_inputs, write_answers

MAX_SECOND_EVERY = 1000


class PaperEntryError(ValueError):
    """A batch that cannot be started as asked; the message says which field to change."""


def paper_instruments(session: Session, project_id: int) -> list[Instrument]:
    """The project's instruments that can be keyed (published, with respondents)."""
    return list(
        session.scalars(
            select(Instrument)
            .where(
                Instrument.project_id == project_id,
                Instrument.current_version_id.is_not(None),
                Instrument.status != "draft",
                Instrument.kind.not_in(NO_RESPONDENT_KINDS),
            )
            .order_by(Instrument.title)
        )
    )


def start_batch(
    session: Session,
    project_id: int,
    user: User,
    *,
    instrument_id: int | None,
    activity_id: int | None,
    second_every: int = 0,
) -> PaperBatch:
    """A new batch for an instrument and (optionally) an event of the same project."""
    instrument = session.get(Instrument, instrument_id) if instrument_id else None
    if instrument is None or instrument.project_id != project_id or instrument.current_version_id is None:
        raise PaperEntryError("Choose the questionnaire the paper forms are for")
    if activity_id is not None:
        activity = session.get(Activity, activity_id)
        if activity is None or activity.project_id != project_id:
            raise PaperEntryError("Choose an event of this project, or no event")
    if not 0 <= second_every <= MAX_SECOND_EVERY:
        raise PaperEntryError(
            f"Enter how often to key a form twice as a whole number from 0 to {MAX_SECOND_EVERY}"
        )
    batch = PaperBatch(
        project_id=project_id,
        instrument_id=instrument.id,
        activity_id=activity_id,
        user_id=user.id,
        keyed_by=user.name or user.email,
        second_every=second_every,
    )
    session.add(batch)
    session.flush()
    return batch


def batch_model(session: Session, batch: PaperBatch) -> tuple[Instrument, InstrumentVersion, InstrumentModel]:
    """The batch's instrument, its current version and model.

    Batches are started only for instruments with a version (:func:`paper_instruments`), and
    neither instruments nor versions are ever deleted, so a missing one is a broken database.
    """
    instrument = session.get(Instrument, batch.instrument_id)
    if instrument is None:
        raise RuntimeError(f"paper batch {batch.id}: its instrument {batch.instrument_id} is gone")
    version = session.get(InstrumentVersion, instrument.current_version_id)
    if version is None:
        raise RuntimeError(f"paper batch {batch.id}: instrument {instrument.slug} has no current version")
    return instrument, version, model_of(version)


def batch_count(session: Session, batch_id: int) -> int:
    return session.scalar(select(func.count()).where(PaperEntry.batch_id == batch_id)) or 0


def entry_for_key(session: Session, batch: PaperBatch, key: str) -> PaperEntry | None:
    """The form of this batch already stored under the page's key (a double click, a resent POST)."""
    if not key:
        return None
    return session.scalar(
        select(PaperEntry)
        .join(Response, Response.id == PaperEntry.response_id)
        .where(Response.submission_key == key, PaperEntry.batch_id == batch.id)
    )


def enter_form(
    session: Session, batch: PaperBatch, raw: Mapping[str, object], *, key: str = ""
) -> tuple[PaperEntry | None, CheckedAnswers]:
    """Check and store one keyed form; with errors nothing is stored and the entry is None.

    ``key`` is the entry page's random key, kept as the response's ``submission_key`` so that
    :func:`entry_for_key` finds the form again when the same page is posted twice.
    """
    instrument, version, model = batch_model(session, batch)
    checked = check_answers(model, raw, enforce_required=False)
    if not checked.ok:
        return None, checked
    now = utcnow()
    response = Response(
        instrument_id=instrument.id,
        version_id=version.id,
        activity_id=batch.activity_id,
        status="complete",
        mode="paper",
        answered=checked.answered,
        applicable=applicable_inputs(model, checked),
        started_at=now,
        submitted_at=now,
        submission_key=key[:64] or None,
    )
    session.add(response)
    session.flush()
    write_answers(
        session,
        response.id,
        model,
        checked.values,
        question_ids(session, version.id),
        skipped=skipped_inputs(model, checked),
    )
    seq = batch_count(session, batch.id) + 1
    entry = PaperEntry(
        response_id=response.id,
        batch_id=batch.id,
        seq=seq,
        needs_second=bool(batch.second_every) and seq % batch.second_every == 0,
    )
    session.add(entry)
    session.flush()
    return entry, checked


def next_for_second(session: Session, batch_id: int) -> PaperEntry | None:
    """The first form of the batch waiting for its second keying."""
    return session.scalar(
        select(PaperEntry)
        .where(
            PaperEntry.batch_id == batch_id,
            PaperEntry.needs_second.is_(True),
            PaperEntry.second_values.is_(None),
        )
        .order_by(PaperEntry.seq)
        .limit(1)
    )


def _texts(model: InstrumentModel, values: Mapping[str, AnswerValue]) -> dict[str, str]:
    """Answers as the text stored in the answers table, codes of a multiple choice joined by spaces."""
    out = {}
    for name, value in values.items():
        try:
            question = model.question(name)
        except KeyError:
            continue
        if question.is_input:
            out[name] = " ".join(text for text, _code, _number in storable(question, value))
    return out


def key_second(
    session: Session, batch: PaperBatch, entry: PaperEntry, raw: Mapping[str, object], user: User
) -> CheckedAnswers:
    """Check and keep the second keying of a form (as text); errors keep nothing."""
    _instrument, _version, model = batch_model(session, batch)
    checked = check_answers(model, raw, enforce_required=False)
    if checked.ok:
        entry.second_values = _texts(model, checked.values)
        entry.needs_second = True
        entry.second_keyed_by = user.name or user.email
        entry.second_keyed_at = utcnow()
        session.flush()
    return checked


@dataclass(frozen=True)
class Discrepancy:
    seq: int
    response_id: int
    question: str
    label: str
    first: str
    second: str


def discrepancies(session: Session, batch: PaperBatch) -> tuple[int, list[Discrepancy]]:
    """How many forms were keyed twice, and every answer on which the two keyings differ.

    Two queries whatever the batch size: the keyed-twice entries, then their stored answers.
    """
    _instrument, _version, model = batch_model(session, batch)
    entries = list(
        session.scalars(
            select(PaperEntry)
            .where(PaperEntry.batch_id == batch.id, PaperEntry.second_values.is_not(None))
            .order_by(PaperEntry.seq)
        )
    )
    first: dict[int, dict[str, list[str]]] = {e.response_id: {} for e in entries}
    if entries:
        rows = session.execute(
            select(Answer.response_id, Question.name, Answer.value)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.response_id.in_(list(first)))
            .order_by(Answer.id)
        )
        for response_id, name, value in rows:
            first[response_id].setdefault(name, []).append(value)
    found = []
    for entry in entries:
        firsts = {name: " ".join(values) for name, values in first[entry.response_id].items()}
        seconds = entry.second_values or {}
        for question in model.input_questions():
            a, b = firsts.get(question.name, ""), str(seconds.get(question.name, ""))
            if a != b:
                found.append(Discrepancy(entry.seq, entry.response_id, question.name, question.label, a, b))
    return len(entries), found
