"""Synthetic data for the export and summary benchmarks: a 30-question instrument and responses
bulk-inserted with Core (explicit ids, executemany), reproducible from the response id alone so a
baseline can regenerate exactly the cells the export writes without holding them in memory."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from feedback.config import Settings
from feedback.db import Answer, Base, Instrument, Question, Response
from feedback.db.session import Database, make_engine
from feedback.domain.loader import load_file
from feedback.services.instruments import save_instrument

SLUG = "bench-survey"
SCALE = ["very", "quite", "neutral", "not_very", "not_at_all"]
SCALE_LABELS = ["Very useful", "Quite useful", "Neither", "Not very useful", "Not at all useful"]
TOPICS = ["funding", "networks", "policy", "training"]
TOPIC_LABELS = ["Funding", "Networks", "Policy", "Training"]
# Free text: mostly ordinary, one answer in ten a formula-like payload the writer must defuse.
PHRASES = [
    "Very helpful",
    "More time for questions please",
    "The venue was hard to reach",
    "Good",
    "I would come again",
    "Too short",
    "Useful contacts made",
    "Could be online next time",
    "Excellent speakers",
    "=1+1",
]
START = datetime(2026, 1, 1, tzinfo=UTC)

# 30 input questions: 12 select_one, 6 select_multiple, 5 integer, 3 decimal, 2 date, 2 text.
QUESTIONS: list[tuple[str, str]] = (
    [(f"s{i}", "select_one scale") for i in range(12)]
    + [(f"m{i}", "select_multiple topics") for i in range(6)]
    + [(f"n{i}", "integer") for i in range(5)]
    + [(f"d{i}", "decimal") for i in range(3)]
    + [(f"t{i}", "date") for i in range(2)]
    + [(f"x{i}", "text") for i in range(2)]
)


def form_yaml() -> str:
    lines = [
        "settings:",
        f"  form_id: {SLUG}",
        "  form_title: Benchmark survey",
        '  version: "1"',
        "  kind: survey",
        "survey:",
    ]
    for name, qtype in QUESTIONS:
        lines += [f"  - type: {qtype}", f"    name: {name}", f"    label: Question {name}"]
    lines.append("choices:")
    lines.append("  scale:")
    for code, label in zip(SCALE, SCALE_LABELS, strict=True):
        lines += [f"    - name: {code}", f"      label: {label}"]
    lines.append("  topics:")
    for code, label in zip(TOPICS, TOPIC_LABELS, strict=True):
        lines += [f"    - name: {code}", f"      label: {label}"]
    return "\n".join(lines) + "\n"


def answers_for(response_id: int) -> dict[str, object]:
    """The answers of one synthetic response: deterministic in its id. A few are left blank."""
    rng = random.Random(response_id)
    out: dict[str, object] = {}
    for name, qtype in QUESTIONS:
        if rng.random() < 0.05:
            continue
        kind = qtype.split()[0]
        if kind == "select_one":
            out[name] = SCALE[rng.randrange(5)]
        elif kind == "select_multiple":
            out[name] = tuple(t for t in TOPICS if rng.random() < 0.4) or (TOPICS[0],)
        elif kind == "integer":
            out[name] = rng.randrange(0, 100)
        elif kind == "decimal":
            out[name] = round(rng.uniform(0, 10), 2)
        elif kind == "date":
            out[name] = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        else:
            out[name] = PHRASES[rng.randrange(len(PHRASES))]
    return out


def make_database(folder: Path | None = None) -> tuple[Database, Path]:
    folder = folder or Path(tempfile.mkdtemp(prefix="feedback-bench-"))
    settings = Settings(
        instance_path=folder, database_url=f"sqlite:///{folder / 'bench.db'}", secret_key="bench"
    )
    database = Database(make_engine(settings))
    Base.metadata.create_all(database.engine)
    form = folder / f"{SLUG}.yaml"
    form.write_text(form_yaml())
    with database.write() as session:
        save_instrument(session, load_file(form))
    return database, folder


def insert_responses(database: Database, first_id: int, count: int, batch: int = 5_000) -> None:
    """Responses ``first_id .. first_id+count-1`` with their answers, one executemany per batch."""
    with database.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.slug == SLUG))
        assert instrument is not None
        ids = dict(
            session.execute(
                select(Question.name, Question.id).where(Question.version_id == instrument.current_version_id)
            ).all()
        )
        for start in range(first_id, first_id + count, batch):
            stop = min(start + batch, first_id + count)
            responses, answers = [], []
            for rid in range(start, stop):
                when = START + timedelta(minutes=rid)
                responses.append(
                    {
                        "id": rid,
                        "instrument_id": instrument.id,
                        "version_id": instrument.current_version_id,
                        "status": "complete",
                        "mode": "web",
                        "answered": 0,
                        "applicable": 30,
                        "started_at": when,
                        "updated_at": when,
                        "submitted_at": when,
                    }
                )
                for name, value in answers_for(rid).items():
                    qid = ids[name]
                    if isinstance(value, tuple):
                        answers += [
                            {"response_id": rid, "question_id": qid, "value": c, "code": c, "number": None}
                            for c in value
                        ]
                    elif name.startswith("s"):
                        answers.append(
                            {
                                "response_id": rid,
                                "question_id": qid,
                                "value": value,
                                "code": value,
                                "number": None,
                            }
                        )
                    elif isinstance(value, int | float):
                        answers.append(
                            {
                                "response_id": rid,
                                "question_id": qid,
                                "value": str(value),
                                "code": None,
                                "number": float(value),
                            }
                        )
                    elif isinstance(value, date):
                        answers.append(
                            {
                                "response_id": rid,
                                "question_id": qid,
                                "value": value.isoformat(),
                                "code": None,
                                "number": None,
                            }
                        )
                    else:
                        answers.append(
                            {
                                "response_id": rid,
                                "question_id": qid,
                                "value": value,
                                "code": None,
                                "number": None,
                            }
                        )
            session.execute(insert(Response), responses)
            session.execute(insert(Answer), answers)


def baseline_rows(first_id: int, count: int) -> Iterator[list[object]]:
    """The same cells our Responses sheet holds (labels mode), regenerated without the database."""
    labels = dict(zip(SCALE, SCALE_LABELS, strict=True))
    topic_labels = dict(zip(TOPICS, TOPIC_LABELS, strict=True))
    for rid in range(first_id, first_id + count):
        answers = answers_for(rid)
        when = (START + timedelta(minutes=rid)).replace(tzinfo=None)
        row: list[object] = [rid, "complete", "web", None, when, ""]
        for name, qtype in QUESTIONS:
            value = answers.get(name)
            if qtype.startswith("select_multiple"):
                if value is None:
                    row += [None] * (1 + len(TOPICS))
                else:
                    row.append("; ".join(topic_labels[c] for c in value))  # type: ignore[union-attr]
                    row += [1 if t in value else 0 for t in TOPICS]  # type: ignore[operator]
            elif qtype.startswith("select_one"):
                row.append(labels[value] if value else None)  # type: ignore[index]
            else:
                row.append(value)
        yield row
