"""The load test's server: a fresh database (SQLite file or PostgreSQL schema) and gunicorn on it.

``feedback db upgrade`` and ``feedback forms load`` prepare the database exactly as a deployment
would; ``feedback serve`` runs gunicorn with sync workers on a free loopback port. Everything is
removed afterwards (the temporary folder, the PostgreSQL schema).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from load_client import Client, Stats

ROOT = Path(__file__).resolve().parents[2]
FORM = ROOT / "forms" / "crisp-web-survey.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def feedback_cli(*args: str, env: dict[str, str]) -> None:
    command = [str(Path(sys.executable).parent / "feedback"), *args]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def create_missing_tables(url: str) -> list[str]:
    """Tables the models have and the migration does not yet (new models between migration
    regenerations); created so the server can run. Returned so the report can name them."""
    from sqlalchemy import create_engine, inspect

    from feedback.db import Base

    engine = create_engine(url)
    try:
        present = set(inspect(engine).get_table_names())
        missing = [t for t in Base.metadata.sorted_tables if t.name not in present]
        Base.metadata.create_all(engine, tables=missing)
        return [t.name for t in missing]
    finally:
        engine.dispose()


@contextlib.contextmanager
def database(pg_url: str | None) -> Iterator[tuple[str, str]]:
    """A fresh database URL (and a label): SQLite in a temp dir, or a new PostgreSQL schema."""
    with tempfile.TemporaryDirectory(prefix="feedback-load-") as folder:
        if not pg_url:
            yield f"sqlite:///{Path(folder) / 'feedback.db'}", folder
            return
        from sqlalchemy import create_engine, text

        base = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", pg_url)
        schema = f"load_{secrets.token_hex(4)}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        joiner = "&" if "?" in base else "?"
        try:
            yield f"{base}{joiner}options=-csearch_path%3D{schema}", folder
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@contextlib.contextmanager
def server(url: str, folder: str, workers: int) -> Iterator[tuple[int, list[str]]]:
    port = free_port()
    env = {
        **os.environ,
        "FEEDBACK_DATABASE_URL": url,
        "FEEDBACK_INSTANCE_PATH": folder,
        "FEEDBACK_SECRET_KEY": secrets.token_hex(32),
        "FEEDBACK_BASE_URL": f"http://127.0.0.1:{port}",
    }
    feedback_cli("db", "upgrade", env=env)
    created = create_missing_tables(url)
    feedback_cli("forms", "load", str(FORM), env=env)
    argv = [str(Path(sys.executable).parent / "feedback"), "serve", "-w", str(workers)]
    argv += ["-b", f"127.0.0.1:{port}", "--", "--log-level", "warning", "--worker-class", "sync"]
    log = Path(folder) / "gunicorn.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        probe = Client(port, Stats())
        for _ in range(300):
            with contextlib.suppress(OSError):
                if probe.get("/healthz").status == 200:
                    break
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log.read_text()}")
            time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn did not answer /healthz within 30 s:\n{log.read_text()}")
        yield port, created
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
