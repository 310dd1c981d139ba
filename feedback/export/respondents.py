"""The Respondents sheet of an identified export: who answered, next to the pseudonymous id.

Why a sheet of its own rather than name and e-mail columns in Responses: the Responses sheet
stays the same in every export (the importer reads it back, and analysts share it), and the
identifying columns sit in one place that can be deleted before a file is passed on. The sheet
links to Responses by ``response_id`` and ``respondent`` (the same pseudonym). The answers to
personal-data questions (``personal_data: yes``, e.g. "How can we contact you?") follow the
contact columns, one column per question: they identify people too, so they are here and
never in Responses.

Only written when someone with the identify permission asks for it (the caller checks and logs,
see :mod:`feedback.services.exports`). Erased contacts have no name or e-mail left to show.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Instrument
from ..db.responses import Contact, Response
from ..db.summary_queries import ResponseFilter, text_answers
from .sheets import Sheet
from .tables import pseudonym

HEADERS = ("response_id", "respondent", "name", "email", "organisation", "external_id")


def _personal_answers(
    session: Session, instrument: Instrument, scope: ResponseFilter, personal: Sequence[str]
) -> Iterator[tuple[int, str, str]]:
    """(response id, question, answer) for the personal-data questions, by response id."""
    if not personal:
        return iter(())
    query = text_answers(session, instrument.id, scope, list(personal))
    return iter(session.connection().execution_options(yield_per=2_000).execute(query))


def respondent_rows(
    session: Session,
    instrument: Instrument,
    scope: ResponseFilter,
    secret: str,
    personal: Sequence[str] = (),
) -> Iterator[list[object]]:
    """One row per response in scope; contact columns blank for anonymous responses (an event
    form answered without an invitation) and for erased contacts. The personal-data answers are
    merged in from a second stream in the same response order (several answers joined by "; ")."""
    query = (
        select(
            Response.id,
            Response.contact_id,
            Contact.name,
            Contact.email,
            Contact.organisation,
            Contact.external_id,
            Contact.erased_at,
        )
        .outerjoin(Contact, Contact.id == Response.contact_id)
        .where(*scope.conditions(instrument.id))
        .order_by(Response.id)
    )
    result = session.connection().execution_options(yield_per=2_000).execute(query)
    answers = _personal_answers(session, instrument, scope, personal)
    pending = next(answers, None)
    for rid, contact_id, *identity, erased_at in result:
        if contact_id is None or erased_at is not None:
            identity = [None] * len(identity)
        given: dict[str, list[str]] = {}
        while pending is not None and pending[0] <= rid:
            if pending[0] == rid:
                given.setdefault(pending[1], []).append(pending[2])
            pending = next(answers, None)
        yield [
            rid,
            pseudonym(secret, contact_id),
            *(value or "" for value in identity),
            *("; ".join(given.get(question, ())) for question in personal),
        ]


def respondents_sheet(
    session: Session,
    instrument: Instrument,
    scope: ResponseFilter,
    secret: str,
    name: str = "Respondents",
    personal: Sequence[str] = (),
) -> Sheet:
    """``personal``: the personal-data questions whose answers get a column each."""
    return Sheet(
        name,
        (*HEADERS, *personal),
        respondent_rows(session, instrument, scope, secret, personal),
        autofilter=True,
    )
