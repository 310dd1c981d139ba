"""Final dispositions: derived in bulk, set by staff with a reason, and call attempts logged.

Derivation is the SQL of :mod:`feedback.db.rate_queries` (one query for a whole instrument), so
the disposition a staff page shows for a case and the one a rate counts are the same by
construction. A disposition set by staff wins over the derived one; each change is kept in
``disposition_changes`` with who, when and why, and clearing it (``code=None``) returns the case to
its derived disposition.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Case
from ..db.base import utcnow
from ..db.rate_queries import dispositions_subquery
from ..db.sampling import CallAttempt, DispositionChange
from ..domain.dispositions import CallOutcome
from ..domain.rates import DISPOSITIONS


class DispositionError(ValueError):
    """A disposition or call attempt that cannot be recorded; the message says what to change."""


def derive_dispositions(session: Session, instrument_id: int) -> dict[int, str]:
    """Case id -> final disposition for every case of the instrument, in one query."""
    query = dispositions_subquery().where(Case.instrument_id == instrument_id).subquery("d")
    return dict(session.execute(select(query.c.case_id, query.c.disposition)).all())


def case_disposition(session: Session, case_id: int) -> str:
    """The final disposition of one case (staff-set or derived)."""
    query = dispositions_subquery().where(Case.id == case_id).subquery("d")
    code = session.scalar(select(query.c.disposition))
    if code is None:
        raise DispositionError(f"no case with id {case_id}")
    return code


def case_by_token(session: Session, token: str) -> Case:
    found = session.scalar(select(Case).where(Case.token == token))
    if found is None:
        raise DispositionError(
            "no case has that token (copy it from the mail-merge workbook or the case list)"
        )
    return found


def set_disposition(
    session: Session, case: Case, code: str | None, reason: str, *, changed_by: str = ""
) -> DispositionChange:
    """Set (or with ``code=None`` clear) a case's disposition by hand, keeping the reason.

    Raises :class:`DispositionError` for an unknown code or an empty reason: a disposition that
    changes a published rate must be explainable later.
    """
    if code is not None:
        code = code.strip().upper()
        if code not in DISPOSITIONS:
            raise DispositionError(f"unknown disposition '{code}': expected one of {', '.join(DISPOSITIONS)}")
    reason = reason.strip()
    if not reason:
        raise DispositionError("give a reason for setting the disposition (it is kept with the case)")
    change = DispositionChange(
        case_id=case.id, previous=case.disposition, new=code, reason=reason, changed_by=changed_by
    )
    case.disposition = code
    case.disposition_reason = reason if code is not None else ""
    case.disposition_set_at = utcnow() if code is not None else None
    session.add(change)
    session.flush()
    return change


def disposition_history(session: Session, case_id: int) -> list[DispositionChange]:
    """Every change staff made to the case's disposition, oldest first."""
    return list(
        session.scalars(
            select(DispositionChange)
            .where(DispositionChange.case_id == case_id)
            .order_by(DispositionChange.changed_at, DispositionChange.id)
        )
    )


def log_call(
    session: Session,
    case: Case,
    outcome: str,
    *,
    attempted_at: datetime | None = None,
    interviewer: str = "",
    user_id: int | None = None,
    note: str = "",
    next_appointment: datetime | None = None,
) -> CallAttempt:
    """Record one call attempt. Raises :class:`DispositionError` for an unknown outcome, or an
    appointment without its date and time."""
    try:
        value = CallOutcome(outcome.strip().lower())
    except ValueError:
        expected = ", ".join(o.value for o in CallOutcome)
        raise DispositionError(f"unknown call outcome '{outcome}': expected one of {expected}") from None
    if value is CallOutcome.appointment and next_appointment is None:
        raise DispositionError("an appointment needs its date and time (next appointment)")
    attempt = CallAttempt(
        case_id=case.id,
        attempted_at=attempted_at or utcnow(),
        interviewer=interviewer,
        user_id=user_id,
        outcome=value.value,
        note=note,
        next_appointment=next_appointment,
    )
    session.add(attempt)
    session.flush()
    return attempt
