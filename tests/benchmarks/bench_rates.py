"""Benchmark: rates per subgroup for 100,000 contacts and 30,000 responses.

Run: ``.venv/bin/python tests/benchmarks/bench_rates.py [--contacts N] [--responses N]``
(add ``--database-url postgresql+psycopg://...`` to run on PostgreSQL).

Prints the time of our query path (:func:`feedback.db.rate_queries.counts_by_attribute`, which
derives every case's disposition with the full rules: staff-set values, call attempts, partial
threshold) and of the service on top of it (:func:`feedback.services.rates.rates_by_attribute`,
counts plus all sixteen rates per region), each as a ratio to one hand-written SQL GROUP BY that
computes the same counts with the web rules only, in the same process on the same data. The
counts are checked equal before anything is timed.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

from feedback.config import Settings
from feedback.db import (
    Base,
    Case,
    Contact,
    ContactAttribute,
    Instrument,
    InstrumentVersion,
    Project,
    Response,
)
from feedback.db.rate_queries import counts_by_attribute
from feedback.db.session import Database, make_engine
from feedback.domain.rates import DISPOSITIONS
from feedback.services.rates import rates_by_attribute

REGIONS = [
    "North East",
    "North West",
    "Yorkshire",
    "East Midlands",
    "West Midlands",
    "East",
    "London",
    "South",
]
BATCH = 10_000

BASELINE = """
SELECT coalesce(a.value, '(missing)') AS region,
       CASE
         WHEN c.disposition IS NOT NULL THEN c.disposition
         WHEN r.complete = 1 THEN 'I'
         WHEN r.returned > 0 AND r.above = 1 THEN 'P'
         WHEN r.returned > 0 THEN 'R'
         WHEN c.opted_out THEN 'R'
         WHEN c.bounced THEN 'UO'
         ELSE 'UH'
       END AS disposition,
       count(*)
FROM cases c
JOIN instruments i ON i.id = c.instrument_id
LEFT JOIN (
  SELECT x.case_id,
         max(CASE WHEN x.status = 'complete' THEN 1 ELSE 0 END) AS complete,
         count(*) AS returned,
         max(CASE WHEN x.applicable > 0 AND x.answered >= 0.5 * x.applicable THEN 1 ELSE 0 END) AS above
  FROM responses x WHERE x.case_id IS NOT NULL AND x.deleted_at IS NULL GROUP BY x.case_id
) r ON r.case_id = c.id
LEFT JOIN contact_attributes a ON a.contact_id = c.contact_id AND a.key = 'region'
WHERE c.instrument_id = :instrument
GROUP BY 1, 2
"""


def populate(db: Database, n_contacts: int, n_responses: int, rng: random.Random) -> int:
    with db.write() as session:
        project = Project(slug="bench", name="Bench")
        session.add(project)
        session.flush()
        instrument = Instrument(slug="bench-survey", kind="survey", title="Bench", project_id=project.id)
        session.add(instrument)
        session.flush()
        version = InstrumentVersion(instrument_id=instrument.id, number=1, digest="bench", definition={})
        session.add(version)
        session.flush()
        instrument.current_version_id = version.id
        pid, iid, vid = project.id, instrument.id, version.id
    with db.write() as session:
        for start in range(0, n_contacts, BATCH):
            stop = min(start + BATCH, n_contacts)
            session.execute(
                insert(Contact),
                [
                    {"project_id": pid, "email": f"c{i}@example.org", "name": f"C {i}"}
                    for i in range(start, stop)
                ],
            )
        contact_ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
        for start in range(0, n_contacts, BATCH):
            chunk = contact_ids[start : start + BATCH]
            session.execute(
                insert(ContactAttribute),
                [{"contact_id": c, "key": "region", "value": rng.choice(REGIONS)} for c in chunk],
            )
            session.execute(
                insert(ContactAttribute),
                [{"contact_id": c, "key": "org_type", "value": rng.choice("ABC")} for c in chunk],
            )
            session.execute(
                insert(Case),
                [
                    {"instrument_id": iid, "contact_id": c, "token": secrets.token_urlsafe(32),
                     "opted_out": rng.random() < 0.01, "bounced": rng.random() < 0.02}
                    for c in chunk
                ],
            )  # fmt: skip
        case_ids = list(session.scalars(select(Case.id).order_by(Case.id)))
        responders = rng.sample(case_ids, n_responses)
        when = datetime(2024, 1, 1, tzinfo=UTC)
        for start in range(0, n_responses, BATCH):
            rows = []
            for cid in responders[start : start + BATCH]:
                complete = rng.random() < 0.8
                rows.append(
                    {"instrument_id": iid, "version_id": vid, "case_id": cid,
                     "status": "complete" if complete else "partial",
                     "answered": 20 if complete else rng.randint(0, 20), "applicable": 20, "started_at": when,
                     "submitted_at": when if complete else None}
                )  # fmt: skip
            session.execute(insert(Response), rows)
    return iid


def best_of(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Best time of each function, run in interleaved rounds so that load from other processes
    on the machine falls on all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--responses", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        schema = None
        if url.startswith("postgresql"):
            # A schema of its own, dropped afterwards: never touch the tables already there.
            schema = f"bench_{secrets.token_hex(4)}"
            with create_engine(url).begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        settings = Settings(
            instance_path=Path(tmp), database_url=url, secret_key="bench", database_schema=schema
        )
        db = Database(make_engine(settings))
        Base.metadata.create_all(db.engine)
        try:
            started = time.perf_counter()
            iid = populate(db, args.contacts, args.responses, random.Random(1))
            inserted = time.perf_counter() - started
            # Planner statistics, as autovacuum (PostgreSQL) or a routine ANALYZE would have them:
            # without them the first plans depend on when autovacuum happens to run.
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            print(
                f"{db.engine.dialect.name}: {args.contacts:,} contacts and cases, "
                f"{args.responses:,} responses inserted in {inserted:.1f} s"
            )
            with db.read() as session:
                ours = counts_by_attribute(session, iid, "region")
                baseline: dict[str, dict[str, int]] = {}
                for region, code, n in session.execute(text(BASELINE), {"instrument": iid}):
                    baseline.setdefault(region, dict.fromkeys(DISPOSITIONS, 0))[code] = n
                if ours != baseline:
                    sys.exit(f"counts differ:\n ours     {ours}\n baseline {baseline}")
                instrument = session.get(Instrument, iid)
                t_base, t_query, t_service = best_of(
                    [
                        lambda: session.execute(text(BASELINE), {"instrument": iid}).all(),
                        lambda: counts_by_attribute(session, iid, "region"),
                        lambda: rates_by_attribute(session, instrument, "region"),
                    ],
                    args.repeat,
                )
        finally:
            db.dispose()
            if schema:
                with create_engine(url).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print(f"hand-written GROUP BY (baseline)    {t_base * 1000:8.1f} ms   1.00x")
    print(f"counts_by_attribute (full rules)    {t_query * 1000:8.1f} ms   {t_query / t_base:.2f}x")
    print(f"rates_by_attribute (counts + rates) {t_service * 1000:8.1f} ms   {t_service / t_base:.2f}x")
    print(f"best of {args.repeat}; {len(ours)} regions; counts identical")


if __name__ == "__main__":
    main()
