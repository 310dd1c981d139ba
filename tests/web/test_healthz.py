"""``/healthz``: what a load balancer asks before sending respondents to a worker.

It must say 503, with a JSON reason, when the database cannot be reached (so the balancer stops
sending submissions there), and recover by itself when the database is back.
"""

from __future__ import annotations

from pathlib import Path

from feedback import create_app
from feedback.config import Settings
from feedback.db import Base
from feedback.db.app import EXTENSION


def test_healthz_is_ok_with_a_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_sqlite_database_and_recovers(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    app = create_app(settings.with_(database_url=f"sqlite:///{folder / 'feedback.db'}", database_schema=None))
    database = app.extensions[EXTENSION]
    Base.metadata.create_all(database.engine)
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
