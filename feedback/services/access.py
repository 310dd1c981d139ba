"""Who may answer an instrument without a personal link, and the rules its rates use.

An instrument with a contact list is a survey of that list: an answer through ``/f/<slug>`` with
no invitation belongs to nobody in the sample, so by default such an instrument takes answers
through personal links only, and the public index leaves it out. The evaluator can open it to
everyone (``access: open`` in the form's settings, or the staff area's switch); answers without a
case are then "outside the sample", kept and shown on their own line, never in a rate.

Event feedback is answered through event links and counted against each event's register or
head count, so it is never invitation-only unless the evaluator says so.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..db import Case, Instrument
from ..domain.instrument import ACCESS_CHOICES
from ..domain.partial import PartialRule

OPEN, INVITATION = ACCESS_CHOICES


class SettingsError(ValueError):
    """A staff-area choice that is not one of the allowed values; the message names it."""


def has_contact_list(session: Session, instrument_id: int) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Case.instrument_id == instrument_id, Case.contact_id.is_not(None)))
        )
    )


def is_invitation_only(session: Session, instrument: Instrument) -> bool:
    """Whether ``/f/<slug>`` without a personal link must refuse (see the module docstring)."""
    if instrument.access == OPEN:
        return False
    if instrument.access == INVITATION:
        return True
    return instrument.kind != "event_feedback" and has_contact_list(session, instrument.id)


def invitation_only_ids(session: Session, instruments: list[Instrument]) -> set[int]:
    """The ids among ``instruments`` that are invitation-only, in one query (the public index)."""
    undecided = [i.id for i in instruments if i.access is None and i.kind != "event_feedback"]
    listed: set[int] = set()
    if undecided:
        listed = set(
            session.scalars(
                select(Case.instrument_id)
                .where(Case.instrument_id.in_(undecided), Case.contact_id.is_not(None))
                .distinct()
            )
        )
    return {i.id for i in instruments if i.access == INVITATION or i.id in listed}


def set_response_rules(
    session: Session, instrument: Instrument, *, access: str | None, partial_threshold: str
) -> list[str]:
    """Change who may answer and the partial rule; returns what changed, in words.

    ``access`` None means "follow the sample". The change goes on the audit trail through the
    ORM listener (both fields are audited), so the caller's actor is recorded with it.
    """
    if access is not None and access not in ACCESS_CHOICES:
        raise SettingsError(f"Choose who may answer: {', '.join(ACCESS_CHOICES)} (got '{access}')")
    try:
        rule = PartialRule.parse(partial_threshold)
    except ValueError as exc:
        raise SettingsError(f"Partial threshold: {exc}") from None
    changed = []
    if instrument.access != access:
        instrument.access = access
        changed.append(f"who may answer: {access_text(access)}")
    if PartialRule.from_stored(instrument.partial_threshold) != rule:
        instrument.partial_threshold = rule.stored
        changed.append(f"partial rule: {rule.short()}")
    session.flush()
    return changed


def access_text(access: str | None) -> str:
    return {
        OPEN: "anyone with the link (answers without an invitation are outside the sample)",
        INVITATION: "invited contacts only, through their personal links",
        None: "invited contacts only when there is a contact list, otherwise anyone",
    }[access]
