"""Drawing a sample on the fieldwork page when some contacts already are cases (issue 13, defect 6).

A contact who is already a case of the instrument gets no second case, so a draw must take only the
others, and the message must say how many could be drawn: the number it says were drawn is the
number of new cases. Everything goes through the staff page, signed in, with CSRF on.
"""

from __future__ import annotations

import html as htmllib
import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import login, make_project, make_user, page_token

from feedback.db import Case, Instrument, InstrumentVersion, Project
from feedback.db.sampling import SampleDraw
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")

FIELDWORK = "/staff/projects/pilot/fieldwork"


def add_instrument(db: Database, slug: str) -> int:
    with db.write() as session:
        project_id = session.scalar(select(Project.id).where(Project.slug == "pilot"))
        instrument = Instrument(slug=slug, kind="survey", title="Pilot Survey", project_id=project_id)
        session.add(instrument)
        session.flush()
        version = InstrumentVersion(instrument_id=instrument.id, number=1, digest=slug, definition={})
        session.add(version)
        session.flush()
        instrument.current_version_id = version.id
        return instrument.id


@pytest.fixture
def pilot(db: Database, client: FlaskClient) -> int:
    """Project "pilot" with one survey and its evaluator, signed in."""
    make_project(db, "pilot")
    make_user(db, "eve@example.org", roles={"pilot": "evaluator"}, identify=True)
    instrument_id = add_instrument(db, "pilot-survey")
    login(client, "eve@example.org")
    return instrument_id


def contact_rows(first: int, n: int) -> str:
    regions = ("North", "South", "East")
    rows = "".join(f"p{i}@example.org,P{i},{regions[i % 3]}\n" for i in range(first, first + n))
    return "email,name,region\n" + rows


def upload(client: FlaskClient, content: str, *, list_only: bool) -> None:
    data = {
        "csrf_token": page_token(client, FIELDWORK),
        "import_instrument": "pilot-survey",
        "contacts_file": (io.BytesIO(content.encode()), "list.csv"),
    }
    if list_only:
        data["list_only"] = "y"
    response = client.post(f"{FIELDWORK}/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)


def contacts(client: FlaskClient, cases: int, others: int) -> None:
    """``cases`` contacts imported with a case of the survey, then ``others`` on the list only."""
    if cases:
        upload(client, contact_rows(0, cases), list_only=False)
    if others:
        upload(client, contact_rows(cases, others), list_only=True)


def draw(client: FlaskClient, n: int, seed: int = 42, strata: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        f"{FIELDWORK}/sample",
        data={"csrf_token": page_token(client, FIELDWORK), "sample_instrument": "pilot-survey",
              "sample_n": str(n), "sample_seed": str(seed), "sample_strata": strata},
    )  # fmt: skip


def flashed(client: FlaskClient, response) -> str:  # type: ignore[no-untyped-def]
    """The text of the page the draw redirects to, as a reader sees it."""
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", page)))


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def case_contacts(db: Database, instrument_id: int) -> list[int]:
    with db.read() as session:
        return list(session.scalars(select(Case.contact_id).where(Case.instrument_id == instrument_id)))


def draws(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(SampleDraw)) or 0


def drawn_number(text: str) -> int:
    match = re.search(r"Drew (\d+) of", text)
    assert match, text
    return int(match.group(1))


def test_a_draw_takes_only_contacts_not_yet_cases_and_says_so(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    contacts(client, cases=4, others=12)
    before = case_contacts(db, pilot)
    assert len(before) == 4
    text = flashed(client, draw(client, 3))
    assert "Drew 3 of 12 eligible contacts for Pilot Survey, seed 42 (4 of the 16 are already cases)." in text
    after = case_contacts(db, pilot)
    assert len(after) - len(before) == drawn_number(text) == 3
    assert len(set(after)) == len(after)  # no contact has two cases
    assert "simple random, n = 3 of 12, seed 42" in text  # the recorded frame is the eligible 12


def test_drawing_every_eligible_contact_gives_each_a_case(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    contacts(client, cases=4, others=12)
    text = flashed(client, draw(client, 12, seed=7))
    assert "Drew 12 of 12 eligible contacts" in text
    cases = case_contacts(db, pilot)
    assert len(cases) == 16 == len(set(cases))


def test_a_stratified_draw_also_skips_existing_cases(client: FlaskClient, db: Database, pilot: int) -> None:
    contacts(client, cases=6, others=30)
    text = flashed(client, draw(client, 5, seed=3, strata="region"))
    assert (
        "Drew 5 of 30 eligible contacts for Pilot Survey, stratified by region, seed 3 "
        "(6 of the 36 are already cases)." in text
    )
    cases = case_contacts(db, pilot)
    assert len(cases) == 36 - 30 + drawn_number(text) == 11 and len(set(cases)) == 11


def test_one_eligible_contact_is_worded_in_the_singular(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    contacts(client, cases=1, others=1)
    text = flashed(client, draw(client, 1, seed=5))
    assert "Drew 1 of 1 eligible contact for Pilot Survey, seed 5 (1 of the 2 is already a case)." in text
    assert len(case_contacts(db, pilot)) == 2


def test_asking_for_more_than_are_eligible_is_refused_and_says_why(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    contacts(client, cases=4, others=12)
    response = draw(client, 13)
    assert response.status_code == 400
    assert (
        "cannot draw 13 contacts: the project has 16, and 4 are already cases of Pilot Survey, "
        "so 12 can be drawn" in page_text(response)
    )
    assert len(case_contacts(db, pilot)) == 4 and draws(db) == 0


def test_when_everyone_is_already_a_case_nothing_is_drawn_and_the_page_says_so(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    contacts(client, cases=16, others=0)
    text = flashed(client, draw(client, 3))
    assert (
        "No contacts were drawn for Pilot Survey: all 16 of the project's contacts are already cases." in text
    )
    assert "Drew" not in text
    assert len(case_contacts(db, pilot)) == 16 and draws(db) == 0


def test_without_existing_cases_the_message_is_unchanged(
    client: FlaskClient, db: Database, pilot: int
) -> None:
    contacts(client, cases=0, others=10)
    text = flashed(client, draw(client, 4))
    assert "Drew 4 of 10 contacts for Pilot Survey, seed 42." in text and "eligible" not in text
    assert len(case_contacts(db, pilot)) == 4
