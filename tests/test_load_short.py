"""The load test, short: 20 respondents against gunicorn for about ten seconds.

Fails on any lost, doubled or orphaned submission and on any server error; never on speed
(latency on a shared CI machine says nothing). The full run and its figures:
``tests/benchmarks/load.py``. With FEEDBACK_TEST_DATABASE_URL it runs on PostgreSQL as well.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
import load  # noqa: E402

PG_URL = os.environ.get("FEEDBACK_TEST_DATABASE_URL", "")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.mark.slow
@pytest.mark.parametrize("backend", DATABASES)
def test_twenty_respondents_lose_and_double_nothing(backend: str) -> None:
    report = load.run(
        respondents=20,
        duration=8.0,
        think=0.1,
        workers=4,
        seconds=1.0,
        threads=4,
        pg_url=PG_URL if backend == "postgresql" else None,
    )
    summary = "\n".join(report.lines())
    assert report.problems == [], summary
    assert report.errors == [], summary
    ledger = report.ledger
    assert ledger.completed, summary  # something was actually submitted and checked
    assert ledger.resubmits and ledger.conflicts_refused and ledger.abandoned, summary
    assert report.submits.done > 0 and report.gets.done > 0, summary
