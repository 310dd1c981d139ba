"""The audit trail: who changed what, when, from what to what, and why.

Three ways in:

* **Automatically**, for ORM changes to the audited models (:data:`AUDITED`): a listener on every
  :class:`~sqlalchemy.orm.Session` writes one :class:`AuditEntry` per created, changed or deleted
  object, with only the audited fields in ``before``/``after``. It listens to ``after_flush``
  rather than ``before_flush``: the history of each attribute is still the pre-flush history then
  (SQLAlchemy keeps it until the flush is complete), and new rows already have their ids, so a
  granted role or a new instrument version is recorded with the id it got. The entries go in with
  one Core ``executemany`` on the flush's own connection, inside the caller's transaction: a
  change and its audit entry are committed, or rolled back, together.
* **Explicitly**, with :func:`record`, for changes made with Core statements the listener cannot
  see (bulk answer rewrites in :func:`feedback.services.responses.write_answers`) and for erasures;
  with :func:`record_changes` for many such changes at once (theme coding in
  :mod:`feedback.services.coding`: a page of answers tagged, or a theme deleted from thousands).
  Theme coding is recorded on the records a reader looks up, not on the coding tables: a tag
  change on the *response* whose answer it is, a codebook change on its *instrument*.
* **Who** is the :data:`actor` context variable: the staff blueprint sets it to the signed-in user
  for each request (see ``feedback/web/staff/audit.py``); a CLI command that sets nothing is
  recorded as ``cli:<operating-system user>``. When there is no actor (a respondent answering on
  the public pages, a test calling a service directly) nothing is recorded automatically: a
  respondent filling in their own form is the record itself (``started_at``/``submitted_at``),
  and auditing every page a respondent saves would double the writes on the busiest path.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import click
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..db import Answer, Case, Instrument, InstrumentVersion, Question, Response
from ..db.accounts import ProjectRole, User
from ..db.audit import AuditEntry
from ..db.base import table_of


@dataclass(frozen=True)
class Actor:
    """Who is making changes: a staff user (``user_id``) or a label such as ``cli:alice``."""

    user_id: int | None
    label: str


#: Set for the length of a staff request or a CLI command; ``NOBODY`` on the public pages.
actor: ContextVar[Actor | None] = ContextVar("feedback_audit_actor", default=None)
NOBODY = Actor(None, "")


def cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        user = "unknown"
    return Actor(None, f"cli:{user}")


def current_actor() -> Actor | None:
    """The actor of the current change, or None when changes are not attributed to anyone."""
    found = actor.get()
    if found is not None:
        return found if found.label else None
    if click.get_current_context(silent=True) is not None:
        return cli_actor()
    return None


@contextmanager
def acting_as(who: Actor | None) -> Iterator[Actor | None]:
    """Attribute every change made inside the block to ``who`` (tests, scripts, background jobs)."""
    token = actor.set(who)
    try:
        yield who
    finally:
        actor.reset(token)


def _plain(value: Any) -> Any:
    """A value as JSON can hold it (dates as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    session: Session,
    *,
    actor: Actor | None = None,
    action: str,
    entity: str,
    entity_id: int | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    reason: str = "",
    project_id: int | None = None,
) -> AuditEntry:
    """Add one entry to the caller's transaction (written at its next flush or commit).

    ``actor`` defaults to :func:`current_actor`; an entry with no actor at all is labelled
    ``system``. ``before``/``after`` must hold no personal data the entry should outlive."""
    who = actor or current_actor() or Actor(None, "system")
    entry = AuditEntry(
        actor_id=who.user_id,
        actor_label=who.label[:320],
        action=action,
        entity_type=entity,
        entity_id=entity_id,
        project_id=project_id,
        before={k: _plain(v) for k, v in before.items()} if before is not None else None,
        after={k: _plain(v) for k, v in after.items()} if after is not None else None,
        reason=reason,
    )
    session.add(entry)
    return entry


def record_changes(
    session: Session,
    *,
    action: str,
    entity: str,
    changes: Mapping[int, tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]],
    project_id: int | None,
    reason: str = "",
) -> int:
    """One entry per record in ``changes`` ({record id: (before, after)}), all written with one
    Core ``executemany`` on the session's connection, inside the caller's transaction.

    For bulk changes made with Core statements, where :func:`record`'s ORM object per entry
    would cost more than the change itself. Like the automatic capture, and unlike
    :func:`record`, it writes nothing when nobody is acting (see the module's docstring).
    Returns the number of entries written."""
    who = current_actor()
    if who is None or not changes:
        return 0
    plain = lambda values: None if values is None else {k: _plain(v) for k, v in values.items()}  # noqa: E731
    rows = [
        {
            "actor_id": who.user_id,
            "actor_label": who.label[:320],
            "action": action,
            "entity_type": entity,
            "entity_id": entity_id,
            "project_id": project_id,
            "before": plain(before),
            "after": plain(after),
            "reason": reason,
        }
        for entity_id, (before, after) in changes.items()
    ]
    session.connection().execute(insert(table_of(AuditEntry)), rows)
    return len(rows)


# --------------------------------------------------------------------------- automatic capture


class Projects:
    """Project ids looked up during one flush, each instrument's once (a CLI command that sets a
    thousand dispositions costs one lookup per instrument, not one per case)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self._by_instrument: dict[int, int | None] = {}

    def of_instrument(self, instrument_id: int | None) -> int | None:
        if instrument_id is None:
            return None
        if instrument_id not in self._by_instrument:
            self._by_instrument[instrument_id] = self.connection.scalar(
                select(Instrument.project_id).where(Instrument.id == instrument_id)
            )
        return self._by_instrument[instrument_id]


@dataclass(frozen=True)
class Audited:
    """How one model is audited: its name in the trail, the fields kept, how to find its project."""

    entity: str
    fields: tuple[str, ...]
    project: Callable[[Projects, Any], int | None]
    on_create: bool = True
    on_delete: bool = True
    reason: str | None = None  # a field whose new value is the change's reason


@cache
def audited_models() -> dict[type, Audited]:
    """The audited models and how each is recorded (built once, on first use)."""
    by_instrument = lambda p, o: p.of_instrument(o.instrument_id)  # noqa: E731
    models: dict[type, Audited] = {
        Instrument: Audited(
            "instrument", ("status", "title", "partial_threshold", "access"), lambda p, o: o.project_id
        ),
        InstrumentVersion: Audited(
            "instrument_version", ("number", "label", "digest", "source"), by_instrument, True, False
        ),
        Case: Audited(
            "case", ("disposition", "disposition_reason"), by_instrument, False, False, "disposition_reason"
        ),
        Response: Audited(
            "response",
            ("status", "deleted_at", "deleted_reason"),
            by_instrument,
            False,
            True,
            reason="deleted_reason",
        ),
        ProjectRole: Audited(
            "project_role", ("user_id", "project_id", "role", "can_identify"), lambda p, o: o.project_id
        ),
        User: Audited("user", ("is_admin", "active"), lambda p, o: None),
    }
    # Themes and tags are not here: feedback.services.coding records them explicitly, on the
    # instrument and the response (an entry per tag row would not be found on either page).
    return models


def _changes(obj: Any, spec: Audited) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in spec.fields:
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            before[name], after[name] = _plain(old), _plain(new)
    return before, after


def _entries(session: Session, who: Actor) -> list[dict[str, Any]]:
    models = audited_models()
    projects = Projects(session.connection())
    rows: list[dict[str, Any]] = []

    def add(obj: Any, spec: Audited, action: str, before: Any, after: Any) -> None:
        # The reason field's current value explains a create or an update (a disposition's reason).
        reason = str(getattr(obj, spec.reason) or "") if spec.reason and action != "delete" else ""
        rows.append(
            {
                "actor_id": who.user_id,
                "actor_label": who.label[:320],
                "action": action,
                "entity_type": spec.entity,
                "entity_id": getattr(obj, "id", None),  # every audited model has an ``id``
                "project_id": spec.project(projects, obj),
                "before": before,
                "after": after,
                "reason": reason,
            }
        )

    for obj in session.new:
        spec = models.get(type(obj))
        if spec is not None and spec.on_create:
            add(obj, spec, "create", None, {f: _plain(getattr(obj, f)) for f in spec.fields})
    for obj in session.dirty:
        spec = models.get(type(obj))
        if spec is not None:
            before, after = _changes(obj, spec)
            if after or before:
                add(obj, spec, "update", before, after)
    for obj in session.deleted:
        spec = models.get(type(obj))
        if spec is not None and spec.on_delete:
            add(obj, spec, "delete", {f: _plain(getattr(obj, f)) for f in spec.fields}, None)
    return rows


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _context: Any) -> None:
    if not (session.new or session.dirty or session.deleted):
        return
    who = current_actor()
    if who is None:
        return
    rows = _entries(session, who)
    if rows:
        session.connection().execute(insert(table_of(AuditEntry)), rows)


# --------------------------------------------------------------------------- answers


def answers_before_edit(session: Session, response_id: int) -> dict[str, list[str]] | None:
    """A response's answers as {question name: [values]} before staff rewrite them, or None when
    nobody is acting (a respondent saving their own page is not audited)."""
    if current_actor() is None:
        return None
    rows = session.execute(
        select(Question.name, Answer.value)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id == response_id)
        .order_by(Question.name, Answer.id)
    )
    found: dict[str, list[str]] = {}
    for name, value in rows:
        found.setdefault(name, []).append(value)
    return found


def record_answer_edit(
    session: Session,
    response_id: int,
    before: Mapping[str, list[str]],
    rows: list[dict[str, Any]],
    ids: Mapping[str, int],
) -> None:
    """Record the answers staff changed in one rewrite (only the questions that differ)."""
    names = {qid: name for name, qid in ids.items()}
    after: dict[str, list[str]] = {}
    for row in rows:
        after.setdefault(names[row["question_id"]], []).append(row["value"])
    changed = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
    if not changed:
        return
    response = session.get(Response, response_id)
    record(
        session,
        action="edit",
        entity="response",
        entity_id=response_id,
        before={n: before.get(n) for n in changed},
        after={n: after.get(n) for n in changed},
        project_id=Projects(session.connection()).of_instrument(response.instrument_id) if response else None,
    )
