"""``feedback serve`` does not say it is gunicorn (issue 16, item 8): ``Server: feedback``, no version.

A real ``feedback serve`` (gunicorn, one sync worker, on a free loopback port and a fresh SQLite
database) is started and asked for pages, a static file, a 404 and a malformed request; the raw
reply heads are read, so a second ``Server`` line would show. Before the fix every reply said
``Server: gunicorn``.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedback.web.server_header import hide_server_software

ROOT = Path(__file__).resolve().parents[2]
FEEDBACK = str(Path(sys.executable).parent / "feedback")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_head(port: int, request: bytes) -> str:
    """The status line and headers exactly as the server sent them."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def get(port: int, path: str) -> str:
    return raw_head(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())


def server_lines(head: str) -> list[str]:
    return [line for line in head.split("\r\n")[1:] if line.lower().startswith("server:")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **os.environ,
        "FLASK_SKIP_DOTENV": "1",
        "FEEDBACK_DATABASE_URL": f"sqlite:///{folder / 'feedback.db'}",
        "FEEDBACK_INSTANCE_PATH": str(folder / "instance"),
        "FEEDBACK_SECRET_KEY": secrets.token_hex(32),
        "FEEDBACK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    upgrade = [FEEDBACK, "db", "upgrade"]
    subprocess.run(upgrade, env=env, cwd=folder, check=True, capture_output=True, timeout=120)
    log = folder / "gunicorn.log"
    argv = [FEEDBACK, "serve", "-w", "1", "-b", f"127.0.0.1:{port}", "--", "--log-level", "warning"]
    with log.open("w") as log_file:
        process = subprocess.Popen(argv, env=env, cwd=folder, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if " 200 " in get(port, "/healthz").split("\r\n")[0]:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"feedback serve did not answer /healthz:\n{log.read_text()}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.parametrize("path", ["/healthz", "/staff/login", "/no/such/page", "/static/no-such-file.css"])
def test_replies_name_feedback_and_no_server_software(served: int, path: str) -> None:
    head = get(served, path)
    assert server_lines(head) == ["Server: feedback"], head
    assert "gunicorn" not in head.lower()


def test_gunicorn_s_own_error_reply_names_no_server_either(served: int) -> None:
    head = raw_head(served, b"NOT A REQUEST LINE\r\n\r\n")
    assert head.startswith("HTTP/1.1 400"), head
    assert "gunicorn" not in head.lower()


def test_outside_gunicorn_nothing_is_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "gunicorn.http.wsgi", raising=False)
    assert hide_server_software() is False  # feedback run and the test client keep their own behaviour
