"""A row read at the start of a request and gone by the time its write transaction reads it again.

Staff views read a row in the request's read session and load it again in a write transaction.
Nothing in the application deletes users or cases, but someone working on the database may, and
the answer must then be a 404, never a 500; these checks used to be ``assert``s, which vanish
under ``python -O``. The deletion is simulated in between the two reads.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from staff_helpers import csrf_token, login, make_project, make_user, page_token
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db import Case, Instrument, InstrumentVersion, Project
from feedback.db.accounts import User
from feedback.db.session import Database
from feedback.web.staff import admin, cases

pytestmark = pytest.mark.usefixtures("fast_hashing")


def _then_delete(
    db: Database, read: Callable[..., object], model: type[Case] | type[User]
) -> Callable[..., object]:
    """``read``; after its first call, the row it found is deleted in another transaction (the
    request's later reads, in its write transaction, no longer find it)."""
    calls = 0

    def reading(*args: object) -> object:
        nonlocal calls
        found = read(*args)
        calls += 1
        if calls == 1 and found is not None:
            with db.write() as session:
                session.execute(delete(model).where(model.id == found.id))  # type: ignore[attr-defined]
        return found

    return reading


def test_a_case_deleted_after_it_was_read_is_a_404(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(db, "pilot")
    make_user(db, "eve@example.org", roles={"pilot": "evaluator"}, identify=True)
    with db.write() as session:
        project_id = session.scalar(select(Project.id).where(Project.slug == "pilot"))
        instrument = Instrument(slug="pilot-survey", kind="survey", title="Pilot", project_id=project_id)
        session.add(instrument)
        session.flush()
        version = InstrumentVersion(instrument_id=instrument.id, number=1, digest="d", definition={})
        session.add(version)
        session.flush()
        instrument.current_version_id = version.id
        case = Case(instrument_id=instrument.id, token="t" * 43)
        session.add(case)
        session.flush()
        case_id = case.id
    login(client, "eve@example.org")
    token = page_token(client, "/staff/password")
    monkeypatch.setattr(cases, "_case_in_project", _then_delete(db, cases._case_in_project, Case))
    response = client.post(
        "/staff/projects/pilot/case/disposition",
        data={"csrf_token": token, "case_id": str(case_id), "code": "I", "reason": "Returned by post"},
    )
    assert response.status_code == 404


def test_a_user_deleted_after_it_was_read_is_a_404_when_granting_a_role(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(db, "pilot")
    make_user(db, "root@example.org", admin=True)
    target = make_user(db, "vic@example.org")
    login(client, "root@example.org")
    page = client.get(f"/staff/admin/users/{target}").get_data(as_text=True)
    monkeypatch.setattr(admin, "_user_or_404", _then_delete(db, admin._user_or_404, User))
    response = client.post(
        f"/staff/admin/users/{target}/roles",
        data={"csrf_token": csrf_token(page), "project": "pilot", "role": "viewer"},
    )
    assert response.status_code == 404
    with db.read() as session:
        assert session.get(User, target) is None
