"""``/healthz``: what a load balancer asks before sending respondents to a worker.

It must say 503, with a JSON reason, when the database cannot be reached (so the balancer stops
sending submissions there), and recover by itself when the database is back. It must also say
503 while the database's schema is not the one this code was written for (not migrated yet, or
migrated by a newer release on another machine), since every page would fail there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from feedback import create_app
from feedback.config import Settings
from feedback.db import Base, migrate
from feedback.db.app import EXTENSION
from feedback.db.migrate import downgrade, head_revision, record_head, upgrade
from feedback.db.session import Database


def test_healthz_is_ok_with_a_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "schema": "current"}


def test_healthz_reports_an_unreachable_sqlite_database_and_recovers(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    app = create_app(settings.with_(database_url=f"sqlite:///{folder / 'feedback.db'}", database_schema=None))
    database = app.extensions[EXTENSION]
    Base.metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        record_head(connection)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200

    # The disk goes away: pooled connections are dropped and the folder is no longer a folder.
    database.dispose()
    folder.rename(tmp_path / "moved")
    folder.write_text("not a folder")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.is_json and response.get_json() == {"status": "error", "database": "OperationalError"}

    folder.unlink()
    (tmp_path / "moved").rename(folder)
    assert client.get("/healthz").status_code == 200
    database.dispose()


def test_healthz_reports_an_unreachable_postgresql_server(settings: Settings) -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    url = "postgresql://feedback:feedback@127.0.0.1:1/feedback"
    app = create_app(settings.with_(database_url=url, database_schema=None))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "OperationalError"}
    app.extensions[EXTENSION].dispose()


def set_revision(db: Database, revision: str | None) -> None:
    with db.write() as session:
        if revision is None:
            session.execute(text("DROP TABLE alembic_version"))
        else:
            session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


@pytest.mark.parametrize(
    ("revision", "says"),
    [
        (None, "not migrated: run 'feedback db upgrade'"),
        ("ffffffffffff", "at ffffffffffff, newer than this code ({head}): update this machine's code"),
    ],
    ids=["never-migrated", "migrated-by-newer-code"],
)
def test_healthz_reports_a_schema_this_code_cannot_use(
    client: FlaskClient, db: Database, revision: str | None, says: str
) -> None:
    set_revision(db, revision)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "database": "ok",
        "schema": says.format(head=head_revision()),
    }


def test_healthz_follows_the_migrations_down_and_up(settings: Settings) -> None:
    """A database made by the migrations: ok at head; 503 after a downgrade to nothing (the
    version table is left empty); ok again after ``upgrade``."""
    app = create_app(settings)
    database: Database = app.extensions[EXTENSION]
    client = app.test_client()
    try:
        upgrade(database.engine, "head")
        assert client.get("/healthz").status_code == 200
        downgrade(database.engine, "base")
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["schema"] == "not migrated: run 'feedback db upgrade'"
        upgrade(database.engine, "head")
        assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "schema": "current"}
    finally:
        database.dispose()


def test_an_older_schema_is_told_to_upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    """A revision the migrations know but that is not their head (after a code update, before
    ``feedback db upgrade``): the advice is to upgrade, naming both revisions."""
    current = head_revision()
    monkeypatch.setattr(migrate, "head_revision", lambda: "newer1")
    assert migrate.schema_problem(current) == (
        f"at {current}, this code needs newer1: run 'feedback db upgrade'"
    )
    assert migrate.schema_problem("newer1") is None
