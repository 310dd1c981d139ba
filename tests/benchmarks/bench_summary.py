"""Benchmark: summary tables for 50,000 responses x 30 questions, against pandas.

Run: ``.venv/bin/python tests/benchmarks/bench_summary.py`` (``BENCH_SUMMARY_N`` for another size).
pandas is not a dependency of feedback: install it into the venv for this run only
(``.venv/bin/pip install pandas``); without it the benchmark says so and stops.

Prints the ratio of our path (:func:`feedback.services.summaries.summarise`: SQL GROUP BYs plus the
domain tables for every closed and numeric question) to pandas reading the same answers table
(joined to question names) with ``read_sql`` and calling ``value_counts`` per question, in the
same process on the same SQLite database (target <= 1.0). Times are CPU time of this process
(SQLite and pandas both run in-process), so a busy machine does not skew the ratio. The counts
are checked equal first.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_data import SLUG, insert_responses, make_database  # noqa: E402

from feedback.db.session import Database  # noqa: E402
from feedback.domain.summary import FrequencyTable  # noqa: E402
from feedback.services.summaries import summarise  # noqa: E402

PANDAS_QUERY = """
SELECT q.name AS name, a.code AS code, a.number AS number, a.response_id AS response_id
FROM answers a JOIN questions q ON q.id = a.question_id JOIN responses r ON r.id = a.response_id
WHERE r.deleted_at IS NULL
"""


def ours(database: Database) -> dict[str, dict[str, int]]:
    with database.read() as session:
        summary = summarise(session, SLUG)
    return {t.name: {r.value: r.n for r in t.rows} for t in summary.tables if isinstance(t, FrequencyTable)}


def with_pandas(database: Database, pd: object) -> dict[str, dict[str, int]]:
    with database.engine.connect() as connection:
        frame = pd.read_sql(PANDAS_QUERY, connection.connection.driver_connection)  # type: ignore[attr-defined]
    out: dict[str, dict[str, int]] = {}
    for name, group in frame.groupby("name"):
        codes = group["code"].dropna()
        if len(codes):
            out[str(name)] = {str(k): int(v) for k, v in codes.value_counts().items()}
        else:
            group["number"].describe()  # the numeric summary pandas would give
    return out


def test_bench_summary() -> None:
    try:
        import pandas as pd
    except ImportError:
        print("pandas is not installed: `.venv/bin/pip install pandas` for this benchmark (not a dependency)")
        return
    n = int(os.environ.get("BENCH_SUMMARY_N", "50000"))
    database, _folder = make_database()
    try:
        insert_responses(database, 1, n)
        mine, theirs = ours(database), with_pandas(database, pd)
        for name, counts in theirs.items():
            assert {k: v for k, v in mine[name].items() if v} == counts, name
        best_ours = best_pandas = float("inf")
        for _ in range(3):
            start = time.process_time()
            ours(database)
            best_ours = min(best_ours, time.process_time() - start)
            start = time.process_time()
            with_pandas(database, pd)
            best_pandas = min(best_pandas, time.process_time() - start)
    finally:
        database.dispose()
    print(
        f"summary tables, {n} responses x 30 questions: ours {best_ours:.2f}s, "
        f"pandas read_sql + value_counts "
        f"{best_pandas:.2f}s, ratio {best_ours / best_pandas:.2f} (target <= 1.0)"
    )


if __name__ == "__main__":
    test_bench_summary()
