"""``feedback contacts import --sample N`` when some contacts already are cases (issue 13, defect 6).

The draw takes only contacts who are not yet cases of the instrument, and the line it prints says
how many were eligible: the number it says were drawn is the number of new cases.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from feedback.db import Case, Instrument, InstrumentVersion, Project
from feedback.db.sampling import SampleDraw
from feedback.db.session import Database

SURVEY = "crisp-web-survey"


@pytest.fixture
def survey(db: Database) -> int:
    with db.write() as session:
        project = Project(slug="crisp", name="CRISP")
        session.add(project)
        session.flush()
        instrument = Instrument(slug=SURVEY, kind="survey", title="Crisp Web Survey", project_id=project.id)
        session.add(instrument)
        session.flush()
        version = InstrumentVersion(instrument_id=instrument.id, number=1, digest=SURVEY, definition={})
        session.add(version)
        session.flush()
        instrument.current_version_id = version.id
        return instrument.id


def contact_list(tmp_path: Path, first: int, n: int) -> str:
    path = tmp_path / f"list-{first}-{n}.csv"
    rows = "".join(f"p{i}@x.org,{'North' if i % 2 else 'South'}\n" for i in range(first, first + n))
    path.write_text("email,region\n" + rows, encoding="utf-8")
    return str(path)


def case_contacts(db: Database) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(Case.contact_id)))


def draws(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(SampleDraw)) or 0


def imported(runner: FlaskCliRunner, path: str, *options: str) -> str:
    result = runner.invoke(args=["contacts", "import", path, "--instrument", SURVEY, *options])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_sample_skips_existing_cases_and_counts_the_eligible(
    runner: FlaskCliRunner, db: Database, survey: int, tmp_path: Path
) -> None:
    imported(runner, contact_list(tmp_path, 0, 4))  # four contacts, each with a case
    output = imported(runner, contact_list(tmp_path, 4, 12), "--sample", "3", "--seed", "42")
    assert (
        f"sample: 3 of 12 eligible drawn, seed 42 (4 of the 16 contacts are already cases of {SURVEY})"
        in output
    )
    drawn = int(re.search(r"sample: (\d+) of", output).group(1))  # type: ignore[union-attr]
    cases = case_contacts(db)
    assert len(cases) == 4 + drawn == 7 and len(set(cases)) == 7


def test_a_stratified_sample_skips_existing_cases_too(
    runner: FlaskCliRunner, db: Database, survey: int, tmp_path: Path
) -> None:
    imported(runner, contact_list(tmp_path, 0, 1))
    output = imported(
        runner, contact_list(tmp_path, 1, 9), "--sample", "9", "--seed", "1", "--strata", "region"
    )
    assert (
        f"sample: 9 of 9 eligible drawn stratified by region, seed 1 "
        f"(1 of the 10 contacts is already a case of {SURVEY})" in output
    )
    assert len(set(case_contacts(db))) == 10


def test_when_everyone_is_already_a_case_the_import_says_none_were_drawn(
    runner: FlaskCliRunner, db: Database, survey: int, tmp_path: Path
) -> None:
    path = contact_list(tmp_path, 0, 4)
    imported(runner, path)
    output = imported(runner, path, "--sample", "2", "--seed", "5")
    assert "sample: none drawn: all 4 of the project's contacts are already cases" in output
    assert len(case_contacts(db)) == 4 and draws(db) == 0


def test_more_than_are_eligible_is_refused_and_nothing_is_imported(
    runner: FlaskCliRunner, db: Database, survey: int, tmp_path: Path
) -> None:
    imported(runner, contact_list(tmp_path, 0, 4))
    result = runner.invoke(
        args=["contacts", "import", contact_list(tmp_path, 4, 2), "--instrument", SURVEY, "--sample", "3"]
    )
    assert result.exit_code == 1
    assert (
        "cannot draw 3 contacts: the project has 6, and 4 are already cases of Crisp Web Survey, "
        "so 2 can be drawn" in result.output
    )
    assert len(case_contacts(db)) == 4 and draws(db) == 0
