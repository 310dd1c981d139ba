"""One true figure on the demo (defects 1 and 2): the CRISP survey reads 189 of 710 (26.6%) and the
PiRR event form 97 of 361 (26.9%) on every page, sheet and ``--json`` that shows them, also after
an attempt to answer the sampled survey without an invitation and an answer once it is opened.

Pages mark each figure with ``data-instrument`` and ``data-figure``; the test collects them from
every page and requires one value per (instrument, figure).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from flask.testing import FlaskClient
from respond_support import answer, start
from sqlalchemy import select

from feedback import create_app
from feedback.config import Settings
from feedback.db import Instrument
from feedback.db.app import EXTENSION
from feedback.services import accounts

FORMS = Path(__file__).resolve().parents[2] / "forms"
FIGURE = re.compile(r'data-instrument="([^"]+)" data-figure="([^"]+)">([^<]*)<')
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PAGES = ("/staff/", "/staff/projects/{p}", "/staff/projects/{p}/rates", "/staff/projects/{p}/methodology")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = tmp_path_factory.mktemp("demo-figures")
    app = create_app(
        Settings(instance_path=path, database_url=f"sqlite:///{path}/t.db", secret_key="test", testing=True)
    )
    runner = app.test_cli_runner()
    for args in (["db", "upgrade"], ["forms", "load", str(FORMS)], ["demo"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    db = app.extensions[EXTENSION]
    with db.write() as session:
        accounts.create_user(session, "root@example.org", "Root", is_admin=True, password="x" * 16)
    yield app
    db.dispose()


def _login(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = CSRF.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    client.post("/staff/login", data={"csrf_token": token, "email": "root@example.org", "password": "x" * 16})
    return client


def _figures(client: FlaskClient, projects: tuple[str, ...]) -> dict[tuple[str, str], set[str]]:
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for project in projects:
        for page in PAGES:
            html = client.get(page.format(p=project)).get_data(as_text=True)
            for slug, name, value in FIGURE.findall(html):
                seen[(slug, name)].add(value.strip())
    return seen


def _json_rates(app: Flask, slug: str) -> dict:  # type: ignore[type-arg]
    return json.loads(app.test_cli_runner().invoke(args=["rates", "--instrument", slug, "--json"]).output)


def _sheet_rates(app: Flask, tmp_path: Path, project: str) -> dict[str, dict[str, object]]:
    out = tmp_path / f"{project}.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "--project", project, "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    try:
        rows = list(book["Response rates"].iter_rows(values_only=True))
    finally:
        book.close()  # a read-only workbook keeps its file open until closed
    header = rows[0]
    return {
        row[0]: dict(zip(header, row, strict=False))
        for row in rows[1:]
        if row and row[0] in header_slugs(rows)
    }


def header_slugs(rows: list[tuple[object, ...]]) -> set[object]:
    return {
        row[0] for row in rows[1:] if row and isinstance(row[0], str) and "-" in row[0] and " " not in row[0]
    }


def _check(app: Flask, tmp_path: Path, outside: int) -> None:
    client = _login(app)
    seen = _figures(client, ("crisp", "pirr"))
    disagreeing = {key: values for key, values in seen.items() if len(values) != 1}
    assert not disagreeing, disagreeing
    crisp = {name: values.pop() for (slug, name), values in seen.items() if slug == "crisp-web-survey"}
    assert (crisp["responded"], crisp["base"], crisp["rate"]) == ("189", "710", "26.6%")
    assert crisp.get("outside", "0") == str(outside)
    pirr = {name: next(iter(v)) for (slug, name), v in seen.items() if slug == "pirr-event-feedback"}
    assert (pirr["responded"], pirr["base"], pirr["rate"]) == ("97", "361", "26.9%")  # the demo's 97 forms

    data = _json_rates(app, "crisp-web-survey")
    assert (data["responded"], data["base"], data["responses_outside_sample"]) == (189, 710, outside)
    assert data["responses"] == int(crisp["responses"])
    sheet = _sheet_rates(app, tmp_path, "crisp")["crisp-web-survey"]
    assert sheet["cases"] == 710 and sheet["responses from the sample"] == int(crisp["responses"])
    assert sheet["responses outside the sample"] == outside
    assert sheet["partial threshold"] == data["partial_threshold"]
    pirr_sheet = _sheet_rates(app, tmp_path, "pirr")["pirr-event-feedback"]
    assert (pirr_sheet["cases"], round(pirr_sheet["RR2"], 3)) == (361, 0.269)


def test_the_demo_reads_the_same_everywhere_and_refuses_uninvited_answers(app: Flask, tmp_path: Path) -> None:
    _check(app, tmp_path, outside=0)
    public = app.test_client()
    assert "/f/crisp-web-survey" not in public.get("/").get_data(as_text=True)
    refused = public.get("/f/crisp-web-survey")
    assert refused.status_code == 403 and "by invitation" in refused.get_data(as_text=True)
    _check(app, tmp_path, outside=0)


def test_an_answer_through_an_opened_link_is_outside_the_sample(app: Flask, tmp_path: Path) -> None:
    db = app.extensions[EXTENSION]
    with db.write() as session:
        session.scalar(select(Instrument).where(Instrument.slug == "crisp-web-survey")).access = "open"
    public = app.test_client()
    first_page = start(public, "/f/crisp-web-survey")
    answered = answer(
        public, first_page, {"org_type": "vco", "primary_work": "offenders", "location": "national"}
    )
    assert answered.status_code == 302
    _check(app, tmp_path, outside=1)
