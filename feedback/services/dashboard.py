"""The dashboards' rows: each instrument with its figures, the same objects the rates page,
methodology table, workbook and ``feedback rates --json`` use, so the dashboard cannot disagree.

The dashboards once counted complete responses against all cases themselves; after one anonymous
answer they said "161 of 710 (23%)" while the rates page said 189 of 710 (26.6%). Now the only
counting is :func:`feedback.services.figures.instrument_rates`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Instrument
from ..db.dashboard import InstrumentProgress, instrument_progress
from .figures import InstrumentRates, instrument_rates


@dataclass(frozen=True)
class DashboardRow:
    progress: InstrumentProgress  # title, kind, status, last response
    figures: InstrumentRates


def project_rows(session: Session, project_ids: list[int]) -> dict[int, list[DashboardRow]]:
    """Each project's instruments with their figures: a fixed number of queries for any number
    of projects (plus one per event feedback form, for its events' head counts)."""
    progress = instrument_progress(session, project_ids)
    instruments = list(session.scalars(select(Instrument).where(Instrument.project_id.in_(project_ids))))
    figures = {i.id: f for i, f in zip(instruments, instrument_rates(session, instruments), strict=True)}
    return {pid: [DashboardRow(p, figures[p.id]) for p in rows] for pid, rows in progress.items()}
