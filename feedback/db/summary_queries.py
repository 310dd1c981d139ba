"""Counts behind the summary tables, as SQL aggregates over every version of an instrument.

Questions are matched across versions *by name* (a response points at the version it answered;
``Question`` rows are per version), so a table for ``org_type`` adds up answers given to every
version that asked it. Nothing here loops over responses or answers in Python: each function is
one ``GROUP BY`` (or a handful, one per numeric question for the SQLite median).

"Not shown" comes from ``skipped_questions`` (written when a response is saved, see
:mod:`feedback.db.skips`), plus the responses whose version did not ask the question at all.
"Missing" is what is left: responses in scope - answered - not shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..domain.crosstab import CrossCounts
from .models import Instrument, InstrumentVersion, Question
from .responses import Answer, Case, ContactAttribute, Response
from .sampling import Invitation, InvitationWave
from .skips import SkippedQuestion

STATUSES: tuple[str, ...] = ("complete", "partial")


@dataclass(frozen=True)
class ResponseFilter:
    """Which responses a summary or export covers. Empty tuples mean "any".

    Deleted responses are always left out. The date range applies to the submission time, or,
    for responses never submitted (partials), to their last update, and is half-open:
    ``since <= t < until``.

    ``wave`` is an invitation wave's number (per instrument): the responses of the cases *first
    invited* in that wave. That is the definition an evaluator comparing waves needs: each case
    belongs to exactly one wave, however many reminders it later got, so the waves' responses
    add up to the invited sample's. Reminder waves go to cases already invited, so no case is
    first invited in one and a reminder's number selects nothing (the CLI and the staff page
    refuse it with that reason). A response is tied to its case by ``case_id``; one recorded
    without a case (an import with an e-mail address, a paper form) through its contact, which
    has at most one case per instrument. Responses nobody was invited to are in no wave.
    """

    statuses: tuple[str, ...] = ()
    modes: tuple[str, ...] = ()
    activity_ids: tuple[int, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    include_demo: bool = True
    wave: int | None = None

    def conditions(self, instrument_id: int) -> list[ColumnElement[bool]]:
        when = func.coalesce(Response.submitted_at, Response.updated_at)
        out: list[ColumnElement[bool]] = [
            Response.instrument_id == instrument_id,
            Response.deleted_at.is_(None),
        ]
        if self.statuses:
            out.append(Response.status.in_(self.statuses))
        if self.modes:
            out.append(Response.mode.in_(self.modes))
        if self.activity_ids:
            out.append(Response.activity_id.in_(self.activity_ids))
        if self.since is not None:
            out.append(when >= self.since)
        if self.until is not None:
            out.append(when < self.until)
        if not self.include_demo:
            out.append(Response.is_demo.is_(False))
        if self.wave is not None:
            out.append(_in_wave(instrument_id, self.wave))
        return out


def _in_wave(instrument_id: int, number: int) -> ColumnElement[bool]:
    """Responses whose case (or, lacking a case, whose contact's case) was first invited in the
    wave numbered ``number``: a subquery, so the filter costs no query of its own."""
    first_invited = (
        select(Invitation.case_id)
        .join(InvitationWave, InvitationWave.id == Invitation.wave_id)
        .where(InvitationWave.instrument_id == instrument_id)
        .group_by(Invitation.case_id)
        .having(func.min(InvitationWave.number) == number)
    )
    contacts = select(Case.contact_id).where(Case.id.in_(first_invited), Case.contact_id.is_not(None))
    return or_(
        Response.case_id.in_(first_invited),
        and_(Response.case_id.is_(None), Response.contact_id.in_(contacts)),
    )


@dataclass(frozen=True)
class NumericAggregate:
    n: int
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None


@dataclass
class InstrumentCounts:
    """Everything the summary tables of one instrument need, keyed by question name."""

    by_status: dict[str, int] = field(default_factory=dict)
    in_scope: int = 0
    codes: dict[str, dict[str, int]] = field(default_factory=dict)
    answered: dict[str, int] = field(default_factory=dict)
    answered_closed: dict[str, int] = field(default_factory=dict)
    not_shown: dict[str, int] = field(default_factory=dict)
    numeric: dict[str, NumericAggregate] = field(default_factory=dict)

    def missing(self, name: str) -> int:
        """Shown but not answered (never negative, even for inconsistent legacy data)."""
        return max(0, self.in_scope - self.answered.get(name, 0) - self.not_shown.get(name, 0))


def _answers_in_scope(columns: Sequence[Any], where: Iterable[ColumnElement[bool]]) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(*where)
    )


def response_counts(session: Session, instrument_id: int, scope: ResponseFilter) -> dict[str, int]:
    """Responses in scope by status; ``complete`` and ``partial`` are always present."""
    rows = session.execute(
        select(Response.status, func.count())
        .where(*scope.conditions(instrument_id))
        .group_by(Response.status)
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def _not_in_version(session: Session, instrument_id: int, scope: ResponseFilter) -> dict[str, int]:
    """Responses whose version did not ask a question that another version asked, by name.

    The current version counts even when no response in scope used it: the summary's tables are
    its questions, so answers all given to an older version are "not shown" a question added
    since, never "missing" it."""
    per_version = dict(
        session.execute(
            select(Response.version_id, func.count())
            .where(*scope.conditions(instrument_id))
            .group_by(Response.version_id)
        ).all()
    )
    current = session.scalar(
        select(Instrument.current_version_id).where(Instrument.id == instrument_id)
    )
    versions = set(per_version) | ({current} if current is not None else set())
    if len(versions) < 2:
        return {}
    names: dict[int, set[str]] = {vid: set() for vid in versions}
    for vid, name in session.execute(
        select(Question.version_id, Question.name).where(Question.version_id.in_(versions))
    ):
        names[vid].add(name)
    every = set().union(*names.values())
    out: dict[str, int] = {}
    for vid, count in per_version.items():
        for name in every - names[vid]:
            out[name] = out.get(name, 0) + count
    return out


def question_names(session: Session, instrument_id: int) -> dict[int, str]:
    """Question id -> name for every version of the instrument."""
    rows = session.execute(
        select(Question.id, Question.name)
        .join(InstrumentVersion, InstrumentVersion.id == Question.version_id)
        .where(InstrumentVersion.instrument_id == instrument_id)
    )
    return {qid: name for qid, name in rows}


def _ids_of(names_by_id: dict[int, str], names: Iterable[str]) -> list[int]:
    wanted = set(names)
    return [qid for qid, name in names_by_id.items() if name in wanted]


def instrument_counts(
    session: Session,
    instrument_id: int,
    scope: ResponseFilter,
    numeric_names: Sequence[str] = (),
    multiple_names: Sequence[str] = (),
) -> InstrumentCounts:
    """Run the aggregates for one instrument: a fixed number of queries, whatever its size.

    One scan of the answers grouped by (question id, code) gives the choice counts and, for every
    question answered with one row per response, the number who answered it. Only the
    ``multiple_names`` (select_multiple: one row per ticked choice) need a ``COUNT(DISTINCT)``,
    restricted to their question ids. Grouping by id and adding up by name in Python (a few
    hundred groups at most) avoids joining every answer to its question.
    """
    where = scope.conditions(instrument_id)
    names = question_names(session, instrument_id)
    counts = InstrumentCounts(by_status=response_counts(session, instrument_id, scope))
    counts.in_scope = sum(counts.by_status.values())
    multiple = set(multiple_names)

    code_rows = session.execute(
        select(Answer.question_id, Answer.code, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(*where)
        .group_by(Answer.question_id, Answer.code)
    )
    for qid, code, n in code_rows:
        name = names.get(qid)
        if name is None:
            continue
        if code is not None:
            by_code = counts.codes.setdefault(name, {})
            by_code[code] = by_code.get(code, 0) + n
        if name not in multiple:
            counts.answered[name] = counts.answered.get(name, 0) + n
            if code is not None:
                counts.answered_closed[name] = counts.answered_closed.get(name, 0) + n

    multi_ids = _ids_of(names, multiple)
    if multi_ids:
        # A response answers one version, so distinct counts per question id add up by name.
        for qid, n in session.execute(
            select(Answer.question_id, func.count(distinct(Answer.response_id)))
            .join(Response, Response.id == Answer.response_id)
            .where(*where, Answer.question_id.in_(multi_ids))
            .group_by(Answer.question_id)
        ):
            name = names[qid]
            counts.answered[name] = counts.answered.get(name, 0) + n
            counts.answered_closed[name] = counts.answered_closed.get(name, 0) + n

    for qid, n in session.execute(
        select(SkippedQuestion.question_id, func.count())
        .join(Response, Response.id == SkippedQuestion.response_id)
        .where(*where)
        .group_by(SkippedQuestion.question_id)
    ):
        name = names.get(qid)
        if name is not None:
            counts.not_shown[name] = counts.not_shown.get(name, 0) + n
    for name, n in _not_in_version(session, instrument_id, scope).items():
        counts.not_shown[name] = counts.not_shown.get(name, 0) + n

    if numeric_names:
        counts.numeric = numeric_aggregates(session, instrument_id, scope, numeric_names, names)
    return counts


def numeric_aggregates(
    session: Session,
    instrument_id: int,
    scope: ResponseFilter,
    names: Sequence[str],
    names_by_id: dict[int, str] | None = None,
) -> dict[str, NumericAggregate]:
    """n, mean, median, min and max per question in one query.

    The median is ``percentile_cont(0.5)`` on PostgreSQL; SQLite has none, so there the middle one
    or two values of each question are picked with ``row_number()`` over its ordered numbers and
    averaged in SQL. Questions are grouped by a canonical id per name (the same question in every
    version), so no answer needs joining to its question row.
    """
    names_by_id = names_by_id or question_names(session, instrument_id)
    ids = _ids_of(names_by_id, names)
    if not ids:
        return {}
    canonical: dict[str, int] = {}
    for qid in sorted(ids):
        canonical.setdefault(names_by_id[qid], qid)
    key = case({qid: canonical[names_by_id[qid]] for qid in ids}, value=Answer.question_id)
    where = [*scope.conditions(instrument_id), Answer.number.is_not(None), Answer.question_id.in_(ids)]
    scoped = select(
        key.label("key"),
        Answer.number.label("number"),
        func.row_number().over(partition_by=key, order_by=Answer.number).label("rank"),
        func.count().over(partition_by=key).label("n"),
    ).join(Response, Response.id == Answer.response_id)
    if session.get_bind().dialect.name == "postgresql":
        query = (
            select(
                key,
                func.count(),
                func.avg(Answer.number),
                func.min(Answer.number),
                func.max(Answer.number),
                func.percentile_cont(0.5).within_group(Answer.number),
            )
            .join(Response, Response.id == Answer.response_id)
            .where(*where)
            .group_by(key)
        )
    else:
        ranked = scoped.where(*where).subquery()
        middle = ranked.c.rank.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        query = select(
            ranked.c.key,
            func.count(),
            func.avg(ranked.c.number),
            func.min(ranked.c.number),
            func.max(ranked.c.number),
            func.avg(ranked.c.number).filter(middle),
        ).group_by(ranked.c.key)
    return {
        names_by_id[qid]: NumericAggregate(n, _float(mean), _float(median), _float(low), _float(high))
        for qid, n, mean, low, high, median in session.execute(query)
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _respondents(session: Session, pairs: Select[Any]) -> CrossCounts:
    """People behind a cross-tab, from ``pairs`` of (response id, row code, column code).

    Every count is ``COUNT(DISTINCT response_id)``, so someone who ticked two options of a
    select_multiple question is one person in each margin and in the total, not two: the base of
    a multiple-choice percentage is the people who answered, as in the frequency tables. Four
    small aggregates over the same join (SQLite has no ``GROUPING SETS``).
    """
    p = pairs.subquery()
    people = func.count(distinct(p.c.response_id))
    by_pair = select(p.c.row, p.c.col, people).group_by(p.c.row, p.c.col)
    cells = {(r, c): n for r, c, n in session.execute(by_pair)}
    rows = {r: n for r, n in session.execute(select(p.c.row, people).group_by(p.c.row))}
    columns = {c: n for c, n in session.execute(select(p.c.col, people).group_by(p.c.col))}
    return CrossCounts(cells, rows, columns, session.scalar(select(people)) or 0)


def _closed_answers(scope: ResponseFilter, instrument_id: int, name: str) -> list[ColumnElement[bool]]:
    """Answers in scope to the closed question ``name``: "answered" as the frequency tables count
    it (an answer row with a choice code; a select_multiple gives one row per ticked option)."""
    return [*scope.conditions(instrument_id), Question.name == name, Answer.code.is_not(None)]


def pair_counts(
    session: Session, instrument_id: int, scope: ResponseFilter, row_name: str, column_name: str
) -> CrossCounts:
    """People by (row answer code, column answer code), and the margins: only those who answered
    both questions. Either question may be select_multiple (see :func:`_respondents`)."""
    a2 = aliased(Answer)
    q2 = aliased(Question)
    pairs = (
        _answers_in_scope(
            (Answer.response_id.label("response_id"), Answer.code.label("row"), a2.code.label("col")),
            _closed_answers(scope, instrument_id, row_name),
        )
        .join(a2, a2.response_id == Answer.response_id)
        .join(q2, and_(q2.id == a2.question_id, q2.name == column_name))
        .where(a2.code.is_not(None))
    )
    return _respondents(session, pairs)


def attribute_counts(
    session: Session, instrument_id: int, scope: ResponseFilter, row_name: str, key: str
) -> CrossCounts:
    """People by (answer code, contact attribute value), through ``Response.contact_id``, and
    the margins. Responses without a contact, or whose contact lacks the attribute, are not
    counted."""
    pairs = _answers_in_scope(
        (
            Answer.response_id.label("response_id"),
            Answer.code.label("row"),
            ContactAttribute.value.label("col"),
        ),
        _closed_answers(scope, instrument_id, row_name),
    ).join(
        ContactAttribute,
        and_(ContactAttribute.contact_id == Response.contact_id, ContactAttribute.key == key),
    )
    return _respondents(session, pairs)


def text_answers(
    session: Session, instrument_id: int, scope: ResponseFilter, names: Sequence[str]
) -> Select[Any]:
    """A query for every answer to the named (free-text) questions, by response then question;
    stream it with ``session.execute(query.execution_options(yield_per=...))``."""
    return _answers_in_scope(
        (Answer.response_id, Question.name, Answer.value),
        [*scope.conditions(instrument_id), Question.name.in_(names), Answer.value != ""],
    ).order_by(Answer.response_id, Answer.id)
