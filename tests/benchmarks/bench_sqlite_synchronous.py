"""Benchmark: what ``FEEDBACK_SQLITE_SYNCHRONOUS=FULL`` costs per stored response.

Records the same responses (one write transaction each, as a submission does) into fresh SQLite
files with ``synchronous`` NORMAL (the baseline), FULL and EXTRA, in this process, and prints
responses per second and the ratio to the baseline. Run with ``make benchmarks`` or
``.venv/bin/python -m pytest tests/benchmarks/bench_sqlite_synchronous.py -s -p no:cacheprovider``
(not collected by default).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from feedback.config import Settings
from feedback.db import Base
from feedback.db.session import Database, make_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "db"))
from recording import load_event_form, marker_counts, record  # noqa: E402

RESPONSES = 300


def rate(tmp_path: Path, synchronous: str) -> float:
    settings = Settings(
        instance_path=tmp_path,
        database_url=f"sqlite:///{tmp_path / f'{synchronous}.db'}",
        secret_key="bench",
        testing=True,
        sqlite_synchronous=synchronous,
    )
    database = Database(make_engine(settings))
    Base.metadata.create_all(database.engine)
    load_event_form(database)
    record(database, "warm-up")
    start = time.perf_counter()
    for i in range(RESPONSES):
        record(database, f"r{i}")
    elapsed = time.perf_counter() - start
    assert len(marker_counts(database)) == RESPONSES + 1
    database.dispose()
    return RESPONSES / elapsed


def test_bench_sqlite_synchronous(tmp_path: Path) -> None:
    baseline = rate(tmp_path, "NORMAL")
    print(f"\nSQLite synchronous, {RESPONSES} responses, one transaction each (same process)")
    print(f"  NORMAL {baseline:8.0f} responses/s  1.00 (baseline)")
    for level in ("FULL", "EXTRA"):
        measured = rate(tmp_path, level)
        print(f"  {level:<6} {measured:8.0f} responses/s  {measured / baseline:.2f} of NORMAL")
