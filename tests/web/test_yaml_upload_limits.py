"""Alias bombs uploaded as instruments get a short page naming the file and line, quickly, never a 500.

Issue 16, item 8: through a running server a YAML instrument with a million aliases of one row held
the worker until gunicorn killed it. Through HTTP with CSRF on, as a browser would.
"""

from __future__ import annotations

import io
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from staff_helpers import csrf_token, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from feedback.db import Instrument
from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")

BASE = "/staff/projects/crisp/instruments"
SETTINGS = "settings: {form_id: hostile, form_title: Hostile, kind: survey}\n"


def million_aliases() -> str:
    """The probe's file (as in tests/domain/test_yaml_limits.py): one row and a million aliases of it."""
    return SETTINGS + "survey: [&row {type: note, name: hello, label: Hello}" + ",*row" * 1_000_000 + "]\n"


def billion_laughs() -> str:
    """Nine lists of nine aliases of the list before: 9**9 values from 1 KB."""
    lines = [SETTINGS.rstrip("\n"), "choices:", "  l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"  l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]" for n in range(1, 9)]
    return "\n".join([*lines, "survey: [{type: note, name: laugh, label: *l8}]"]) + "\n"


@pytest.fixture
def evaluator(app: Flask, db: Database) -> FlaskClient:
    make_project(db, "crisp", "CRISP")
    make_user(db, "eve@example.org", roles={"crisp": "evaluator"})
    client = app.test_client()
    assert login(client, "eve@example.org").status_code == 302
    return client


def upload(client: FlaskClient, text: str, name: str) -> tuple[int, str, float]:
    token = csrf_token(client.get(BASE).get_data(as_text=True))
    # Encoded in memory: the test client spools a body over 500 KB to a temporary file it never closes.
    upload = FileStorage(io.BytesIO(text.encode()), name)
    boundary, body = encode_multipart({"csrf_token": token, "file": upload})
    started = time.perf_counter()
    response = client.post(
        f"{BASE}/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    return response.status_code, response.get_data(as_text=True), time.perf_counter() - started


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (million_aliases, "bomb.yaml: line 2: more than 100 aliases (*row)"),
        (billion_laughs, "bomb.yaml: line 4: aliases (the first is *l0) repeat lists or mappings so often"),
    ],
    ids=["million-aliases", "billion-laughs"],
)
def test_an_alias_bomb_is_refused_quickly_with_its_line(
    evaluator: FlaskClient, db: Database, make, expected: str
) -> None:
    status, page, elapsed = upload(evaluator, make(), "bomb.yaml")
    assert status == 400
    assert elapsed < 2.0, f"took {elapsed:.1f} s"
    problems = page[page.index('id="upload-problems"') :]
    assert expected in problems
    assert "/tmp" not in problems  # the uploaded name, not the temporary file
    assert len(page) < 50_000  # one problem, not one per row
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Instrument)) == 0
