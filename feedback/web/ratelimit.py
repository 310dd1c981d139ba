"""A small in-process rate limiter for login attempts and token guessing.

Per process: each gunicorn worker keeps its own counts, so with W workers an attacker gets up to
W times the limit. That is fine for the single-machine deployment this tool targets (a few
workers, limits of a handful per quarter hour still make guessing a 128-bit token or a 12-character
password hopeless). A multi-machine deployment would put the counts in a shared store.

Two limiters live on each app (``app.extensions``), so one kind of guessing never locks out the
other: ``login`` keyed by (e-mail, IP) and ``token`` keyed by IP, for reset links and, later, the
public resume and invitation links. Limits come from ``app.config``:
``FEEDBACK_RATE_LIMITS = {"login": (attempts, seconds), "token": (attempts, seconds)}``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from flask import Flask, current_app

EXTENSION = "feedback.ratelimit"
DEFAULT_LIMITS: dict[str, tuple[int, float]] = {
    "login": (5, 15 * 60),  # failed logins per account and IP
    "token": (20, 15 * 60),  # unknown tokens per IP
}


class RateLimiter:
    """At most ``limit`` recorded failures per key within a sliding ``window`` of seconds.

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
    limits = {**DEFAULT_LIMITS, **app.config.get("FEEDBACK_RATE_LIMITS", {})}
    app.extensions[EXTENSION] = {name: RateLimiter(n, window) for name, (n, window) in limits.items()}


def limiter(name: str) -> RateLimiter:
    """The current app's limiter called ``name`` ("login" or "token")."""
    return current_app.extensions[EXTENSION][name]
