"""The app as it starts outside the tests: settings from FEEDBACK_* variables, its secret key,
the start page, the health check, and the ``feedback`` command."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedback import create_app
from feedback.config import Settings, from_env
from feedback.db.app import EXTENSION
from feedback.db.session import Database

ROOT = Path(__file__).resolve().parents[1]
CSS = ROOT / "feedback" / "static" / "build" / "app.css"


@pytest.fixture
def env_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[], Flask]]:
    """Build apps as ``feedback run`` would: from the environment only."""
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("FEEDBACK_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.delenv("FEEDBACK_SECRET_KEY", raising=False)
    made: list[Flask] = []

    def make() -> Flask:
        app = create_app()
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions[EXTENSION].dispose()


def test_settings_come_from_the_environment(
    env_app: Callable[[], Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FEEDBACK_SECRET_KEY", "a-key-from-the-environment")
    app = env_app()
    settings: Settings = app.config["FEEDBACK_SETTINGS"]
    assert app.config["SECRET_KEY"] == "a-key-from-the-environment"
    assert settings.database_url == f"sqlite:///{tmp_path / 'env.db'}"
    assert not settings.testing
    database: Database = app.extensions[EXTENSION]
    assert database.engine.url.database == str(tmp_path / "env.db")
    assert not (tmp_path / "instance" / "secret_key").exists(), "no key file when one is given"


def test_without_a_secret_key_one_is_generated_once_into_the_instance_folder(
    env_app: Callable[[], Flask], tmp_path: Path
) -> None:
    key_file = tmp_path / "instance" / "secret_key"
    assert not key_file.exists()
    first = env_app()
    key = first.config["SECRET_KEY"]
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64,}", key), "at least 32 random bytes, as hex"

    second = env_app()
    assert second.config["SECRET_KEY"] == key, "the next start reuses the key (sessions survive restarts)"


def test_generated_keys_differ_between_installations(
    env_app: Callable[[], Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = env_app().config["SECRET_KEY"]
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    assert env_app().config["SECRET_KEY"] != first, "no hard-coded fallback secret"


def test_the_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    settings = from_env({"FEEDBACK_INSTANCE_PATH": str(tmp_path), "FEEDBACK_SECRET_KEY": "k"})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'feedback.db'}"


def test_start_page_is_served_without_the_gov_uk_crown_or_logo(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" in page and "</html>" in page
    assert "govuk-header__logotype" not in page
    assert "govuk-logo" not in page
    assert 'href="/static/build/app.css"' in page


@pytest.mark.skipif(not CSS.exists(), reason="front-end assets not built (npm run build)")
def test_stylesheet_does_not_use_the_gov_uk_only_font() -> None:
    css = CSS.read_text(encoding="utf-8")
    assert "GDS Transport" not in css
    assert "@font-face" not in css, "no font files: the system font stack is used"


def test_health_check_reports_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "schema": "current"}


def test_feedback_console_script_lists_the_commands(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("feedback")
    assert script.exists(), "the 'feedback' console script is installed with the package"
    env = {
        **os.environ,
        "FEEDBACK_INSTANCE_PATH": str(tmp_path),
        "FEEDBACK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FEEDBACK_SECRET_KEY": "cli-test",
    }
    result = subprocess.run(
        [str(script), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    commands = set(re.findall(r"^  (\w+)\s", result.stdout.split("Commands:", 1)[1], flags=re.MULTILINE))
    assert {"forms", "db", "demo", "run"} <= commands
    assert "Traceback" not in result.stderr


def test_workers_starting_together_share_one_key(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    barrier = threading.Barrier(8)

    def start() -> str:
        barrier.wait()
        return from_env({"FEEDBACK_INSTANCE_PATH": str(instance)}).secret_key

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _i: start(), range(8)))
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"], "no drafts left behind"
