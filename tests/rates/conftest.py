"""Fixtures for the rates tests (helpers are in rates_support.py)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from sqlalchemy.orm import Session

from feedback.db.session import Database


@pytest.fixture
def session(db: Database) -> Iterable[Session]:
    """A write session rolled back at the end: for service tests that need no commit."""
    with db.writer() as s:
        yield s
        s.rollback()
