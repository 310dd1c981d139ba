"""The audit trail of theme coding: what :mod:`feedback.services.coding` changed, before and after.

Entries go where a reader looks for them, not onto the coding tables: a codebook change on the
trail of the theme's *instrument* (field ``theme <id>``, so a renamed theme is still recognisable),
a change to an answer's themes on the trail of its *response* (field ``<question> (themes)``, the
theme names as they were at the time, in codebook order). Tags are written in bulk, so their
entries are too: :func:`feedback.services.audit.record_changes` writes them with one
``executemany`` however many answers a page of coding or a theme's deletion touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Instrument
from ..db.coding import Theme
from . import audit

Tags = Mapping[tuple[int, str], set[int]]
"""Theme ids per (response id, question name)."""


def theme_key(theme: Theme) -> str:
    """The field of a codebook entry: the theme's number stays when its name changes."""
    return f"theme {theme.id}"


def theme_labels(session: Session, instrument: Instrument, theme_ids: Iterable[int]) -> dict[int, str]:
    """Names of these themes of the instrument, in codebook order (the order tags are listed in)."""
    ids = set(theme_ids)
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Theme.id, Theme.label)
            .where(Theme.instrument_id == instrument.id, Theme.id.in_(ids))
            .order_by(Theme.question_name.is_(None), Theme.position, Theme.id)
        ).all()
    )


def record_codebook(
    session: Session,
    instrument: Instrument,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> None:
    """One entry on the instrument's trail ("add theme", "rename theme", "delete theme")."""
    audit.record_changes(
        session,
        action=action,
        entity="instrument",
        changes={instrument.id: (before, after)},
        project_id=instrument.project_id,
    )


def record_tags(
    session: Session,
    instrument: Instrument,
    before: Tags,
    after: Tags,
    labels: Mapping[int, str],
    reason: str = "",
) -> int:
    """One "code" entry per response whose themes changed, naming only the questions that did.

    ``labels`` names every theme in ``before`` and ``after`` (see :func:`theme_labels`).
    Returns the number of entries written (none when nobody is acting)."""

    def named(tags: set[int]) -> list[str]:
        return [label for theme_id, label in labels.items() if theme_id in tags]

    was: dict[int, dict[str, list[str]]] = {}
    now: dict[int, dict[str, list[str]]] = {}
    for response_id, question_name in sorted(set(before) | set(after)):
        old = before.get((response_id, question_name), set())
        new = after.get((response_id, question_name), set())
        if old != new:
            field = f"{question_name} (themes)"
            was.setdefault(response_id, {})[field] = named(old)
            now.setdefault(response_id, {})[field] = named(new)
    return audit.record_changes(
        session,
        action="code",
        entity="response",
        changes={response_id: (was[response_id], now[response_id]) for response_id in was},
        project_id=instrument.project_id,
        reason=reason,
    )
