"""Load test: many respondents at once against gunicorn, then proof that nothing was lost or doubled.

Run (from the repository root)::

    .venv/bin/python tests/benchmarks/load.py                      # 100 respondents, SQLite
    .venv/bin/python tests/benchmarks/load.py --pg postgresql://u:p@127.0.0.1/db   # and PostgreSQL

(``FEEDBACK_TEST_DATABASE_URL`` set means ``--pg`` with that URL.) ``tests/test_load_short.py``
imports :func:`run` for a short version in the normal suite.

For each database: a fresh database in a temporary folder (PostgreSQL: a fresh schema, dropped
afterwards), migrated with ``feedback db upgrade``, the crisp-web-survey instrument loaded with
``feedback forms load``, then ``feedback serve`` (gunicorn, sync workers) on a free loopback port.
Three phases against that one server:

1. **Journeys** (correctness and latency): N respondent threads, each a browser with its own
   cookie, go through the 7-page instrument for ``--duration`` seconds: start page, every page
   (GET, then POST with its CSRF token and submission key), "Check your answers", send. Every
   third respondent posts one page twice (a resubmit: both must redirect to the same place);
   every tenth posts it a third time with another answer (must be refused, 409); every fifth
   journey is abandoned halfway. ``--think`` seconds (mean) pass between pages, as a person reads.
   Respondents arrive within the first think time (each at a random moment of it), as people do,
   rather than all in the same millisecond (``--burst``: all in the same instant, a harsher test).
2. **Trivial GET** throughput: ``--threads`` clients fetch ``/healthz`` for ``--seconds``.
3. **Page submission** throughput: the same number of clients each POST one 10-question page
   over and over (each POST with a fresh key, as after pressing Continue), for ``--seconds``.
   Phases 2 and 3 alternate in five rounds, so both see the same machine.

Then the server is stopped and the database checked: every acknowledged page (a 302 after its
POST) has its marker answer stored exactly once, refused answers are absent, every acknowledged
submission is one complete response, every started journey made exactly one response, and no
answer, skip or page key points at a missing response.

Prints requests and submissions per second, p50/p99 latency, errors, and the ratio of page
submissions per second to trivial GETs per second, with PASS/FAIL beside the targets (p99 under
250 ms at 100 respondents, ratio at least 15%). Client and server share the machine's cores, so
the figures are for comparing runs on one machine, not absolute capacity.
"""

from __future__ import annotations

import argparse
import html
import os
import random
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))
from load_client import Client, Reply, Stats  # noqa: E402
from load_report import Ledger, Report, check_database  # noqa: E402
from load_server import database, server  # noqa: E402

FORM = ROOT / "forms" / "crisp-web-survey.yaml"
SLUG = "crisp-web-survey"
ROUNDS = 5  # the throughput phases alternate this many times
THROUGHPUT_PAGE = 4  # "What has the programme achieved?": ten questions
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def hidden(body: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', body)
    return html.unescape(match.group(1)) if match else ""


def page_answers(number: int, marker: str) -> dict[str, str | list[str]]:
    """A valid answer to every unconditional question on page ``number``; the first text question
    gets ``marker`` so the database check can find exactly this POST's answers."""
    from feedback.domain.loader import load_file

    model = _model_cache.get("model") or _model_cache.setdefault("model", load_file(FORM).instrument)
    page = model.pages()[number - 1]
    fields: dict[str, str | list[str]] = {}
    marked = False
    for question in page.questions():
        if not question.is_input or question.relevant:
            continue
        choices = model.choices_for(question)
        if question.type == "select_one":
            fields[question.name] = choices[0].name
        elif question.type == "select_multiple":
            fields[question.name] = [choices[0].name]
        elif question.type in ("integer", "decimal"):
            fields[question.name] = "3"
        elif question.type == "text":
            fields[question.name] = marker if not marked else "Load test answer"
            marked = True
    if marked:
        fields["__marker__"] = marker
    return fields


_model_cache: dict[str, object] = {}


class JourneyError(Exception):
    pass


def _expect(reply: Reply, status: int, what: str) -> Reply:
    if reply.status != status:
        raise JourneyError(f"{what}: expected {status}, got {reply.status} {reply.body[:200]!r}")
    return reply


def journey(client: Client, ledger: Ledger, n: int, j: int, think: float, label: str) -> None:
    """One respondent answering the instrument once (or abandoning it halfway)."""
    pause = (lambda: time.sleep(random.uniform(0.5, 1.5) * think)) if think else (lambda: None)
    start = _expect(client.get(f"/f/{SLUG}"), 200, "start page")
    fields = {"csrf_token": CSRF.search(start.body).group(1), "key": hidden(start.body, "key")}  # type: ignore[union-attr]
    pause()
    created = _expect(client.post(f"/f/{SLUG}", fields), 302, "start")
    token = created.location.rsplit("/r/", 1)[1]
    ledger.started.append(token)
    url = _expect(client.get(created.location), 302, "resume").location
    abandon, resubmit, conflict = (n + j) % 5 == 4, n % 3 == 0, n % 10 == 1
    posted = 0
    while True:
        page = _expect(client.get(url), 200, f"GET {url}")
        csrf, key = CSRF.search(page.body).group(1), hidden(page.body, "_key")  # type: ignore[union-attr]
        pause()
        if url.endswith("/check"):
            sent = _expect(client.post(url, {"csrf_token": csrf, "_key": key}), 302, "send")
            if not sent.location.endswith("/done"):
                raise JourneyError(f"send went to {sent.location}")
            ledger.completed.append(token)
            _expect(client.get(sent.location), 200, "done")
            return
        number = int(url.rsplit("/p/", 1)[1])
        marker = f"{label}-{n}-{j}-p{number}"
        answers = page_answers(number, marker)
        has_marker = answers.pop("__marker__", None) is not None
        fields = {"csrf_token": csrf, "_key": key, "_action": "continue", **answers}
        reply = _expect(client.post(url, fields), 302, f"POST {url}")
        if has_marker:
            ledger.markers.append(marker)
        if posted == 1 and resubmit:
            again = _expect(client.post(url, fields), 302, f"resubmit {url}")
            if again.location != reply.location:
                raise JourneyError(f"resubmit went to {again.location}, first to {reply.location}")
            ledger.resubmits += 1
        if posted == 1 and conflict and has_marker:
            other = {k: (f"{marker}-changed" if v == marker else v) for k, v in fields.items()}
            _expect(client.post(url, other), 409, f"conflicting resubmit {url}")
            ledger.refused_markers.append(f"{marker}-changed")
            ledger.conflicts_refused += 1
        posted += 1
        url = reply.location
        if abandon and posted >= 3:
            ledger.abandoned += 1
            return


def run_journeys(
    port: int,
    respondents: int,
    duration: float,
    think: float,
    label: str,
    ledger: Ledger,
    burst: bool = False,
) -> Stats:
    """Each respondent starts journeys until ``duration`` is over (at least one each)."""
    stats = Stats()
    deadline = time.monotonic() + duration
    barrier = threading.Barrier(respondents)
    # People arrive over a moment, not in one millisecond: each respondent's first request comes
    # a random part of one think time after the start (all are active within the first second).
    # ``burst``: all first requests at once, the harsher test.
    arrivals = [0.0 if burst else random.uniform(0, think) for _ in range(respondents)]

    def respondent(n: int) -> None:
        client = Client(port, stats)
        barrier.wait()
        time.sleep(arrivals[n])
        j = 0
        while j == 0 or time.monotonic() < deadline:
            try:
                journey(client, ledger, n, j, think, label)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                stats.error(f"respondent {n}: {type(exc).__name__}: {exc}")
                client = Client(port, stats)
            j += 1

    threads = [threading.Thread(target=respondent, args=(n,), daemon=True) for n in range(respondents)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 120)
    stats.elapsed = time.monotonic() - began
    return stats


def hammer(port: int, seconds: float, threads: int, make: Callable[[Client], Callable[[], bool]]) -> Stats:
    """``threads`` clients each call the function ``make`` returns, as fast as they can."""
    stats = Stats()
    ready = threading.Barrier(threads + 1)
    stop = threading.Event()

    def worker() -> None:
        client = Client(port, stats)
        step: Callable[[], bool] | None = None
        try:
            step = make(client)
        except Exception as exc:  # noqa: BLE001 - reported with the other errors
            stats.error(f"throughput client setup: {type(exc).__name__}: {exc}")
        finally:
            ready.wait()
        while step is not None and not stop.is_set():
            try:
                ok = step()
            except Exception as exc:  # noqa: BLE001
                stats.error(f"throughput client: {type(exc).__name__}: {exc}")
                return
            if ok:
                with stats.lock:
                    stats.done += 1

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    ready.wait()
    began = time.monotonic()
    stats.reset_latencies()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join(timeout=60)
    stats.elapsed = time.monotonic() - began
    return stats


def trivial_get(client: Client) -> Callable[[], bool]:
    return lambda: client.get("/healthz", kind="get").status == 200


def page_submitter(label: str, ledger: Ledger) -> Callable[[Client], Callable[[], bool]]:
    def make(client: Client) -> Callable[[], bool]:
        start = client.get(f"/f/{SLUG}")
        csrf = CSRF.search(start.body).group(1)  # type: ignore[union-attr]
        created = client.post(f"/f/{SLUG}", {"csrf_token": csrf, "key": secrets.token_urlsafe(32)})
        ledger.throughput.append(created.location.rsplit("/r/", 1)[1])
        url = f"{created.location}/p/{THROUGHPUT_PAGE}"
        counter = iter(range(10**9))

        def step() -> bool:
            answers = page_answers(THROUGHPUT_PAGE, f"{label}-tp-{next(counter)}")
            answers.pop("__marker__", None)
            fields = {"csrf_token": csrf, "_key": secrets.token_urlsafe(32), "_action": "continue", **answers}
            return client.post(url, fields, kind="submit").status == 302

        return step

    return make


def run(
    *,
    respondents: int = 100,
    duration: float = 30.0,
    think: float = 1.0,
    workers: int = 4,
    seconds: float = 5.0,
    threads: int = 16,
    pg_url: str | None = None,
    burst: bool = False,
) -> Report:
    """One full run against one database (SQLite, or PostgreSQL with ``pg_url``)."""
    label = f"L{secrets.token_hex(3)}"
    with database(pg_url) as (url, folder):
        with server(url, folder, workers) as (port, created):
            ledger = Ledger(label)
            # Warm-up: every worker imports, compiles templates and parses the instrument on its
            # first requests; those seconds are not what a respondent meets later.
            warm = run_journeys(port, 2 * workers, 0.0, 0.0, label + "w", ledger)
            ledger.warm_up = (len(ledger.started), len(ledger.completed))
            ledger.abandoned = ledger.resubmits = ledger.conflicts_refused = 0
            journeys = run_journeys(port, respondents, duration, think, label, ledger, burst)
            journeys.errors[:0] = warm.errors
            # Alternating rounds, so a change in the machine's load (CI neighbours) affects both.
            # Another label keeps the throughput phase's answers out of the marker check.
            gets, submits = Stats(), Stats()
            for _ in range(ROUNDS):
                gets.add(hammer(port, seconds / ROUNDS, threads, trivial_get))
                submits.add(hammer(port, seconds / ROUNDS, threads, page_submitter("T" + label[1:], ledger)))
        problems = check_database(url, ledger)  # with the server stopped
    name = "PostgreSQL" if pg_url else "SQLite"
    start = ", all starting at once" if burst else f", arriving within {think:g} s"
    return Report(name, respondents, ledger, journeys, gets, submits, problems, created, start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--respondents", type=int, default=100)
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds of journeys (new ones stop then)"
    )
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a respondent's pages")
    parser.add_argument("-w", "--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput phase")
    parser.add_argument("--threads", type=int, default=16, help="clients in the throughput phases")
    parser.add_argument("--pg", default=os.environ.get("FEEDBACK_TEST_DATABASE_URL", ""))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--burst", action="store_true", help="every respondent's first request in the same instant"
    )
    args = parser.parse_args(argv)
    if args.respondents > 1000 or args.duration > 600:
        parser.error("at most 1000 respondents and 600 seconds")
    failed = False
    for pg in ([] if args.no_sqlite else [None]) + ([args.pg] if args.pg else []):
        report = run(
            respondents=args.respondents, duration=args.duration, think=args.think, workers=args.workers,
            seconds=args.seconds, threads=args.threads, pg_url=pg, burst=args.burst,
        )  # fmt: skip
        print("\n".join(report.lines()), flush=True)
        failed |= bool(report.problems or report.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
