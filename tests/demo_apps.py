"""Apps on a fresh SQLite file holding instruments from ``forms/`` and, if asked, the demo.

Module-scoped fixtures in several test folders build one of these (about a second each) and
share it between their tests; importable as ``from demo_apps import ...`` like ``office``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flask import Flask

from feedback import create_app
from feedback.config import Settings
from feedback.db.app import EXTENSION
from feedback.db.base import Base
from feedback.db.session import Database
from feedback.domain.loader import find_files, load_file
from feedback.services.instruments import save_instrument

FORMS = Path(__file__).resolve().parents[1] / "forms"


def sqlite_app(path: Path, secret_key: str = "t") -> Flask:
    """A testing app whose database (``path/t.db``, schema from the models) is empty."""
    app = create_app(
        Settings(
            instance_path=path,
            database_url=f"sqlite:///{path}/t.db",
            secret_key=secret_key,
            testing=True,
            exports_path=path / "exports",
        )
    )
    Base.metadata.create_all(database(app).engine)
    return app


def database(app: Flask) -> Database:
    db: Database = app.extensions[EXTENSION]
    return db


def load_forms(app: Flask, names: Iterable[str] | None = None, *, demo: bool = False) -> None:
    """Save the named instruments of ``forms/`` (every one when ``names`` is None), then the demo."""
    sources = find_files([FORMS]) if names is None else [FORMS / f"{name}.yaml" for name in names]
    with database(app).write() as session:
        for source in sources:
            save_instrument(session, load_file(source))
        if demo:
            from feedback.services.demo import load_demo

            load_demo(session)
