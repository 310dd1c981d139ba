"""The load test's bookkeeping: what the server acknowledged, the database check, the report.

:class:`Ledger` records every acknowledged start, page and submission; :func:`check_database`
compares it with the database after the server has stopped; :class:`Report` prints the figures
with PASS/FAIL beside the targets.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from load_client import Stats, median, percentile


@dataclass
class Ledger:
    """What the server acknowledged, to compare with the database afterwards. Every marker of
    the run starts with ``label``."""

    label: str
    started: list[str] = field(default_factory=list)  # resume tokens
    completed: list[str] = field(default_factory=list)
    throughput: list[str] = field(default_factory=list)  # responses of the throughput phase
    markers: list[str] = field(default_factory=list)
    refused_markers: list[str] = field(default_factory=list)
    abandoned: int = 0
    warm_up: tuple[int, int] = (0, 0)  # journeys started and submitted before measuring
    resubmits: int = 0
    conflicts_refused: int = 0


def check_database(url: str, ledger: Ledger) -> list[str]:
    """Every acknowledged thing stored exactly once, nothing refused stored, no orphan rows."""
    from sqlalchemy import create_engine, func, select

    from feedback.db import Answer, Response, SkippedQuestion
    from feedback.db.submissions import PageSubmission

    problems: list[str] = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tokens = Counter(conn.execute(select(Response.resume_token)).scalars())
            complete = set(
                conn.execute(select(Response.resume_token).where(Response.status == "complete")).scalars()
            )
            markers = Counter(
                conn.execute(select(Answer.value).where(Answer.value.like(f"{ledger.label}%"))).scalars()
            )
            orphans = {
                model.__tablename__: conn.scalar(
                    select(func.count())
                    .select_from(model)
                    .outerjoin(Response, Response.id == model.response_id)
                    .where(Response.id.is_(None))
                )
                for model in (Answer, SkippedQuestion, PageSubmission)
            }
    finally:
        engine.dispose()
    started = Counter(ledger.started)
    if doubled := [t for t, n in started.items() if n > 1]:
        problems.append(f"{len(doubled)} resume tokens acknowledged twice (two journeys, one response)")
    if missing := [t for t in started if tokens.get(t, 0) != 1]:
        problems.append(f"{len(missing)} started responses not stored exactly once")
    if extra := set(tokens) - set(started) - set(ledger.throughput):
        problems.append(f"{len(extra)} responses nobody was told about (duplicates of a start?)")
    if lost := [t for t in ledger.completed if t not in complete]:
        problems.append(f"{len(lost)} acknowledged submissions are not complete in the database")
    if unacknowledged := complete - set(ledger.completed):
        problems.append(f"{len(unacknowledged)} complete responses were never acknowledged")
    wrong = {m: markers.get(m, 0) for m in ledger.markers if markers.get(m, 0) != 1}
    if wrong:
        problems.append(
            f"{len(wrong)} acknowledged pages not stored exactly once, e.g. {list(wrong.items())[:3]}"
        )
    if stored_refused := [m for m in ledger.refused_markers if markers.get(m)]:
        problems.append(f"{len(stored_refused)} refused (conflicting) answers were stored")
    if unexpected := set(markers) - set(ledger.markers) - set(ledger.refused_markers):
        problems.append(f"{len(unexpected)} answers stored that were never acknowledged")
    problems += [f"{n} orphan rows in {table}" for table, n in orphans.items() if n]
    return problems


@dataclass
class Report:
    database: str
    respondents: int
    ledger: Ledger
    journeys: Stats
    gets: Stats
    submits: Stats
    problems: list[str]
    created_tables: list[str]
    start: str = ""  # how the respondents arrived, for the heading

    @property
    def p50(self) -> float:
        return median(self.journeys.all_latencies())

    @property
    def p99(self) -> float:
        return percentile(self.journeys.all_latencies(), 99)

    @property
    def get_rate(self) -> float:
        return self.gets.done / self.gets.elapsed if self.gets.elapsed else 0.0

    @property
    def submit_rate(self) -> float:
        return self.submits.done / self.submits.elapsed if self.submits.elapsed else 0.0

    @property
    def ratio(self) -> float:
        return self.submit_rate / self.get_rate if self.get_rate else 0.0

    @property
    def errors(self) -> list[str]:
        return self.journeys.errors + self.gets.errors + self.submits.errors

    def lines(self) -> list[str]:
        j, led = self.journeys, self.ledger
        submitted = len(led.completed) - led.warm_up[1]
        posts = j.all_latencies("page POST")
        gets, submits = self.gets.all_latencies(), self.submits.all_latencies()
        verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
        lines = [
            f"== {self.database}: {self.respondents} respondents for {j.elapsed:.1f} s{self.start}",
            f"journeys: {len(led.started) - led.warm_up[0]} started, {submitted} submitted, "
            f"{led.abandoned} abandoned, {led.resubmits} resubmits answered alike, "
            f"{led.conflicts_refused} conflicting resubmits refused (and {led.warm_up[0]} warm-up journeys)",
            f"requests: {j.requests()} ({j.requests() / j.elapsed:.0f}/s), page POSTs {len(posts)} "
            f"({len(posts) / j.elapsed:.1f}/s), submissions {submitted / j.elapsed:.1f}/s",
            f"latency, all requests: p50 {ms(self.p50)}, p99 {ms(self.p99)}  "
            f"{verdict(self.p99 < 0.250)} (target < 250 ms at 100 respondents)",
            f"latency, page POSTs: p50 {ms(median(posts))}, p99 {ms(percentile(posts, 99))}",
            f"trivial GET /healthz: {self.get_rate:.0f}/s (p99 {ms(percentile(gets, 99))})",
            f"page submissions (10 questions): {self.submit_rate:.0f}/s (p99 {ms(percentile(submits, 99))})",
            f"ratio submissions/GET: {self.ratio:.1%}  {verdict(self.ratio >= 0.15)} (target >= 15%)",
            f"errors: {len(self.errors)}" + (f", e.g. {self.errors[:3]}" if self.errors else ""),
        ]
        if self.problems:
            lines.append("database: PROBLEMS: " + "; ".join(self.problems))
        else:
            lines.append("database: every acknowledged page and submission stored exactly once, no orphans")
        if self.created_tables:
            lines.append(
                f"note: tables missing from the migration, created: {', '.join(self.created_tables)}"
            )
        return lines


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
