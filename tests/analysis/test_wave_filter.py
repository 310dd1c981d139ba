"""The wave filter: summaries and exports of the responses of cases first invited in one wave.

Five contacts: three invited in wave 1 and reminded in wave 2, two added later and invited in
wave 3. Responses are tied to their case, or (one of them) only to the contact, as an import
with an e-mail address records them; one response belongs to nobody invited.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from analysis_support import SLUG, Record
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from feedback.db import Case, Contact, Instrument
from feedback.db.session import Database
from feedback.db.summary_queries import ResponseFilter, response_counts
from feedback.services.contacts import create_cases
from feedback.services.invitations import create_wave


@pytest.fixture
def waves(db: Database, record: Record) -> dict[str, int]:
    """Record the waves and responses; return the response ids by who answered."""
    with db.write() as session:
        instrument = session.scalars(select(Instrument).where(Instrument.slug == SLUG)).one()
        assert instrument.project_id is not None
        contacts = [
            Contact(project_id=instrument.project_id, email=f"p{i}@example.org", name=f"P{i}")
            for i in range(5)
        ]
        session.add_all(contacts)
        session.flush()
        ids = [c.id for c in contacts]
        create_cases(session, instrument, ids[:3])
        create_wave(session, instrument, kind="invitation", sent_on=date(2026, 2, 2))
        create_wave(session, instrument, kind="reminder", sent_on=date(2026, 2, 9))
        create_cases(session, instrument, ids[3:])
        create_wave(session, instrument, kind="invitation", sent_on=date(2026, 2, 16))
        case_of = {contact: case for contact, case in session.execute(select(Case.contact_id, Case.id))}
    return {
        "wave1_a": record({"useful": "very"}, case_id=case_of[ids[0]], contact_id=ids[0]),
        "wave1_b": record({"useful": "very"}, case_id=case_of[ids[1]], contact_id=ids[1]),
        "wave3_contact_only": record({"useful": "not_very"}, contact_id=ids[3]),
        "wave3_case": record({"useful": "ambivalent"}, case_id=case_of[ids[4]], contact_id=ids[4]),
        "not_invited": record({"useful": "ambivalent"}),
    }


def _summary(runner: FlaskCliRunner, *args: str) -> dict[str, object]:
    result = runner.invoke(args=["summary", "--instrument", SLUG, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _useful(data: dict[str, object]) -> tuple[int, dict[str, int]]:
    question = next(q for q in data["questions"] if q["name"] == "useful")  # type: ignore[attr-defined]
    return question["base"], {row["value"]: row["n"] for row in question["rows"]}


def test_summary_of_one_wave_counts_the_cases_it_first_invited(
    runner: FlaskCliRunner, waves: dict[str, int]
) -> None:
    assert _useful(_summary(runner)) == (5, {"very": 2, "ambivalent": 2, "not_very": 1})
    assert _useful(_summary(runner, "--wave", "1")) == (2, {"very": 2, "ambivalent": 0, "not_very": 0})
    # Wave 3 includes the response recorded with only its contact (no case).
    wave3 = _summary(runner, "--wave", "3")
    assert _useful(wave3) == (2, {"very": 0, "ambivalent": 1, "not_very": 1})
    assert wave3["responses"] == {"complete": 2, "partial": 0}


def test_a_reminder_or_missing_wave_is_refused_with_the_reason(
    runner: FlaskCliRunner, waves: dict[str, int]
) -> None:
    result = runner.invoke(args=["summary", "--instrument", SLUG, "--wave", "2"])
    assert result.exit_code == 1
    assert "wave 2 of 'usefulness-check' is a reminder" in result.output
    assert "(invitation waves: 1, 3)" in result.output
    result = runner.invoke(args=["summary", "--instrument", SLUG, "--wave", "7"])
    assert result.exit_code == 1 and "'usefulness-check' has no wave 7" in result.output


def test_wave_filter_combines_with_the_other_filters(db: Database, waves: dict[str, int]) -> None:
    with db.read() as session:
        instrument_id = session.scalars(select(Instrument.id).where(Instrument.slug == SLUG)).one()
        assert response_counts(session, instrument_id, ResponseFilter(wave=1, statuses=("complete",))) == {
            "complete": 2,
            "partial": 0,
        }
        assert response_counts(session, instrument_id, ResponseFilter(wave=1, statuses=("partial",))) == {
            "complete": 0,
            "partial": 0,
        }


def test_export_of_one_wave_holds_only_its_responses(
    runner: FlaskCliRunner, waves: dict[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "wave3.xlsx"
    result = runner.invoke(args=["export", "--instrument", SLUG, "--wave", "3", "-o", str(path)])
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(path)["Responses"].iter_rows(values_only=True))
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([waves["wave3_contact_only"], waves["wave3_case"]])  # type: ignore[arg-type]
    result = runner.invoke(args=["export", "--instrument", SLUG, "--wave", "2", "-o", str(path)])
    assert result.exit_code == 1 and "is a reminder" in result.output
