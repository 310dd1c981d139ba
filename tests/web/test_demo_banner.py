"""The demo banner: shown on every page while the site holds demo data, asked of the database at
most every DEMO_CHECK_EVERY seconds per worker."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from feedback.db import Programme
from feedback.db.session import Database
from feedback.web import assets

BANNER = "This site holds demo data"


def _add_demo(db: Database) -> None:
    with db.write() as session:
        session.add(Programme(slug="change-up", name="Change Up", is_demo=True))


def test_the_banner_follows_the_data(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert BANNER not in client.get("/").get_data(as_text=True)
    _add_demo(db)
    # Within the check interval the worker keeps its last answer...
    assert BANNER not in client.get("/").get_data(as_text=True)
    # ...and asks again once it has passed.
    monkeypatch.setattr(assets, "DEMO_CHECK_EVERY", 0.0)
    assert BANNER in client.get("/").get_data(as_text=True)
    assert BANNER in client.get("/staff/login").get_data(as_text=True)
