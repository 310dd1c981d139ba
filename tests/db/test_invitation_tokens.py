"""One-time invitation links are enforced by the database, not by a check in Python."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from feedback.db import Case, Instrument
from feedback.db.session import Database


def _instrument_id(db: Database) -> int:
    with db.read() as session:
        instrument_id = session.scalar(select(Instrument.id).order_by(Instrument.id))
    assert instrument_id is not None
    return instrument_id


def test_a_second_case_with_the_same_token_is_refused(db: Database, loaded_forms) -> None:
    instrument_id = _instrument_id(db)
    token = "a" * 43
    with db.write() as session:
        session.execute(insert(Case), [{"instrument_id": instrument_id, "token": token}])
    with pytest.raises(IntegrityError), db.write() as session:
        # Bypasses every Python check: only the unique constraint can stop it.
        session.execute(insert(Case), [{"instrument_id": instrument_id, "token": token}])
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_case_without_a_token_is_refused(db: Database, loaded_forms) -> None:
    instrument_id = _instrument_id(db)
    with pytest.raises(IntegrityError), db.write() as session:
        session.execute(insert(Case), [{"instrument_id": instrument_id, "token": None}])
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
