"""Wiring the database into Flask: one :class:`Database` per app, one read session per request.

Views read through ``get_session()``; views that write open ``get_db().write()`` themselves, so
every write has exactly one transaction and nothing is committed implicitly at teardown.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from ..config import Settings
from .session import Database, make_engine

EXTENSION = "feedback.db"


def init_app(app: Flask) -> None:
    settings: Settings = app.config["FEEDBACK_SETTINGS"]
    database = app.extensions[EXTENSION] = Database(make_engine(settings))
    database.defer_checkpoints = True
    app.teardown_appcontext(_close_session)
    app.after_request(_checkpoint_after_sending)


def get_db() -> Database:
    return current_app.extensions[EXTENSION]


def get_session() -> Session:
    """The request's read session (created on first use, closed at the end of the request)."""
    if "db_session" not in g:
        g.db_session = get_db().request_reader()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def _checkpoint_after_sending(response: Response) -> Response:
    """A due SQLite checkpoint runs once the response has gone out (``call_on_close``), so the
    respondent whose POST made it due does not wait for it either."""
    database = get_db()
    if database.checkpoint_due:
        database.checkpoint_due = False
        response.call_on_close(database.checkpoint)
    return response
