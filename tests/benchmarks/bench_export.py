"""Benchmark: exporting 100,000 responses x 30 questions to the Responses sheet.

Run: ``.venv/bin/python tests/benchmarks/bench_export.py`` (or through ``make benchmarks``);
``BENCH_EXPORT_N=20000`` for a quick run (the small size is always a tenth of N).

Times are CPU time of this process (``time.process_time``; SQLite runs in-process, so its work
counts), which keeps the ratio meaningful on a shared, busy machine.

Prints, at N/10 and N responses (data bulk-inserted with Core first):
(a) the ratio of our export's time (streaming the answers from SQLite, grouping them into rows,
    labels, cell safety, openpyxl write-only) to writing the same cells, generated into memory
    beforehand, with openpyxl's write-only mode directly, in the same process (target <= 1.3);
(b) the peak memory traced (tracemalloc) during our export, and its growth from N/10 to N
    responses (target < 50 MB: the sheet is streamed, never held in memory).
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))

from analysis_data import SLUG, baseline_rows, insert_responses, make_database  # noqa: E402

from feedback.db.session import Database  # noqa: E402
from feedback.db.summary_queries import ResponseFilter  # noqa: E402
from feedback.export.tables import responses_sheet  # noqa: E402
from feedback.export.xlsx import write_xlsx  # noqa: E402
from feedback.services.exports import _model  # noqa: E402
from feedback.services.instruments import get_instrument  # noqa: E402


def ours(database: Database, target: Path) -> int:
    with database.read() as session:
        instrument = get_instrument(session, SLUG)
        sheet = responses_sheet(session, instrument, _model(session, instrument), ResponseFilter(), "bench")
        report = write_xlsx(target, [sheet])
    return report.rows["Responses"]


def baseline(headers: list[str], rows: list[list[object]], target: Path) -> None:
    """openpyxl write-only writing cells that are already in memory: nothing but the writing."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("Responses")
    ws.append(headers)
    for row in rows:
        ws.append(row)
    workbook.save(target)


def headers(database: Database) -> list[str]:
    from feedback.export.tables import ResponsesLayout

    with database.read() as session:
        return ResponsesLayout(_model(session, get_instrument(session, SLUG))).headers


def measure(database: Database, folder: Path, count: int) -> tuple[float, float, float]:
    """(our seconds, baseline seconds, our traced peak in MB) with ``count`` responses stored."""
    names = headers(database)
    # generated before timing, so the baseline only writes; the blank `event_code` column (the
    # benchmark's responses have no activity) is added where the Responses sheet has it
    cells = [[*row[:4], None, *row[4:]] for row in baseline_rows(1, count)]
    best_ours = best_base = float("inf")
    for _ in range(2):
        start = time.process_time()
        rows = ours(database, folder / "ours.xlsx")
        best_ours = min(best_ours, time.process_time() - start)
        assert rows == count, (rows, count)
        start = time.process_time()
        baseline(names, cells, folder / "baseline.xlsx")
        best_base = min(best_base, time.process_time() - start)
    del cells
    tracemalloc.start()
    ours(database, folder / "ours.xlsx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best_ours, best_base, peak / 1e6


def test_bench_export() -> None:
    n = int(os.environ.get("BENCH_EXPORT_N", "100000"))
    small = n // 10
    database, folder = make_database()
    try:
        insert_responses(database, 1, small)
        results = {small: measure(database, folder, small)}
        insert_responses(database, small + 1, n - small)
        results[n] = measure(database, folder, n)
    finally:
        database.dispose()
    for count, (ours_s, base_s, peak) in results.items():
        print(
            f"export {count:>7} responses x 30 questions (CPU time): ours {ours_s:.2f}s, openpyxl write-only "
            f"{base_s:.2f}s, ratio {ours_s / base_s:.2f} (target <= 1.3); peak traced {peak:.1f} MB"
        )
    growth = results[n][2] - results[small][2]
    print(f"peak memory growth {small} -> {n} responses: {growth:.1f} MB (target < 50 MB)")


if __name__ == "__main__":
    test_bench_export()
