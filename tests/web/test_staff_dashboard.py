"""Dashboards: what each user sees of their projects, counted in SQL with a fixed number of queries."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import login, make_user

from feedback.db import Activity, Case, Contact, Instrument, Project, Response
from feedback.db.accounts import IdentifiedAccess
from feedback.db.base import utcnow
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _text(html: str) -> str:
    """The page's text with tags removed and spaces collapsed, as a reader sees it."""
    inline = re.sub(r"</?span[^>]*>", "", html)  # figures are spans inside a sentence
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline))


@pytest.fixture
def fieldwork(db: Database, loaded_forms: object) -> dict[str, int]:
    """crisp-web-survey: 10 cases, 3 complete, 1 partial and 1 deleted response; a few activities."""
    with db.write() as session:
        survey = session.scalar(select(Instrument).where(Instrument.slug == "crisp-web-survey"))
        assert survey is not None and survey.project_id is not None
        cases = [Case(instrument_id=survey.id, token=secrets.token_urlsafe(16)) for _ in range(10)]
        session.add_all(cases)
        session.flush()
        for day, (status, deleted) in enumerate(
            (("complete", False),) * 3 + (("partial", False), ("complete", True))
        ):
            session.add(
                Response(
                    instrument_id=survey.id,
                    case_id=cases[day].id,
                    answered=4,
                    applicable=8,
                    version_id=survey.current_version_id,
                    status=status,
                    submitted_at=datetime(2024, 5, day + 1, 10, 0, tzinfo=UTC)
                    if status == "complete"
                    else None,
                    updated_at=datetime(2024, 4, 1, tzinfo=UTC),
                    deleted_at=utcnow() if deleted else None,
                )
            )
        session.add_all(
            [
                Activity(
                    project_id=survey.project_id,
                    title="Launch event",
                    starts_on=date(2024, 3, 1),
                    attending=40,
                ),
                Activity(
                    project_id=survey.project_id, title="Final conference", starts_on=date(2024, 11, 20)
                ),
            ]
        )
        session.flush()
        return {"crisp": survey.project_id}


@contextmanager
def count_queries(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_home_shows_progress_per_instrument_with_its_base(
    client: FlaskClient, db: Database, fieldwork
) -> None:
    make_user(db, "eve@example.org", roles={"crisp": "evaluator"})
    login(client, "eve@example.org")
    page = _text(client.get("/staff/").get_data(as_text=True))
    # the deleted response left out; the partial (half the questions shown) is in RR2
    assert "4 of 10 (40.0%) responded (complete or partial, RR2)" in page
    assert "4 from the sample 3 complete, 1 not submitted" in page
    assert "3 May 2024 10:00" in page  # the last submission that was not deleted
    assert "Latest activity: Final conference, 20 November 2024" in page
    assert "Move" not in page  # only her own project


def test_home_draws_in_the_same_number_of_queries_for_one_project_or_all(
    app: Flask, db: Database, fieldwork
) -> None:
    make_user(db, "eve@example.org", roles={"crisp": "evaluator"})
    make_user(db, "root@example.org", admin=True)
    counts = []
    for email in ("eve@example.org", "root@example.org"):
        client = app.test_client()
        login(client, email)
        with count_queries(db) as statements:
            assert client.get("/staff/").status_code == 200
        counts.append(len(statements))
    with db.read() as session:
        assert len(session.scalars(select(Project)).all()) >= 5
    assert counts[0] == counts[1], "\n\n".join(statements)


def test_project_page_lists_instruments_and_activities(client: FlaskClient, db: Database, fieldwork) -> None:
    make_user(db, "vic@example.org", roles={"crisp": "viewer"})
    login(client, "vic@example.org")
    page = _text(client.get("/staff/projects/crisp").get_data(as_text=True))
    assert "survey open 4 from the sample 3 complete, 1 not submitted 10 cases 4 of 10 (40.0%)" in page
    assert "Launch event 1 Mar 2024 – 40" in page
    assert "Final conference 20 Nov 2024 – not known" in page
    assert "Summaries" in page and "/staff/projects/crisp/summaries" in client.get(
        "/staff/projects/crisp"
    ).get_data(as_text=True)
    assert "Contacts" not in page  # viewers do not get the identified sections


def test_interviewer_sees_the_project_but_not_the_counts(
    client: FlaskClient, db: Database, fieldwork
) -> None:
    make_user(db, "ian@example.org", roles={"crisp": "interviewer"})
    login(client, "ian@example.org")
    home = _text(client.get("/staff/").get_data(as_text=True))
    assert "Crisp" in home and "4 of 10" not in home
    project = _text(client.get("/staff/projects/crisp").get_data(as_text=True))
    assert "Crisp Web Survey" in project or "CRISP" in project
    assert "from the sample" not in project and "4 of 10" not in project


def test_activities_paginate(client: FlaskClient, db: Database, fieldwork) -> None:
    with db.write() as session:
        session.add_all(
            Activity(project_id=fieldwork["crisp"], title=f"Workshop {n:02d}", starts_on=date(2023, 1, n + 1))
            for n in range(28)
        )
    make_user(db, "vic@example.org", roles={"crisp": "viewer"})
    login(client, "vic@example.org")
    first = _text(client.get("/staff/projects/crisp").get_data(as_text=True))
    second = _text(client.get("/staff/projects/crisp?page=2").get_data(as_text=True))
    assert "30 activities, newest first" in first
    assert "Final conference" in first and "Workshop 27" in first and "Workshop 00" not in first
    assert "Workshop 00" in second and "Workshop 27" not in second
    assert 'href="/staff/projects/crisp?page=2"' in client.get("/staff/projects/crisp").get_data(as_text=True)
    assert client.get("/staff/projects/crisp?page=99").status_code == 200  # past the end: the last page


def test_contacts_page_is_logged_and_escapes_names(client: FlaskClient, db: Database, fieldwork) -> None:
    with db.write() as session:
        session.add(
            Contact(project_id=fieldwork["crisp"], name="<script>x()</script>", email="x@example.org")
        )
    make_user(db, "ida@example.org", roles={"crisp": "evaluator"}, identify=True)
    login(client, "ida@example.org")
    html = client.get("/staff/projects/crisp/contacts").get_data(as_text=True)
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "<script>x()" not in html
    assert "x@example.org" in html
    with db.read() as session:
        logged = session.scalars(select(IdentifiedAccess)).all()
    assert [(row.endpoint, row.project_id) for row in logged] == [("staff.contacts", fieldwork["crisp"])]


def test_admin_grants_a_role_and_the_user_then_sees_the_project(app: Flask, db: Database, fieldwork) -> None:
    from staff_helpers import csrf_token

    target = make_user(db, "new@example.org")
    make_user(db, "root@example.org", admin=True)
    user_client = app.test_client()
    login(user_client, "new@example.org")
    assert user_client.get("/staff/projects/crisp").status_code == 404

    admin = app.test_client()
    login(admin, "root@example.org")
    token = csrf_token(admin.get(f"/staff/admin/users/{target}").get_data(as_text=True))
    granted = admin.post(
        f"/staff/admin/users/{target}/roles", data={"csrf_token": token, "project": "crisp", "role": "viewer"}
    )
    assert granted.status_code == 302
    assert user_client.get("/staff/projects/crisp").status_code == 200
    refused = admin.post(
        f"/staff/admin/users/{target}/roles",
        data={"csrf_token": token, "project": "crisp", "role": "viewer", "can_identify": "y"},
    )
    assert refused.status_code == 400 and "Only evaluators" in refused.get_data(as_text=True)
