"""Idempotent page POSTs: a page's submission key is recorded with the POST it carried.

Inside its write transaction, after loading the response for update, a view asks
:func:`previous` first:

* :class:`Replay`: the same key was accepted before with the same fields; the view redirects to
  the same place and writes nothing.
* :class:`Conflict`: the key was accepted before with different fields (or for another page);
  the view writes nothing and says so on the page.
* ``None``: a new key. The view stores the page; if it is accepted, :func:`record` remembers the
  key with the redirect, in the same transaction. A page that comes back with errors records
  nothing, so its key may be posted again once corrected.

Race safety does not rest on the response row lock alone: ``key`` is unique in the database, so
if two identical POSTs both get past :func:`previous`, the second INSERT fails (PostgreSQL makes
it wait for the first transaction, then fails it). :func:`record` turns that IntegrityError into
:class:`KeyTaken`; the view lets the whole transaction roll back (nothing of the second POST is
stored) and answers from the first POST's row with :func:`previous` in a new session. The INSERT
comes last so the common path costs one SELECT and one INSERT, with no savepoint.
Like every service here, nothing is committed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.base import table_of
from ..db.submissions import PageSubmission

#: What our pages generate (``secrets.token_urlsafe(32)``: 43 characters); anything else was typed.
KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")
#: Fields that are not part of what the respondent sent.
UNHASHED = frozenset({"csrf_token", "_key"})
#: ``page`` value for the "Check your answers" page.
CHECK_PAGE = 0


def valid_key(key: str) -> bool:
    return KEY.fullmatch(key) is not None


def fingerprint(fields: Iterable[tuple[str, list[str]]]) -> str:
    """SHA-256 of the posted fields, order-independent (ticked boxes may arrive in any order)."""
    canonical = sorted((name, sorted(values)) for name, values in fields if name not in UNHASHED)
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Replay:
    location: str


@dataclass(frozen=True)
class Conflict:
    pass


class KeyTaken(Exception):
    """A concurrent POST recorded the same key first; roll back and ask :func:`previous` again."""


def previous(
    session: Session, key: str, response_id: int, page: int, digest: str
) -> Replay | Conflict | None:
    """How an earlier POST with ``key`` was answered, or None if the key is new."""
    row = session.execute(
        select(
            PageSubmission.response_id, PageSubmission.page, PageSubmission.digest, PageSubmission.location
        ).where(PageSubmission.key == key)
    ).first()
    if row is None:
        return None
    if (row.response_id, row.page, row.digest) == (response_id, page, digest):
        return Replay(row.location)
    return Conflict()


_INSERT = insert(table_of(PageSubmission))


def record(session: Session, key: str, response_id: int, page: int, digest: str, location: str) -> None:
    """Remember that the POST with ``key`` was accepted and redirected to ``location``.

    Raises :class:`KeyTaken` when another transaction recorded the key first; the caller's
    transaction is then unusable (PostgreSQL aborts it) and must be rolled back.
    """
    values = {"key": key, "response_id": response_id, "page": page, "digest": digest, "location": location}
    try:
        session.connection().execute(_INSERT, [values])
    except IntegrityError as exc:
        raise KeyTaken(key) from exc
