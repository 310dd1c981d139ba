"""An instrument built for the analysis tests, and a helper to record responses to it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from analysis_support import FORM, SLUG, Record
from sqlalchemy import select

from feedback.db import Instrument
from feedback.db.session import Database
from feedback.domain.loader import load_file
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response


@pytest.fixture
def form_file(tmp_path: Path) -> Path:
    path = tmp_path / f"{SLUG}.yaml"
    path.write_text(FORM)
    return path


@pytest.fixture
def instrument(db: Database, form_file: Path) -> str:
    with db.write() as session:
        save_instrument(session, load_file(form_file))
    return SLUG


@pytest.fixture
def record(db: Database, instrument: str) -> Record:
    """``record(values, status=..., mode=..., ...)`` stores one response and returns its id."""

    def _record(values: Mapping[str, object], slug: str = SLUG, **options: object) -> int:
        options.setdefault("submitted_at", datetime(2026, 3, 1, 12, tzinfo=UTC))
        with db.write() as session:
            target = session.scalar(select(Instrument).where(Instrument.slug == slug))
            assert target is not None
            return record_response(session, target, values, **options).id  # type: ignore[arg-type]

    return _record
