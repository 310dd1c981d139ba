"""Rate limits for login attempts and token guessing, shared by every worker and machine.

The failures are counted in the database (:mod:`feedback.db.ratelimits`), so with W workers on M
machines an attacker gets the limit once, not W x M times (issue 16, item 2). Each recording is
its own short write transaction (``Database.write()``), whatever the request itself does: a
request may be read-only, or may have just rolled its own transaction back.

Two buckets live on each app (``app.extensions``), so one kind of guessing never locks out the
other: ``login`` keyed by (e-mail, address) and ``token`` keyed by address, for staff reset links
and the respondents' resume links, invitation links and event codes. Limits come from
``app.config``: ``FEEDBACK_RATE_LIMITS = {"login": (attempts, seconds), "token": (attempts,
seconds)}``. The address is :func:`client_address`: the connection's, or the one trusted proxies
put in ``X-Forwarded-For`` (``FEEDBACK_TRUSTED_PROXIES``, see :mod:`feedback.config`).

:class:`RateLimiter` keeps the same rule in memory, for code and tests that want no database.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Protocol

from flask import Flask, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from ..db import ratelimits
from ..db.app import EXTENSION as DATABASE
from ..db.session import Database

log = logging.getLogger(__name__)

EXTENSION = "feedback.ratelimit"
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "login": (5, 15 * 60),  # failed logins per account and address
    "token": (20, 15 * 60),  # unknown tokens per address
}
#: A process deletes a bucket kind's expired rows at most this often (seconds).
CLEANUP_EVERY = 60.0


class Limiter(Protocol):
    """What the views use: ask before the work, record a failure, forget a key after success."""

    def blocked(self, key: Hashable) -> bool: ...

    def retry_after(self, key: Hashable) -> int: ...

    def fail(self, key: Hashable) -> None: ...

    def reset(self, key: Hashable) -> None: ...


def client_address() -> str:
    """The client's address, as the limits key it.

    ``request.remote_addr`` is already the proxies' ``X-Forwarded-For`` entry when
    ``FEEDBACK_TRUSTED_PROXIES`` is set (``ProxyFix``). An IPv6 address counts by its /64
    network: one home or phone is given a whole /64, so per address it could guess without end.
    """
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class SharedRateLimiter:
    """At most ``limit`` recorded failures per key within a sliding ``window`` of seconds, kept in
    the database so that every worker of every machine sees the same counts.

    Same methods and rule as :class:`RateLimiter`. Keys are stored as an HMAC with the app's
    secret key (every worker has the same one). ``blocked`` then ``fail`` is not one atomic step:
    requests racing from one key may each pass ``blocked`` before any of them is recorded, so a
    key can get its limit plus the number of its requests in flight at once (a handful of worker
    threads), never more; no failure is ever lost (each is its own inserted row). Database errors
    propagate: a limit that could not be checked or recorded must not quietly let a guess through.
    """

    def __init__(
        self,
        kind: str,
        limit: int,
        window: float,
        *,
        database: Callable[[], Database],
        secret: str | bytes,
        clock: Callable[[], float] = time.time,
    ):
        self.kind, self.limit, self.window, self.clock = kind, limit, window, clock
        self._database = database
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._next_cleanup = 0.0
        self._cleanup_lock = threading.Lock()

    def _hash(self, key: Hashable) -> str:
        text = json.dumps(key, default=str, ensure_ascii=False)  # a tuple key becomes a list
        return hmac.new(self._secret, f"{self.kind}\n{text}".encode(), hashlib.sha256).hexdigest()

    def _recent(self, key: Hashable, now: float) -> list[float]:
        with self._database().read() as session:
            return ratelimits.recent_hits(session, self.kind, self._hash(key), now - self.window, self.limit)

    def blocked(self, key: Hashable) -> bool:
        return len(self._recent(key, self.clock())) >= self.limit

    def retry_after(self, key: Hashable) -> int:
        """Seconds until the key may try again (0 if it may now)."""
        now = self.clock()
        hits = self._recent(key, now)  # newest first
        if len(hits) < self.limit:
            return 0
        return max(1, int(hits[self.limit - 1] + self.window - now + 0.999))

    def fail(self, key: Hashable) -> None:
        now = self.clock()
        with self._database().write() as session:
            ratelimits.record_hit(session, self.kind, self._hash(key), now)
        self._clean(now)

    def reset(self, key: Hashable) -> None:
        with self._database().write() as session:
            ratelimits.forget(session, self.kind, self._hash(key))

    def _clean(self, now: float) -> None:
        """Delete the rows past their window, at most every ``CLEANUP_EVERY`` seconds a process,
        in a transaction of its own. Best effort: rows left over are ignored by the queries, so a
        failed cleanup is logged and the next one catches up."""
        with self._cleanup_lock:
            if now < self._next_cleanup:
                return
            self._next_cleanup = now + min(CLEANUP_EVERY, self.window)
        try:
            with self._database().write() as session:
                ratelimits.delete_expired(session, self.kind, now - self.window)
        except SQLAlchemyError as exc:
            log.warning("rate-limit cleanup skipped: %s", exc)


class RateLimiter:
    """At most ``limit`` recorded failures per key within a sliding ``window`` of seconds, in
    this process's memory only (each worker would have its own counts: see :class:`SharedRateLimiter`).

    ``blocked(key)`` asks before doing the work, ``fail(key)`` records a failure, ``reset(key)``
    forgets a key (after a successful login). Thread-safe; memory is bounded by ``max_keys``
    (the oldest keys are dropped first when a flood of new keys arrives).
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ):
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._hits: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: Hashable, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def blocked(self, key: Hashable) -> bool:
        with self._lock:
            hits = self._live(key, self.clock())
            return hits is not None and len(hits) >= self.limit

    def retry_after(self, key: Hashable) -> int:
        """Seconds until the key may try again (0 if it may now)."""
        with self._lock:
            now = self.clock()
            hits = self._live(key, now)
            if hits is None or len(hits) < self.limit:
                return 0
            return max(1, int(hits[-self.limit] + self.window - now + 0.999))

    def fail(self, key: Hashable) -> None:
        with self._lock:
            now = self.clock()
            hits = self._live(key, now)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._hits.pop(next(iter(self._hits)))
                hits = self._hits[key] = deque()
            hits.append(now)
            if len(hits) > self.limit:  # only the newest `limit` matter
                hits.popleft()

    def reset(self, key: Hashable) -> None:
        with self._lock:
            self._hits.pop(key, None)


def init_app(app: Flask) -> None:
    """The shared limiters; after the database's ``init_app`` (they use the app's ``Database``)."""
    limits = {**DEFAULT_LIMITS, **app.config.get("FEEDBACK_RATE_LIMITS", {})}
    secret = app.config["SECRET_KEY"]
    app.extensions[EXTENSION] = {
        name: SharedRateLimiter(name, n, window, database=lambda: app.extensions[DATABASE], secret=secret)
        for name, (n, window) in limits.items()
    }


def limiter(name: str) -> Limiter:
    """The current app's limiter called ``name`` ("login" or "token")."""
    limiters: dict[str, Limiter] = current_app.extensions[EXTENSION]
    return limiters[name]
