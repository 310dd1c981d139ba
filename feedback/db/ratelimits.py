"""Shared rate-limit buckets: one row per recorded failure (a sliding log), in the database.

Why in the database: counts kept in each worker's memory gave an attacker the limit once per
worker and once per machine. Every worker of every machine reads and writes these rows, so the
limit is one limit (issue 16, item 2).

Why a row per failure and not a counter: a row is only ever inserted, never updated, so two
workers recording failures for the same key at the same moment cannot lose one of them, on
SQLite (each insert in its own ``BEGIN IMMEDIATE`` transaction) and on PostgreSQL (inserts of
different rows never wait for each other; no upsert, no row lock, no lost update). Counting the
rows newer than the window gives an exact sliding window, the same rule the in-process limiter
had. A bucket holds at most about ``limit`` live rows: callers stop recording once a key is
blocked.

* ``kind`` keeps the buckets apart ("login", "token"): guessing links never locks anyone out
  of signing in.
* ``key_hash`` is an HMAC of the key (an e-mail address and an IP address, or an IP address)
  made by the caller with the app's secret key: no address is stored, and a plain hash of an
  IPv4 address could be reversed by trying all four billion.
* ``at`` is wall-clock seconds since the epoch: shared by machines, where a monotonic clock is
  not. Clocks a few seconds apart shift a 15-minute window by those seconds, nothing more.
* Old rows go with :func:`delete_expired`, an indexed range delete the limiter runs now and
  then; a row past its window is ignored by the queries until then, so cleaning late is harmless.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, BigId, rows_matched


class RateLimitHit(Base):
    """One recorded failure (a wrong password, an unknown link) of one bucket."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_kind_key_hash_at", "kind", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: HMAC-SHA256 (hex) of the bucket's key; see the module docstring.
    key_hash: Mapped[str] = mapped_column(String(64))
    #: Seconds since the epoch (UTC), when the failure was recorded.
    at: Mapped[float] = mapped_column(Float, index=True)


def record_hit(session: Session, kind: str, key_hash: str, at: float) -> None:
    session.add(RateLimitHit(kind=kind, key_hash=key_hash, at=at))
    session.flush()


def recent_hits(session: Session, kind: str, key_hash: str, since: float, most: int) -> list[float]:
    """The times of the bucket's failures after ``since``, newest first, at most ``most`` of them.

    ``most`` is the limit: only the newest ``limit`` failures decide whether a key is blocked and
    when it may try again, however many more a race let in."""
    query = (
        select(RateLimitHit.at)
        .where(RateLimitHit.kind == kind, RateLimitHit.key_hash == key_hash, RateLimitHit.at > since)
        .order_by(RateLimitHit.at.desc())
        .limit(most)
    )
    return list(session.scalars(query))


def forget(session: Session, kind: str, key_hash: str) -> None:
    """Empty one bucket (a successful sign-in forgets that account's failures from that address)."""
    statement = delete(RateLimitHit).where(RateLimitHit.kind == kind, RateLimitHit.key_hash == key_hash)
    session.execute(statement, execution_options={"synchronize_session": False})


def delete_expired(session: Session, kind: str, before: float) -> int:
    """Delete the rows of one kind recorded at or before ``before``; how many went."""
    statement = delete(RateLimitHit).where(RateLimitHit.kind == kind, RateLimitHit.at <= before)
    return rows_matched(session.execute(statement, execution_options={"synchronize_session": False}))


def count_rows(session: Session, kind: str | None = None) -> int:
    """How many rows the buckets hold (of one kind): for tests and the operator's curiosity."""
    query = select(func.count()).select_from(RateLimitHit)
    if kind is not None:
        query = query.where(RateLimitHit.kind == kind)
    return session.scalar(query) or 0
