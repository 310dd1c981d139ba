"""``feedback serve``: hands the process to the environment's gunicorn with the right arguments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from feedback import cli_ops


@pytest.fixture
def exec_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(cli_ops.os, "execvp", lambda file, argv: calls.append((file, list(argv))))
    return calls


def venv_gunicorn() -> str:
    return str(Path(sys.executable).parent / "gunicorn")


def test_serve_defaults_to_four_workers_on_loopback(runner, exec_calls) -> None:
    result = runner.invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    gunicorn = venv_gunicorn()
    assert exec_calls == [
        (gunicorn, [gunicorn, "--workers", "4", "--bind", "127.0.0.1:8000", "feedback:create_app()"])
    ]


def test_serve_passes_workers_bind_and_gunicorn_options(runner, exec_calls) -> None:
    passed = ["--timeout", "60", "--access-logfile", "-"]
    result = runner.invoke(args=["serve", "--workers", "8", "--bind", "0.0.0.0:8080", "--", *passed])
    assert result.exit_code == 0, result.output
    (_, argv), = exec_calls
    assert argv[1:] == [
        "--workers", "8", "--bind", "0.0.0.0:8080", "--timeout", "60", "--access-logfile", "-",
        "feedback:create_app()",
    ]  # fmt: skip
    assert Path(argv[0]).exists()


def test_serve_refuses_a_silly_number_of_workers(runner, exec_calls) -> None:
    result = runner.invoke(args=["serve", "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output
    assert exec_calls == []


def test_serve_explains_a_missing_gunicorn(
    runner, exec_calls, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cli_ops.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = runner.invoke(args=["serve"])
    assert result.exit_code == 1 and "gunicorn is not installed" in result.output
    assert exec_calls == []
