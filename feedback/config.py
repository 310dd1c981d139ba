"""Settings as a frozen dataclass read from ``FEEDBACK_*`` environment variables.

Following securedrop's ``sdconfig``, ``create_app`` takes one of these (tests pass their own), so
nothing reads the environment after start-up. There is no hard-coded fallback secret: outside
tests a random key is generated once into the instance folder and reused after that.

``FEEDBACK_TRUSTED_PROXIES`` (default 0): how many reverse proxies (nginx, a load balancer) stand
in front of the app and append the client's address to ``X-Forwarded-For``. With 0 the header is
ignored and the address the connection came from is the client's; with N, Werkzeug's ``ProxyFix``
takes the Nth address from the right of the header, the one the outermost trusted proxy saw. The
client address keys the rate limits (sign-in per account and address, link guessing per address),
so set it to exactly the number of proxies: one too many lets anyone choose their address by
sending the header themselves (and so escape every limit); one too few puts every client behind
the proxy in one bucket. Only the address is taken from the proxies, never the Host header or
the scheme: links always come from ``FEEDBACK_BASE_URL``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

PREFIX = "FEEDBACK_"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    secret_key: str
    testing: bool = False
    debug: bool = False
    # SQLite: FULL survives power loss at some cost in speed; NORMAL (the WAL default) survives
    # process crashes, which is what a single-machine deployment usually needs.
    sqlite_synchronous: str = "NORMAL"
    sqlite_busy_timeout_ms: int = 15000
    pool_size: int = 5
    max_overflow: int = 10
    base_url: str = DEFAULT_BASE_URL
    exports_path: Path = Path("exports")
    # PostgreSQL only: a schema to work in (tests give each test its own).
    database_schema: str | None = None
    # Reverse proxies in front of the app whose X-Forwarded-For is believed (see the docstring).
    trusted_proxies: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _secret_key(instance: Path) -> str:
    """Read the instance's secret key, creating it (256 random bits, mode 0600) on first run."""
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    # Written whole to a private file, then linked into place: several workers starting at once
    # (gunicorn -w 4 on first run) all end up with the one key that won, never a half-written one.
    draft = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(draft, key_file)
    except FileExistsError:
        pass  # another process made the key first; use theirs
    finally:
        draft.unlink()
    return key_file.read_text().strip()


def local_base_url(host: str, port: int, *, https: bool = False) -> str:
    """``http://HOST:PORT``, the address a server started with that host and port answers on."""
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{'https' if https else 'http'}://{name}:{port}"


def _run_command_url() -> str | None:
    """The address of the ``feedback run --host H --port P`` starting this app, if that is what
    is starting it.

    Reset links, resume links, QR codes, the print version and the mail merge all leave the
    browser, so they are built from ``base_url`` and never from the request's Host header; a
    server started on another port than 5000 (``make run PORT=5101``) must still give links that
    reach it. Flask's ``run`` command loads the app inside its own click context, so its
    ``--host``/``--port`` (and ``--cert``: https) are read from there; the reloader's child
    process runs the same command line, so it gets the same address.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.command.name != "run":
        return None
    host, port = ctx.params.get("host"), ctx.params.get("port")
    if not isinstance(host, str) or not host or not isinstance(port, int):
        return None
    return local_base_url(host, port, https=ctx.params.get("cert") is not None)


def _base_url(env: dict[str, str]) -> str:
    """``FEEDBACK_BASE_URL`` if set (and not empty), else the running ``feedback run``'s own
    address, else http://127.0.0.1:5000; without a trailing slash."""
    url = env.get(f"{PREFIX}BASE_URL") or _run_command_url() or DEFAULT_BASE_URL
    return url.rstrip("/")


def _trusted_proxies(env: dict[str, str]) -> int:
    """``FEEDBACK_TRUSTED_PROXIES`` as a whole number from 0 up; a message that names it otherwise."""
    value = (env.get(f"{PREFIX}TRUSTED_PROXIES") or "0").strip()
    if not (value.isascii() and value.isdigit()):
        raise ValueError(
            f"{PREFIX}TRUSTED_PROXIES must be the number of reverse proxies in front of the app "
            f"(0, 1, 2...); found '{value}'"
        )
    return int(value)


def default_instance_path() -> Path:
    return Path(os.environ.get(f"{PREFIX}INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def from_env(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    instance = Path(env.get(f"{PREFIX}INSTANCE_PATH") or Path.cwd() / "instance").resolve()
    url = env.get(f"{PREFIX}DATABASE_URL") or f"sqlite:///{instance / 'feedback.db'}"
    secret = env.get(f"{PREFIX}SECRET_KEY") or _secret_key(instance)
    return Settings(
        instance_path=instance,
        database_url=url,
        secret_key=secret,
        debug=_bool(env.get(f"{PREFIX}DEBUG")),
        sqlite_synchronous=env.get(f"{PREFIX}SQLITE_SYNCHRONOUS", "NORMAL").upper(),
        sqlite_busy_timeout_ms=int(env.get(f"{PREFIX}SQLITE_BUSY_TIMEOUT_MS", "15000")),
        pool_size=int(env.get(f"{PREFIX}POOL_SIZE", "5")),
        max_overflow=int(env.get(f"{PREFIX}MAX_OVERFLOW", "10")),
        base_url=_base_url(env),
        exports_path=Path(env.get(f"{PREFIX}EXPORTS_PATH", "exports")),
        trusted_proxies=_trusted_proxies(env),
    )
