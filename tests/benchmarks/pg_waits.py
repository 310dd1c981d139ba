"""What PostgreSQL's backends wait for, sampled beside a load test.

Run it in a second terminal while ``load.py --pg URL`` runs::

    .venv/bin/python tests/benchmarks/pg_waits.py postgresql://u:p@127.0.0.1/db 60

Every 10 ms it reads ``pg_stat_activity`` and counts the wait events of active backends; at the
end it prints the share of samples per wait event and the longest stretches in which some backend
was in ``WALSync`` (a commit waiting for the disk's fsync). This is how the README's account of
PostgreSQL's latency tail was measured.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import psycopg

QUERY = (
    "SELECT coalesce(wait_event, 'running') FROM pg_stat_activity "
    "WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
)


def main(url: str, seconds: float) -> None:
    url = url.replace("postgresql+psycopg://", "postgresql://")
    waits: Counter[str] = Counter()
    stretches: list[float] = []
    began_sync: float | None = None
    samples = 0
    with psycopg.connect(url, autocommit=True) as conn:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            now = time.monotonic()
            events = [row[0] for row in conn.execute(QUERY)]
            samples += 1
            waits.update(events)
            if "WALSync" in events and began_sync is None:
                began_sync = now
            elif "WALSync" not in events and began_sync is not None:
                stretches.append(now - began_sync)
                began_sync = None
            time.sleep(0.01)
    print(f"{samples} samples over {seconds:g} s; active client backends' wait events:")
    for event, count in waits.most_common(10):
        print(f"  {event:<20} {count / samples:6.2f} backends on average")
    longest = sorted(stretches, reverse=True)[:5]
    print("longest WALSync stretches (ms):", ", ".join(f"{s * 1000:.0f}" for s in longest) or "none")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], float(sys.argv[2]))
