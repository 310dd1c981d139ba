"""Helpers for samples, dispositions and rates: small instruments made directly in the database.

Instruments here have an empty definition: rates never read questions, only cases, responses
(status, answered, applicable) and call attempts, so building them by hand keeps tests fast and
the data in each test visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from feedback.db import (
    Activity,
    Case,
    Contact,
    ContactAttribute,
    Instrument,
    InstrumentVersion,
    Project,
    Response,
)

Maker = Callable[..., Instrument]


def make_instrument(
    session: Session, slug: str, kind: str = "survey", project: str = "crisp", **extra: Any
) -> Instrument:
    proj = session.scalar(select(Project).where(Project.slug == project))
    if proj is None:
        proj = Project(slug=project, name=project.upper())
        session.add(proj)
        session.flush()
    instrument = Instrument(
        slug=slug, kind=kind, title=slug.replace("-", " ").title(), project_id=proj.id, **extra
    )
    session.add(instrument)
    session.flush()
    version = InstrumentVersion(instrument_id=instrument.id, number=1, digest=slug, definition={})
    session.add(version)
    session.flush()
    instrument.current_version_id = version.id
    session.flush()
    return instrument


def add_contacts(
    session: Session,
    instrument: Instrument,
    n: int,
    attributes: Callable[[int], dict[str, str]] | None = None,
) -> list[int]:
    """n contacts in the instrument's project, each with a case; returns the case ids."""
    start = len(list(session.scalars(select(Contact.id))))
    rows = [
        {
            "project_id": instrument.project_id,
            "email": f"p{start + i}@example.org",
            "name": f"Person {start + i}",
        }
        for i in range(n)
    ]
    session.execute(insert(Contact), rows)
    ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))[-n:]
    if attributes:
        attr_rows = [
            {"contact_id": cid, "key": k, "value": v}
            for i, cid in enumerate(ids)
            for k, v in attributes(i).items()
        ]
        if attr_rows:
            session.execute(insert(ContactAttribute), attr_rows)
    session.execute(
        insert(Case),
        [
            {"instrument_id": instrument.id, "contact_id": cid, "token": f"tok-{instrument.slug}-{cid}"}
            for cid in ids
        ],
    )
    return list(
        session.scalars(
            select(Case.id)
            .where(Case.instrument_id == instrument.id, Case.contact_id.in_(ids))
            .order_by(Case.id)
        )
    )


def add_responses(session: Session, instrument: Instrument, specs: Iterable[dict[str, Any]]) -> None:
    """Insert responses: each spec may give case_id, activity_id, status, answered, applicable, mode."""
    rows = []
    for spec in specs:
        row = {
            "instrument_id": instrument.id,
            "version_id": instrument.current_version_id,
            "case_id": None,
            "activity_id": None,
            "status": "complete",
            "answered": 10,
            "applicable": 10,
            "mode": "web",
            "started_at": datetime(2024, 1, 1),
            "submitted_at": datetime(2024, 1, 1),
        }
        row.update(spec)
        if row["status"] != "complete" and "submitted_at" not in spec:
            row["submitted_at"] = None
        rows.append(row)
    if rows:
        session.execute(insert(Response), rows)


def add_activity(session: Session, project_id: int, title: str, attending: int | None = None) -> Activity:
    activity = Activity(project_id=project_id, title=title, attending=attending)
    session.add(activity)
    session.flush()
    return activity
