"""Summary tables of an instrument: SQL counts (``db.summary_queries``) turned into report tables
(``domain.summary``), with labels from the instrument's current version.

These are the functions the CLI, the export and the staff pages call; they only read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Choice, Instrument, Question
from ..db.summary_queries import (
    InstrumentCounts,
    ResponseFilter,
    attribute_counts,
    instrument_counts,
    pair_counts,
    text_answers,
)
from ..domain.instrument import Instrument as InstrumentModel
from ..domain.profile import profile_question_names, profile_title
from ..domain.summary import (
    CrossTab,
    FrequencyTable,
    NumericSummary,
    PercentBase,
    ProfileTable,
    QuestionInfo,
    crosstab,
    frequency_table,
    numeric_summary,
    profile_table,
)
from .identified import personal_questions
from .instruments import current_model, get_instrument
from .invitations import waves

CLOSED = ("select_one", "select_multiple")
NUMERIC = ("integer", "decimal")


class UnknownQuestion(LookupError):
    """A question name the instrument's current version does not have."""


class UnknownWave(LookupError):
    """A wave number that is not an invitation wave of the instrument (the message says why)."""


def invitation_waves(session: Session, instrument: Instrument) -> list[tuple[int, str]]:
    """(number, label) of the instrument's invitation waves: those a wave filter can select.

    Reminders are left out: a response belongs to the wave that first invited its case (see
    :class:`ResponseFilter`), and a reminder first invites nobody."""
    return [
        (wave.number, f"Wave {wave.number}: invitation sent {wave.sent_on:%-d %b %Y}")
        for wave in waves(session, instrument.id)
        if wave.kind == "invitation"
    ]


def check_wave(session: Session, instrument: Instrument, number: int) -> None:
    """Raise :class:`UnknownWave`, saying which waves there are, unless ``number`` is one of the
    instrument's invitation waves."""
    every = {wave.number: wave.kind for wave in waves(session, instrument.id)}
    if every.get(number) == "invitation":
        return
    invitations = ", ".join(str(n) for n, kind in sorted(every.items()) if kind == "invitation") or "none"
    if number in every:
        reason = (
            f"wave {number} of '{instrument.slug}' is a reminder; a response belongs to the "
            "invitation wave that first reached its case"
        )
    else:
        reason = f"'{instrument.slug}' has no wave {number}"
    raise UnknownWave(f"{reason} (invitation waves: {invitations})")


@dataclass(frozen=True)
class InstrumentSummary:
    slug: str
    title: str
    responses: dict[str, int]
    tables: tuple[FrequencyTable | NumericSummary, ...]

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.slug,
            "title": self.title,
            "responses": dict(self.responses),
            "questions": [t.to_json_dict() for t in self.tables],
        }

    def table(self, name: str) -> FrequencyTable | NumericSummary:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)


def question_infos(session: Session, instrument: Instrument) -> dict[str, QuestionInfo]:
    """Every question of the current version, in order, with its choices in definition order,
    except personal-data questions: summaries, cross-tabs and free-text pages never show them."""
    version_id = instrument.current_version_id
    personal = personal_questions(session, instrument)
    questions = session.execute(
        select(Question.name, Question.label, Question.type, Question.list_name)
        .where(Question.version_id == version_id)
        .order_by(Question.position)
    ).all()
    choices: dict[str, list[tuple[str, str]]] = {}
    for list_name, name, label in session.execute(
        select(Choice.list_name, Choice.name, Choice.label)
        .where(Choice.version_id == version_id)
        .order_by(Choice.list_name, Choice.position)
    ):
        choices.setdefault(list_name, []).append((name, label))
    return {
        name: QuestionInfo(name, label or name, qtype, tuple(choices.get(list_name or "", ())))
        for name, label, qtype, list_name in questions
        if name not in personal
    }


def _table(info: QuestionInfo, counts: InstrumentCounts) -> FrequencyTable | NumericSummary:
    if info.type in NUMERIC:
        agg = counts.numeric.get(info.name)
        return numeric_summary(
            info.name,
            info.label,
            n=agg.n if agg else 0,
            mean=agg.mean if agg else None,
            median=agg.median if agg else None,
            minimum=agg.minimum if agg else None,
            maximum=agg.maximum if agg else None,
            missing=counts.missing(info.name),
            not_shown=counts.not_shown.get(info.name, 0),
            type=info.type,
        )
    multiple = info.type == "select_multiple"
    codes = counts.codes.get(info.name, {})
    answered = counts.answered_closed.get(info.name, 0)
    if not multiple:
        # One code per answer, so this equals ``answered`` unless a response holds two rows for
        # one select_one (impossible through record_response); the sum keeps the table coherent.
        answered = sum(codes.values())
    return frequency_table(
        info,
        codes,
        answered=answered,
        missing=counts.missing(info.name),
        not_shown=counts.not_shown.get(info.name, 0),
        multiple=multiple,
    )


def summarise(
    session: Session, slug: str, scope: ResponseFilter | None = None, names: Sequence[str] | None = None
) -> InstrumentSummary:
    """Frequency tables for closed questions and numeric summaries, in question order.

    ``names`` limits the tables to those questions. Raises ``UnknownInstrument``.
    """
    instrument = get_instrument(session, slug)
    scope = scope or ResponseFilter()
    infos = question_infos(session, instrument)
    wanted = [
        info
        for info in infos.values()
        if info.type in CLOSED + NUMERIC and (names is None or info.name in names)
    ]
    numeric = [i.name for i in wanted if i.type in NUMERIC]
    multiple = [i.name for i in wanted if i.type == "select_multiple"]
    counts = instrument_counts(session, instrument.id, scope, numeric, multiple)
    return InstrumentSummary(
        slug=instrument.slug,
        title=instrument.title,
        responses=counts.by_status,
        tables=tuple(_table(info, counts) for info in wanted),
    )


def profile(
    session: Session, slug: str, names: Sequence[str], title: str, scope: ResponseFilter | None = None
) -> ProfileTable:
    """Several closed questions stacked into one report table (e.g. the respondent profile)."""
    summary = summarise(session, slug, scope, names)
    tables = {t.name: t for t in summary.tables if isinstance(t, FrequencyTable)}
    unknown = [n for n in names if n not in tables]
    if unknown:
        raise UnknownQuestion(f"not closed questions of '{slug}': {', '.join(unknown)}")
    return profile_table(title, [tables[n] for n in names])


def respondent_profile(summary: InstrumentSummary, model: InstrumentModel) -> ProfileTable | None:
    """The instrument's respondent profile (see :mod:`feedback.domain.profile` for which
    questions form it), stacked from tables already in ``summary``: no further query, and the
    same filter as the rest of the summary. None when the instrument has no profile."""
    names = profile_question_names(model)
    tables = {t.name: t for t in summary.tables if isinstance(t, FrequencyTable)}
    chosen = [tables[name] for name in names if name in tables]
    if not chosen:
        return None
    return profile_table(profile_title(model), chosen)


def report_sections(
    summary: InstrumentSummary, model: InstrumentModel
) -> tuple[ProfileTable | None, tuple[FrequencyTable | NumericSummary, ...]]:
    """What a report lays out: the respondent profile first (None when the instrument has none),
    then every other table once, in question order. A profile question is not repeated below
    the profile, so the workbook's Summary sheet and the Word report show each question once."""
    profile = respondent_profile(summary, model)
    shown = {section.table.name for section in profile.sections} if profile else set()
    return profile, tuple(t for t in summary.tables if t.name not in shown)


def summary_sections(
    session: Session, summary: InstrumentSummary
) -> tuple[ProfileTable | None, tuple[FrequencyTable | NumericSummary, ...]]:
    """:func:`report_sections` for a summary of the instrument's current version: what the staff
    summary page lays out, in the same order as the Summary sheet and the Word report."""
    return report_sections(summary, current_model(session, summary.slug))


def _closed_info(infos: dict[str, QuestionInfo], slug: str, name: str) -> QuestionInfo:
    info = infos.get(name)
    if info is None or info.type not in CLOSED:
        raise UnknownQuestion(f"'{name}' is not a closed question of '{slug}'")
    return info


def question_crosstab(
    session: Session,
    slug: str,
    row_name: str,
    column_name: str,
    percent: PercentBase = "column",
    scope: ResponseFilter | None = None,
) -> CrossTab:
    """One closed question against another, counting respondents who answered both.

    Every count and base is of people, also for a select_multiple question (a person ticking two
    options is in two rows but counts once in each base), as in :func:`summarise`."""
    instrument = get_instrument(session, slug)
    infos = question_infos(session, instrument)
    row_q = _closed_info(infos, slug, row_name)
    col_q = _closed_info(infos, slug, column_name)
    counts = pair_counts(session, instrument.id, scope or ResponseFilter(), row_name, column_name)
    return crosstab(row_q, col_q, counts, percent)


def attribute_crosstab(
    session: Session,
    slug: str,
    row_name: str,
    attribute: str,
    percent: PercentBase = "column",
    scope: ResponseFilter | None = None,
) -> CrossTab:
    """A closed question by a contact attribute (e.g. ``region``), its values as columns; the
    base is the people who answered the question and have the attribute recorded."""
    instrument = get_instrument(session, slug)
    row_q = _closed_info(question_infos(session, instrument), slug, row_name)
    counts = attribute_counts(session, instrument.id, scope or ResponseFilter(), row_name, attribute)
    column = QuestionInfo(attribute, attribute.replace("_", " ").capitalize(), "attribute")
    return crosstab(row_q, column, counts, percent)


@dataclass(frozen=True)
class TextAnswer:
    response_id: int
    question: str
    answer: str


def text_answers_page(
    session: Session,
    slug: str,
    names: Sequence[str] | None = None,
    scope: ResponseFilter | None = None,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[TextAnswer]:
    """A page of free-text answers (all text questions, or ``names``), by response: what the
    free-text coding page lists. Empty answers are left out."""
    instrument = get_instrument(session, slug)
    texts = [i.name for i in question_infos(session, instrument).values() if i.type == "text"]
    wanted = [n for n in texts if names is None or n in names]
    if not wanted:
        return []
    query = (
        text_answers(session, instrument.id, scope or ResponseFilter(), wanted).limit(limit).offset(offset)
    )
    return [TextAnswer(rid, name, value) for rid, name, value in session.execute(query)]
