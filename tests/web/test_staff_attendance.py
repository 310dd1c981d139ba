"""The attendance page (``/staff/projects/<slug>/attendance``), read by a viewer, on the demo.

Only the demo's programme, projects and activities are loaded (no instruments), which is all the
page reads. Figures are the report's Tables 3.1, 3.3 and 3.4.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator

import pytest
from analysis_web_support import count_selects, text_of
from flask import Flask
from flask.testing import FlaskClient
from staff_helpers import PASSWORD, login, make_user

from feedback import create_app
from feedback.config import Settings
from feedback.db import Base
from feedback.db.app import EXTENSION
from feedback.db.session import Database
from feedback.services import accounts


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from argon2 import PasswordHasher

    from feedback.services.demo import load_demo

    path = tmp_path_factory.mktemp("attendance-web")
    app = create_app(
        Settings(instance_path=path, database_url=f"sqlite:///{path}/t.db", secret_key="t", testing=True)
    )
    db: Database = app.extensions[EXTENSION]
    Base.metadata.create_all(db.engine)
    with db.write() as session:
        load_demo(session)
    with pytest.MonkeyPatch.context() as patch:  # cheap hashing: see staff_helpers.fast_hashing
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
        make_user(
            db,
            "viewer@example.org",
            roles={"crisp": "viewer", "step-up": "viewer", "seed4bme": "viewer", "pirr": "viewer"},
        )
        make_user(db, "other@example.org", roles={"move": "evaluator"})
    yield app
    db.dispose()


def _client(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302
    return client


@pytest.fixture
def viewer(demo_app: Flask) -> FlaskClient:
    return _client(demo_app, "viewer@example.org")


def rows_of(html: str, table_id: str) -> list[str]:
    """The text of each row of the table with ``table_id``."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return [
        htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", tr)).strip())
        for tr in re.findall(r"<tr.*?</tr>", match.group(0), re.S)
    ]


def test_table_3_1_events_by_activity_and_region(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/crisp/attendance").get_data(as_text=True)
    rows = rows_of(html, "by-region")
    start = rows.index("Action Learning sets 9 not known")
    assert rows[start + 1 : start + 4] == [
        "North East 2 not known",
        "Yorkshire and Humberside 4 not known",
        "East Midlands 3 not known",
    ]
    start = rows.index("Regional Information Skills Event 5 not known")
    assert rows[start + 1 : start + 4] == [
        "North East 2 not known",
        "Yorkshire and Humberside 1 not known",
        "East Midlands 2 not known",
    ]
    assert "Provision of resource packs, publications and reports output, not an event" in rows
    assert "Attendance known for 0 of 25 events" in text_of(html)


def test_table_3_3_shows_an_event_not_detailed_as_not_known(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/step-up/attendance").get_data(as_text=True)
    events = rows_of(html, "by-activity")
    assert "Seminar on 'Introduction to probation' West Midlands – 17" in events
    assert any(
        r.startswith("Seminar with Skills for Justice") and "not known Not detailed" in r for r in events
    )
    by_region = rows_of(html, "by-region")
    assert "Seminars 3 27 (known for 2 of 3 events)" in by_region
    assert "All events 9 98 (known for 4 of 9 events)" in by_region


def test_table_3_4_delegates_per_event(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/seed4bme/attendance").get_data(as_text=True)
    events = rows_of(html, "by-activity")
    assert "Preparing for funding/what funders want North West – 17" in events
    assert "Lost in Diversity (mini conference) North West – 66" in events
    assert "National conference, day 1 of 2 South West – 92" in events
    assert "National conference, day 2 of 2 South West – 86" in events
    by_region = rows_of(html, "by-region")
    assert "South West 2 178" in by_region
    assert "All events 11 404" in by_region


def test_the_project_page_links_to_attendance(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/crisp").get_data(as_text=True)
    assert 'href="/staff/projects/crisp/attendance"' in html


def test_the_page_costs_the_same_whatever_the_number_of_activities(
    viewer: FlaskClient, demo_app: Flask
) -> None:
    db: Database = demo_app.extensions[EXTENSION]
    with count_selects(db) as few:
        assert viewer.get("/staff/projects/step-up/attendance").status_code == 200  # 9 activities
    with count_selects(db) as many:
        assert viewer.get("/staff/projects/crisp/attendance").status_code == 200  # 31 activities
    assert len(few) == len(many)


def test_someone_without_a_role_in_the_project_gets_404(demo_app: Flask) -> None:
    other = _client(demo_app, "other@example.org")
    assert other.get("/staff/projects/crisp/attendance").status_code == 404
    assert other.get("/staff/projects/move/attendance").status_code == 200
