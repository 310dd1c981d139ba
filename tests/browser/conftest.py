"""Browser tests: Debian's Chromium driven by Playwright against the app on 127.0.0.1.

One live server and one browser for the whole session (starting Chromium costs seconds on a
small machine); each test gets its own browser context, so cookies never leak between journeys.
The server runs the real app on a SQLite file in a temporary folder whose schema comes from
the Alembic migrations (falling back to ``create_all`` only when the migrations are behind the
models, which happens mid-development), with every instrument in forms/ and, when it loads, the
Change Up demo (its activities carry the short codes of event links).

The whole folder is skipped, with the reason shown, when /usr/bin/chromium or Playwright is
missing; ``.ci/run`` installs Chromium from Debian, so CI always runs it. No browser is ever
downloaded. Screenshots of every step go to ``test-output/screenshots/<test>/<nn>-<step>.png``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_journey import SCREENSHOTS, Journey
from sqlalchemy import create_engine, inspect, select
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_FILES = (
    ROOT / "feedback" / "static" / "build" / "axe.min.js",
    ROOT / "node_modules" / "axe-core" / "axe.min.js",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _missing() -> str:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's chromium package (.ci/run does) to run browser tests"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed in this environment (pip install -e '.[dev]')"
    if not any(path.exists() for path in AXE_FILES):
        return "axe-core is missing: run `npm ci` (it installs node_modules/axe-core)"
    return ""


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker, so ``-m "not browser"`` sees ours
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser``; skip them, saying why, when the browser or its
    tools are missing."""
    reason = _missing()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


# --------------------------------------------------------------------------- the live server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per asset is noise in test output
        pass


class LiveServer:
    """The app on 127.0.0.1, prepared (schema, forms/, demo) in a thread while Chromium starts.

    Requests, ``app``, ``schema`` and ``demo`` wait until it is ready; a failure while preparing
    is raised there, with its cause, rather than as a hang or a bare 500.
    """

    def __init__(self, url: str, prepare: Callable[[], tuple[Any, str, str]]):
        self.url = url
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._prepared: tuple[Any, str, str] | None = None

        def run() -> None:
            try:
                self._prepared = prepare()
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
                self._failure = exc
            finally:
                self._ready.set()

        threading.Thread(target=run, name="live-server-setup", daemon=True).start()

    def wait(self) -> tuple[Any, str, str]:
        if not self._ready.wait(180):
            raise RuntimeError("the live server's data took more than 3 minutes to load")
        if self._prepared is None:
            raise RuntimeError("the live server could not be prepared") from self._failure
        return self._prepared

    @property
    def app(self) -> Any:
        return self.wait()[0]

    @property
    def schema(self) -> str:
        """Where the schema came from: migrations, or create_all naming what the migrations lack."""
        return self.wait()[1]

    @property
    def demo(self) -> str:
        """Whether the demo loaded, or why not (an activity with a short code is made instead)."""
        return self.wait()[2]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)

    def event_code(self) -> tuple[str, str]:
        """(short code, title) of an activity whose project has an open event feedback form."""
        from feedback.db import Activity, Instrument
        from feedback.db.app import EXTENSION

        with self.app.extensions[EXTENSION].read() as session:
            row = session.execute(
                select(Activity.short_code, Activity.title)
                .join(Instrument, Instrument.project_id == Activity.project_id)
                .where(
                    Activity.short_code.is_not(None),
                    Instrument.kind == "event_feedback",
                    Instrument.status == "open",
                )
                .order_by(Activity.id)
                .limit(1)
            ).first()
        assert row is not None, "no activity with a short code has an open event feedback form"
        return row[0], row[1]


def _schema(url: str) -> str:
    """Build the schema with the migrations; say what is missing if they lag behind the models."""
    from feedback.db import Base
    from feedback.db.migrate import upgrade

    engine = create_engine(url)
    try:
        upgrade(engine)
        found = inspect(engine)
        behind = []
        for table in Base.metadata.sorted_tables:
            if not found.has_table(table.name):
                behind.append(table.name)
                continue
            have = {column["name"] for column in found.get_columns(table.name)}
            behind += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
    finally:
        engine.dispose()
    return ", ".join(behind[:8])


def _load_data(app: Any) -> str:
    from feedback.db import Activity, Instrument
    from feedback.db.app import EXTENSION
    from feedback.domain.loader import find_files, load_file
    from feedback.services.instruments import save_instrument

    database = app.extensions[EXTENSION]
    with database.write() as session:
        for path in find_files([ROOT / "forms"]):
            save_instrument(session, load_file(path))
    try:
        from feedback.services.demo import load_demo

        with database.write() as session:
            load_demo(session)
            # The journeys answer the CRISP survey as the public would; on the demo it is a survey
            # of a contact list, so by invitation only until opened (tests/web/test_demo_figures.py
            # covers the invitation page and what an opened link's answers count for).
            crisp = session.scalar(select(Instrument).where(Instrument.slug == "crisp-web-survey"))
            if crisp is not None:
                crisp.access = "open"
        return "loaded"
    except Exception as exc:  # noqa: BLE001 - the demo is optional here; an event link is made instead
        reason = f"not loaded ({type(exc).__name__}: {str(exc)[:120]})"
    with database.write() as session:
        instrument = session.scalar(select(Instrument).where(Instrument.kind == "event_feedback").limit(1))
        assert instrument is not None and instrument.project_id is not None
        session.add(
            Activity(project_id=instrument.project_id, title="Browser test workshop", short_code="browser1")
        )
    return reason


def _prepare(folder: Path, url: str) -> tuple[Any, str, str]:
    from feedback import create_app
    from feedback.config import Settings
    from feedback.db import Base
    from feedback.db.app import EXTENSION

    database = folder / "migrated.db"
    behind = _schema(f"sqlite:///{database}")
    if behind:
        database = folder / "created.db"
    settings = Settings(
        instance_path=folder,
        database_url=f"sqlite:///{database}",
        secret_key="browser-test-secret",
        testing=True,  # plain-http cookies: the session cookie is Secure outside testing
        exports_path=folder / "exports",
        base_url=url,
    )
    app = create_app(settings)
    if behind:
        Base.metadata.create_all(app.extensions[EXTENSION].engine)
    demo = _load_data(app)
    schema = f"create_all (migrations are behind the models: {behind})" if behind else "migrations"
    return app, schema, demo


_SERVERS: list[LiveServer] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how the live server's data was made, so a fallback (create_all, no demo) is visible."""
    for live in _SERVERS:
        if live._prepared is not None:
            terminalreporter.write_line(f"browser tests: schema from {live.schema}; demo {live.demo}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from feedback.db.app import EXTENSION

    folder = tmp_path_factory.mktemp("browser")
    holder: dict[str, LiveServer] = {}
    # Bound first so base_url (used for resume links and QR codes) can carry the real port.
    server = make_server(
        "127.0.0.1",
        0,
        lambda env, start: holder["live"](env, start),
        threaded=True,
        request_handler=_QuietHandler,
    )
    url = f"http://127.0.0.1:{server.server_port}"
    live = holder["live"] = LiveServer(url, lambda: _prepare(folder, url))
    _SERVERS.append(live)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    if live._prepared is not None:
        live.app.extensions[EXTENSION].dispose()


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser(live_server: LiveServer) -> Iterator[Any]:
    """Chromium, launched while the live server loads its data (hence the dependency)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _context(browser: Any, live_server: LiveServer, **options: Any) -> Any:
    live_server.wait()
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = _context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def js_disabled(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A context with JavaScript off. axe-core cannot run in it: give the test's ``journey`` a
    ``mirror`` page from a JavaScript-enabled context (see ``Journey._axe``)."""
    context = _context(browser, live_server, java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def narrow(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A phone held upright: 320 CSS pixels wide, the width WCAG's reflow criterion names."""
    context = _context(
        browser, live_server, viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True
    )
    yield context
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return next(path for path in AXE_FILES if path.exists()).read_text(encoding="utf-8")


@pytest.fixture
def journey(request: pytest.FixtureRequest, axe_source: str, live_server: LiveServer) -> Journey:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    folder = SCREENSHOTS / name
    if folder.exists():
        for old in folder.glob("*.png"):
            old.unlink()
    return Journey(name=name, axe_source=axe_source, base_url=live_server.url)
