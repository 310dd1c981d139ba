"""A minimal browser for the load test: one cookie jar, one loopback connection per request.

gunicorn's sync workers close the connection after each response, so a new connection per request
is what a browser gets too. Redirects are not followed: the load test reads ``Location`` itself.
Every request's latency and status go into a shared :class:`Stats`.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

TIMEOUT = 60.0


@dataclass
class Reply:
    status: int
    location: str
    body: str


@dataclass
class Stats:
    """Latencies by kind of request, statuses, errors; safe to share between threads."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    done: int = 0
    elapsed: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            self.statuses[status] += 1
            if status >= 500:
                self.errors.append(f"{kind}: HTTP {status}")

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    def reset_latencies(self) -> None:
        with self.lock:
            self.latencies.clear()
            self.statuses.clear()

    def add(self, other: Stats) -> None:
        """Fold another phase's figures into these (alternating rounds of one measurement)."""
        with self.lock:
            for kind, values in other.latencies.items():
                self.latencies.setdefault(kind, []).extend(values)
            self.statuses.update(other.statuses)
            self.errors.extend(other.errors)
            self.done += other.done
            self.elapsed += other.elapsed

    def all_latencies(self, *kinds: str) -> list[float]:
        return [s for kind, values in self.latencies.items() if not kinds or kind in kinds for s in values]

    def requests(self) -> int:
        return sum(self.statuses.values())


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by the nearest-rank method; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


class Client:
    def __init__(self, port: int, stats: Stats):
        self.port, self.stats = port, stats
        self.cookies: dict[str, str] = {}

    def get(self, path: str, kind: str = "page GET") -> Reply:
        return self._send("GET", path, None, kind)

    def post(self, path: str, fields: dict[str, object], kind: str = "page POST") -> Reply:
        pairs: list[tuple[str, str]] = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, str(item)))
        return self._send("POST", path, urlencode(pairs).encode(), kind)

    def _send(self, method: str, path: str, body: bytes | None, kind: str) -> Reply:
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        self.stats.record(kind, time.perf_counter() - began, response.status)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        location = response.headers.get("Location", "")
        if location.startswith("http"):
            parts = urlsplit(location)
            location = parts.path + (f"?{parts.query}" if parts.query else "")
        return Reply(response.status, location, data)
