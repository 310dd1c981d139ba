"""Identified exports: who may have names and e-mail addresses in a file, and the record that they did.

An export is pseudonymous unless someone asks for names; then it needs the same permission as
the identified staff pages (an admin, or an evaluator whose role carries ``can_identify``) in the
project of every instrument exported, and each one is written to ``identified_access`` (who,
which project, what, when) before the file is made, so an export that fails half-way is still on
record. The web page and the CLI both come through here, so the rule cannot differ between them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Instrument, InstrumentVersion
from ..db.accounts import IdentifiedAccess, ProjectRole, User
from ..domain.serialise import personal_data_names
from .accounts import get_user


def personal_questions(session: Session, instrument: Instrument) -> frozenset[str]:
    """Names of the current version's personal-data questions (``personal_data: yes``): the
    answers that, like names and e-mails, only identified exports show."""
    version = session.get(InstrumentVersion, instrument.current_version_id)
    return personal_data_names(version.definition) if version is not None else frozenset()


class NotAllowed(PermissionError):
    """The user may not see names and e-mail addresses for (some of) these instruments."""


def identify_allowed(user: User, grant: ProjectRole | None) -> bool:
    """The rule, in one place (the staff pages' access check uses it too): admins, and
    evaluators whose role in the project carries ``can_identify``."""
    return user.is_admin or bool(grant and grant.role == "evaluator" and grant.can_identify)


def may_identify(session: Session, user: User, project_id: int | None) -> bool:
    if not user.active:
        return False
    if project_id is None:
        return user.is_admin
    grant = session.scalar(
        select(ProjectRole).where(ProjectRole.user_id == user.id, ProjectRole.project_id == project_id)
    )
    return identify_allowed(user, grant)


def user_for_identified_export(session: Session, email: str) -> User:
    """The account an identified CLI export is made for (``--as EMAIL``)."""
    user = get_user(session, email)
    if user is None or not user.active:
        raise NotAllowed(f"No active staff account for {email!r}")
    return user


def authorise_identified_export(
    session: Session, user: User, instruments: Sequence[Instrument], *, channel: str
) -> None:
    """Check ``user`` may identify in every instrument's project, then log one entry per project.

    ``channel`` says where the export was asked for ("web export", "cli export"). Flushes; the
    caller commits (before writing the file, so the record exists whatever happens next)."""
    refused = [i.slug for i in instruments if not may_identify(session, user, i.project_id)]
    if refused:
        raise NotAllowed(
            f"{user.email} may not see names and e-mail addresses for {', '.join(refused)}: "
            "an administrator can allow it (feedback users grant EMAIL PROJECT evaluator --identify)"
        )
    by_project: dict[int, list[str]] = {}
    for instrument in instruments:
        if instrument.project_id is not None:
            by_project.setdefault(instrument.project_id, []).append(instrument.slug)
    for project_id, slugs in by_project.items():
        session.add(
            IdentifiedAccess(
                user_id=user.id,
                project_id=project_id,
                endpoint=channel,
                detail=f"identified export of {', '.join(slugs)}",
            )
        )
    session.flush()
