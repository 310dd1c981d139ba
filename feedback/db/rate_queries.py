"""Disposition counts with SQL aggregates: per instrument, event, project, wave and subgroup.

Every case's final disposition is one SQL ``CASE`` expression (:func:`dispositions_subquery`)
over three things the database already knows: the case row (a disposition staff set, opted out,
bounced), its responses (aggregated per case) and its call attempts (the deciding attempt picked
by a window function). Counting is then a ``GROUP BY`` on that expression, so a report never
loads responses into Python one by one.

The rules are those of :mod:`feedback.domain.dispositions`, translated; tests check the SQL
against the pure functions on random data. Precedence, first match wins:

1. a disposition set by staff (``cases.disposition``);
2. event feedback: a form returned -> I (complete) or P (at or above the partial threshold),
   anything else -> R: the register is the sample, so a form not returned is an implicit refusal;
3. a case with call attempts: the deciding attempt's code (NE stays NE), unless a complete
   response says I or a partial one above the threshold says P;
4. web: complete -> I; started -> P at or above the threshold, else R; opted out -> R;
   bounced -> UO; nothing -> UH.

Event feedback collected without cases (anonymous paper forms) is counted per event by
:func:`event_counts`: forms returned against the register, or the head count when there is no
register.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from ..domain.dispositions import OUTCOME_RULES
from ..domain.rates import DISPOSITIONS
from .models import Activity, Instrument
from .responses import Case, ContactAttribute, Response
from .sampling import AttendanceEntry, CallAttempt, Invitation, InvitationWave

MISSING_VALUE = "(missing)"
#: Tolerance for comparing answered/applicable with a float threshold: far below 1/applicable
#: for any real instrument, so 5 of 10 meets a threshold of 0.5 exactly as the domain's Fractions do.
_EPSILON = 1e-9


def _above_threshold() -> ColumnElement[int]:
    """1 when a response meets its instrument's partial rule (a threshold of 0 is ``any``)."""
    return case(
        (
            and_(
                Response.applicable > 0,
                Response.answered > 0,
                Response.answered >= Instrument.partial_threshold * Response.applicable - _EPSILON,
            ),
            1,
        ),
        else_=0,
    )


def response_facts(as_of: datetime | None = None) -> Subquery:
    """Per case: whether any response is complete, how many were returned, whether any reached
    the instrument's partial threshold. ``as_of`` ignores what happened at or after that time."""
    complete = Response.status == "complete"
    if as_of is not None:
        complete = and_(complete, Response.submitted_at < as_of)
    query = (
        select(
            Response.case_id.label("case_id"),
            func.max(case((complete, 1), else_=0)).label("complete"),
            func.count().label("returned"),
            func.max(_above_threshold()).label("above"),
        )
        .join(Instrument, Instrument.id == Response.instrument_id)
        .where(Response.case_id.is_not(None), Response.deleted_at.is_(None))
        .group_by(Response.case_id)
    )
    if as_of is not None:
        query = query.where(Response.started_at < as_of)
    return query.subquery("facts")


def deciding_attempts(as_of: datetime | None = None) -> Subquery:
    """Per case with call attempts, the code of the deciding attempt: highest tier, then latest
    (see :data:`feedback.domain.dispositions.OUTCOME_RULES`)."""
    tier = case({o.value: r.tier for o, r in OUTCOME_RULES.items()}, value=CallAttempt.outcome, else_=-1)
    code = case({o.value: r.code for o, r in OUTCOME_RULES.items()}, value=CallAttempt.outcome, else_="UH")
    ranked = select(
        CallAttempt.case_id.label("case_id"),
        code.label("code"),
        func.row_number()
        .over(
            partition_by=CallAttempt.case_id,
            order_by=(tier.desc(), CallAttempt.attempted_at.desc(), CallAttempt.id.desc()),
        )
        .label("rank"),
    )
    if as_of is not None:
        ranked = ranked.where(CallAttempt.attempted_at < as_of)
    inner = ranked.subquery("ranked")
    return select(inner.c.case_id, inner.c.code).where(inner.c.rank == 1).subquery("attempts")


def disposition_expression(
    facts: Subquery, attempts: Subquery, as_of: datetime | None = None
) -> ColumnElement[str]:
    """The final disposition of the case in the current row, as one SQL CASE (module docstring)."""
    returned = func.coalesce(facts.c.returned, 0) > 0
    complete = facts.c.complete == 1
    above = facts.c.above == 1
    staff_set: ColumnElement[bool] = Case.disposition.is_not(None)
    if as_of is not None:
        staff_set = and_(staff_set, or_(Case.disposition_set_at.is_(None), Case.disposition_set_at < as_of))
    return case(
        (staff_set, Case.disposition),
        (
            Instrument.kind == "event_feedback",
            case((complete, literal("I")), (and_(returned, above), literal("P")), else_=literal("R")),
        ),
        (
            attempts.c.code.is_not(None),
            case(
                (attempts.c.code == "NE", literal("NE")),
                (complete, literal("I")),
                (and_(returned, above), literal("P")),
                else_=attempts.c.code,
            ),
        ),
        (complete, literal("I")),
        (returned, case((above, literal("P")), else_=literal("R"))),
        (Case.opted_out.is_(True), literal("R")),
        (Case.bounced.is_(True), literal("UO")),
        else_=literal("UH"),
    )


def dispositions_subquery(
    as_of: datetime | None = None, *extra: ColumnElement[Any]
) -> Select[*tuple[Any, ...]]:
    """One row per case: ids, the instrument's project and the derived disposition.

    Callers add WHERE clauses and wrap it in a subquery before grouping (PostgreSQL wants a
    GROUP BY on a column, not on a repeated CASE expression with its own parameters).
    """
    facts = response_facts(as_of)
    attempts = deciding_attempts(as_of)
    return (
        select(
            Case.id.label("case_id"),
            Case.instrument_id.label("instrument_id"),
            Case.activity_id.label("activity_id"),
            Case.contact_id.label("contact_id"),
            Instrument.project_id.label("project_id"),
            disposition_expression(facts, attempts, as_of).label("disposition"),
            *extra,
        )
        .join(Instrument, Instrument.id == Case.instrument_id)
        .outerjoin(facts, facts.c.case_id == Case.id)
        .outerjoin(attempts, attempts.c.case_id == Case.id)
    )


def _empty() -> dict[str, int]:
    return dict.fromkeys(DISPOSITIONS, 0)


def _grouped(
    session: Session, base: Select[*tuple[Any, ...]], *keys: str
) -> dict[tuple[object, ...], dict[str, int]]:
    rows = base.subquery("d")
    group = [rows.c[k] for k in keys]
    query = select(*group, rows.c.disposition, func.count()).group_by(*group, rows.c.disposition)
    result: dict[tuple[object, ...], dict[str, int]] = {}
    for *key, code, n in session.execute(query):
        result.setdefault(tuple(key), _empty())[code] += n
    return result


def counts_by_instrument(
    session: Session, *, instrument_ids: Sequence[int] | None = None, project_id: int | None = None
) -> dict[int, dict[str, int]]:
    """Disposition counts of the cases of each instrument (one GROUP BY)."""
    base = dispositions_subquery()
    if instrument_ids is not None:
        base = base.where(Case.instrument_id.in_(instrument_ids))
    if project_id is not None:
        base = base.where(Instrument.project_id == project_id)
    return {key[0]: counts for key, counts in _grouped(session, base, "instrument_id").items()}  # type: ignore[misc]


def counts_for_instrument(
    session: Session, instrument_id: int, *, as_of: datetime | None = None
) -> dict[str, int]:
    base = dispositions_subquery(as_of).where(Case.instrument_id == instrument_id)
    return next(iter(_grouped(session, base).values()), _empty())


def counts_by_activity(session: Session, instrument_id: int) -> dict[int | None, dict[str, int]]:
    """Disposition counts of an instrument's cases per activity (event), one GROUP BY."""
    base = dispositions_subquery().where(Case.instrument_id == instrument_id)
    return {key[0]: counts for key, counts in _grouped(session, base, "activity_id").items()}  # type: ignore[misc]


def counts_by_attribute(session: Session, instrument_id: int, key: str) -> dict[str, dict[str, int]]:
    """Disposition counts per value of one contact attribute (cases without it: "(missing)")."""
    value = func.coalesce(ContactAttribute.value, MISSING_VALUE).label("value")
    base = (
        dispositions_subquery(None, value)
        .outerjoin(
            ContactAttribute,
            and_(ContactAttribute.contact_id == Case.contact_id, ContactAttribute.key == key),
        )
        .where(Case.instrument_id == instrument_id)
    )
    grouped = _grouped(session, base, "value")
    return {str(k[0]): grouped[k] for k in sorted(grouped, key=lambda k: str(k[0]))}


def attribute_profiles(session: Session, instrument_id: int) -> dict[str, dict[str, tuple[int, int]]]:
    """For every contact attribute: value -> (cases in the sample, respondents), in one query.

    Not-eligible cases are left out of the sample, as they are of every rate's denominator;
    respondents are the I and P cases. Cases lacking an attribute count under "(missing)".
    """
    base = dispositions_subquery().where(Case.instrument_id == instrument_id).subquery("d")
    keys = (
        select(ContactAttribute.key)
        .join(base, base.c.contact_id == ContactAttribute.contact_id)
        .distinct()
        .subquery("k")
    )
    value = func.coalesce(ContactAttribute.value, MISSING_VALUE)
    responded = case((base.c.disposition.in_(("I", "P")), 1), else_=0)
    query = (
        select(keys.c.key, value, func.count(), func.sum(responded))
        .select_from(base)
        .join(keys, true())
        .outerjoin(
            ContactAttribute,
            and_(ContactAttribute.contact_id == base.c.contact_id, ContactAttribute.key == keys.c.key),
        )
        .where(base.c.disposition != "NE")
        .group_by(keys.c.key, value)
        .order_by(keys.c.key, value)
    )
    result: dict[str, dict[str, tuple[int, int]]] = {}
    for key, val, n, r in session.execute(query):
        result.setdefault(key, {})[val] = (int(n), int(r or 0))
    return result


@dataclass(frozen=True)
class WaveCounts:
    wave_id: int
    number: int
    kind: str
    sent_on: object
    counts: dict[str, int]


def counts_by_wave(session: Session, instrument_id: int) -> list[WaveCounts]:
    """Cumulative counts after each wave: the cases invited so far, with what had happened by
    the day the next wave went out (or by now, for the last one). One query per wave."""
    waves = list(
        session.execute(
            select(InvitationWave.id, InvitationWave.number, InvitationWave.kind, InvitationWave.sent_on)
            .where(InvitationWave.instrument_id == instrument_id)
            .order_by(InvitationWave.number)
        )
    )
    result = []
    for index, (wave_id, number, kind, sent_on) in enumerate(waves):
        cutoff = None
        if index + 1 < len(waves):
            nxt = waves[index + 1].sent_on
            cutoff = datetime(nxt.year, nxt.month, nxt.day)
        invited = (
            select(Invitation.case_id)
            .join(InvitationWave, InvitationWave.id == Invitation.wave_id)
            .where(InvitationWave.instrument_id == instrument_id, InvitationWave.number <= number)
        )
        base = dispositions_subquery(cutoff).where(Case.id.in_(invited))
        counts = next(iter(_grouped(session, base).values()), _empty())
        result.append(WaveCounts(wave_id, number, kind, sent_on, counts))
    return result


@dataclass(frozen=True)
class EventCounts:
    """One event's feedback forms against its register (or head count)."""

    activity_id: int
    title: str
    returned: int
    register: int
    attending: int | None
    counts: dict[str, int] = field(default_factory=_empty)
    note: str = ""
    attending_note: str = ""  # where a head count came from, e.g. "assumed: the report says 'over 150'"

    @property
    def base(self) -> int | None:
        return self.register or self.attending


def event_counts(session: Session, instrument_id: int) -> list[EventCounts]:
    """Per event, for event feedback without cases: forms returned against the register.

    The sample is the register when there is one, otherwise the head count
    (``Activity.attending``); a form not returned is R. With neither the denominator is missing:
    the counts then hold only the returned forms and ``note`` says why no rate can be given.
    Events are those with at least one form returned or a register.
    """
    return event_counts_by_instrument(session, [instrument_id]).get(instrument_id, [])


def event_counts_by_instrument(session: Session, instrument_ids: list[int]) -> dict[int, list[EventCounts]]:
    """:func:`event_counts` for several instruments in ONE query (the dashboards show them all).

    An event belongs to an instrument when the instrument has forms from it, or when it has a
    register and is in the instrument's project. It runs even for no instruments, so a page costs
    the same number of queries whichever projects it shows.
    """
    complete = func.sum(case((Response.status == "complete", 1), else_=0))
    above = func.sum(case((and_(Response.status != "complete", _above_threshold() == 1), 1), else_=0))
    returned = (
        select(
            Response.instrument_id,
            Response.activity_id,
            func.count().label("n"),
            complete.label("i"),
            above.label("p"),
        )
        .join(Instrument, Instrument.id == Response.instrument_id)
        .where(
            Response.instrument_id.in_(instrument_ids),
            Response.deleted_at.is_(None),
            Response.activity_id.is_not(None),
        )
        .group_by(Response.instrument_id, Response.activity_id)
        .subquery("returned")
    )
    register = (
        select(AttendanceEntry.activity_id, func.count().label("n"))
        .group_by(AttendanceEntry.activity_id)
        .subquery("reg")
    )
    form = (
        select(Instrument.id, Instrument.project_id).where(Instrument.id.in_(instrument_ids)).subquery("form")
    )
    query = (
        select(
            form.c.id.label("instrument_id"),
            Activity.id.label("activity_id"),
            Activity.title,
            Activity.attending,
            returned.c.n,
            returned.c.i,
            returned.c.p,
            register.c.n.label("reg"),
            Activity.attending_note,
        )
        .select_from(form)
        .join(Activity, true())
        .outerjoin(
            returned, and_(returned.c.activity_id == Activity.id, returned.c.instrument_id == form.c.id)
        )
        .outerjoin(register, register.c.activity_id == Activity.id)
        .where(
            or_(
                returned.c.n.is_not(None),
                and_(register.c.n.is_not(None), Activity.project_id == form.c.project_id),
            )
        )
        .order_by(form.c.id, Activity.starts_on, Activity.id)
    )
    result: dict[int, list[EventCounts]] = {i: [] for i in instrument_ids}
    for row in session.execute(query):
        result[row.instrument_id].append(_event(row))
    return result


def _event(row: Row[Any]) -> EventCounts:
    """One event's counts from a row of :func:`event_counts_by_instrument`'s query."""
    n, i, p, reg = (int(x or 0) for x in (row.n, row.i, row.p, row.reg))
    base = reg or row.attending
    counts = _empty()
    counts.update(I=i, P=p, R=n - i - p)
    note = ""
    if base is None:
        note = "no attendance register or head count: the number of forms handed out is unknown"
    elif n > base:
        note = f"{n} forms returned but {base} attending: check the register or head count"
    else:
        counts["R"] = base - i - p
    attending_note = "" if reg else (row.attending_note or "")
    return EventCounts(row.activity_id, row.title, n, reg, row.attending, counts, note, attending_note)
