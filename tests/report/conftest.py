"""Fixtures for the Word report tests: the Change Up demo (every form in forms/ and its synthetic
responses) in one app per module, the CRISP report written from it, and that report converted to
PDF by LibreOffice once per module (a conversion takes seconds; the assertions take none).

Helpers shared by the modules (small forms, signing in with CSRF on, reading a .docx) are in
``report_support.py``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from demo_apps import load_forms, sqlite_app
from flask import Flask

import feedback.web.staff.report_jobs  # noqa: F401 -- registers the report's routes on the staff blueprint
from feedback.db.app import EXTENSION
from feedback.services import accounts
from feedback.services.report import write_report

FORMS = Path(__file__).resolve().parents[2] / "forms"


def demo_database(path: Path) -> Flask:
    """An app on SQLite in ``path`` holding forms/ and the demo (about a second)."""
    app = sqlite_app(path, secret_key="report-tests")
    load_forms(app, demo=True)
    return app


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = demo_database(tmp_path_factory.mktemp("report-demo"))
    yield app
    app.extensions[EXTENSION].dispose()


@pytest.fixture(scope="module")
def crisp_docx(demo_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("crisp-report") / "crisp.docx"
    with demo_app.extensions[EXTENSION].read() as session:
        write_report(session, "crisp", target)
    return target


@pytest.fixture
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with tiny costs (see tests/web/staff_helpers.fast_hashing): what is checked is the same."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture
def quick_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1-pixel picture for every chart, for tests about the report's figures rather than its
    charts (matplotlib takes a tenth of a second per chart; CRISP has 33)."""
    from PIL import Image as PILImage

    from feedback.services import report_sections

    buffer = io.BytesIO()
    PILImage.new("RGB", (1, 1), "white").save(buffer, format="PNG")
    monkeypatch.setattr(report_sections, "bar_chart_png", lambda *args, **kwargs: buffer.getvalue())
