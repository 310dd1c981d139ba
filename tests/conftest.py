"""Shared fixtures: an app on a fresh database per test, its client and CLI runner.

The database is SQLite in the test's temporary folder, or, when FEEDBACK_TEST_DATABASE_URL
points at PostgreSQL, a fresh schema in that database (dropped afterwards). Tables are made with
``create_all`` for speed; ``tests/db/test_migrations.py`` proves the migrations give the same schema.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from feedback import create_app
from feedback.config import Settings
from feedback.db import Base
from feedback.db.app import EXTENSION
from feedback.db.migrate import record_head
from feedback.db.session import Database
from feedback.domain.loader import LoadedInstrument, find_files, load_file

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"
SHARED = ROOT.parent / "shared"
PG_URL = os.environ.get("FEEDBACK_TEST_DATABASE_URL", "")


def _pg_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


@pytest.fixture
def database_settings(tmp_path: Path) -> Iterator[Settings]:
    if PG_URL:
        schema = f"t_{secrets.token_hex(6)}"
        admin = create_engine(_pg_url(PG_URL))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield Settings(
            instance_path=tmp_path,
            database_url=_pg_url(PG_URL),
            secret_key="test-secret",
            testing=True,
            database_schema=schema,
            exports_path=tmp_path / "exports",
        )
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        yield Settings(
            instance_path=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'test.db'}",
            secret_key="test-secret",
            testing=True,
            exports_path=tmp_path / "exports",
        )


@pytest.fixture
def settings(database_settings: Settings) -> Settings:
    return database_settings


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings)
    database: Database = app.extensions[EXTENSION]
    Base.metadata.create_all(database.engine)
    with database.engine.begin() as connection:
        record_head(connection)  # as `feedback db upgrade` leaves it (/healthz checks)
    yield app
    database.dispose()


@pytest.fixture
def db(app: Flask) -> Database:
    return app.extensions[EXTENSION]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@cache
def pilot_instruments() -> tuple[LoadedInstrument, ...]:
    """The instruments in forms/, parsed once per test run."""
    return tuple(load_file(path) for path in find_files([FORMS]))


@pytest.fixture
def loaded_forms(db: Database) -> tuple[LoadedInstrument, ...]:
    """The database with every instrument in forms/ stored."""
    from feedback.services.instruments import save_instrument

    instruments = pilot_instruments()
    with db.write() as session:
        for item in instruments:
            save_instrument(session, item)
    return instruments
