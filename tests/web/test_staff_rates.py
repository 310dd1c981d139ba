"""The response-rates and methodology pages, read by a viewer, on the Change Up demo.

The demo is loaded once for the module (about 3 s) into its own SQLite database; these tests only
read it. Figures are the report's (CRISP: 189 of 710 = 26.6 %) or, for subgroups, those the rates
service computes, so the page is checked against the same arithmetic the CLI prints.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff_helpers import PASSWORD, login, make_project, make_user
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used by name

from feedback import create_app
from feedback.config import Settings
from feedback.db import Base, Case, Instrument, Project
from feedback.db.app import EXTENSION
from feedback.db.session import Database
from feedback.domain.loader import find_files, load_file
from feedback.services import accounts
from feedback.services.instruments import save_instrument
from feedback.services.rates import rates_by_attribute

FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from argon2 import PasswordHasher

    from feedback.services.demo import load_demo

    path = tmp_path_factory.mktemp("rates-demo")
    app = create_app(
        Settings(instance_path=path, database_url=f"sqlite:///{path}/t.db", secret_key="t", testing=True)
    )
    db: Database = app.extensions[EXTENSION]
    Base.metadata.create_all(db.engine)
    with db.write() as session:
        for file in find_files([FORMS]):
            save_instrument(session, load_file(file))
        load_demo(session)
    with pytest.MonkeyPatch.context() as patch:  # cheap hashing: see staff_helpers.fast_hashing
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))
        make_user(db, "viewer@example.org", roles={"crisp": "viewer", "pirr": "viewer"})
    yield app
    db.dispose()


@pytest.fixture
def viewer(demo_app: Flask) -> FlaskClient:
    client = demo_app.test_client()
    assert login(client, "viewer@example.org", PASSWORD).status_code == 302
    return client


def table(html: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


def row(html: str, header: str) -> str:
    """The table row whose header cell starts with ``header``, tags stripped."""
    for tr in re.findall(r"<tr.*?</tr>", html, re.S):
        text = htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", tr)).strip())
        if text.startswith(header):
            return text
    raise AssertionError(f"no row starting {header!r}")


def test_crisp_rr2_is_shown_with_its_base_and_e(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/crisp/rates").get_data(as_text=True)
    instruments = table(html, "instruments")
    assert "26.6% (189/710)" in row(instruments, "CRISP participant survey")
    rates = table(html, "rates")  # the first instrument with a sample is shown in detail
    assert "RR2" in rates and "26.6% (189/710)" in row(rates, "RR2")
    # RR3, RR4, REF2 and CON2 use e: each states it and where it came from
    for name in ("RR3", "RR4", "REF2", "CON2"):
        assert "e = 1.000 (default: AAPOR calculator's estimate)" in row(rates, name)
    assert "e = " not in row(rates, "RR1")
    assert "189/710.0, base 192 + e × 518" in row(rates, "RR4")


def test_the_chart_is_named_by_its_caption_with_its_base_and_the_table_as_alternative(
    viewer: FlaskClient,
) -> None:
    html = viewer.get("/staff/projects/crisp/rates").get_data(as_text=True)
    figure = re.search(
        r'<figure class="app-chart[^"]*" id="chart-rr2" aria-labelledby="chart-rr2-caption">.*?</figure>',
        html,
        re.S,
    )
    assert figure, "the RR2 chart is missing or has no accessible name"
    caption = re.search(r'<figcaption[^>]*id="chart-rr2-caption">(.*?)</figcaption>', figure.group(0), re.S)
    assert caption and "Response rate (RR2) per instrument" in caption.group(1)
    assert "Base: each instrument" in caption.group(1) and "table 'Instruments' below" in htmllib.unescape(
        caption.group(1)
    )
    # the rows repeat the table's figures for sighted readers only; labels are whole, never cut
    assert '<div class="app-chart__plot" aria-hidden="true">' in figure.group(0)
    assert "26.6% (189/710)" in figure.group(0)
    assert "\u2026" not in figure.group(0)


def test_the_subgroup_form_changes_the_table(viewer: FlaskClient, demo_app: Flask) -> None:
    url = "/staff/projects/crisp/rates?instrument=crisp-web-survey"
    assert 'id="subgroups"' not in viewer.get(url).get_data(as_text=True)
    html = viewer.get(url + "&by=region").get_data(as_text=True)
    subgroups = table(html, "subgroups")
    with demo_app.extensions[EXTENSION].read() as session:
        survey = session.scalar(select(Instrument).where(Instrument.slug == "crisp-web-survey"))
        groups = {g.label: g for g in rates_by_attribute(session, survey, "region")}
    assert len(groups) > 1
    for label, group in groups.items():
        assert group.report.formatted("RR2") in row(subgroups, label)
    by_org = table(viewer.get(url + "&by=org_type").get_data(as_text=True), "subgroups")
    assert "north_east" not in by_org and "statutory" in by_org


def test_an_unknown_attribute_is_reported_not_ignored(viewer: FlaskClient) -> None:
    response = viewer.get("/staff/projects/crisp/rates?instrument=crisp-web-survey&by=shoe_size")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html and "No contact attribute &#39;shoe_size&#39;" in html
    assert "region" in html


def test_representativeness_shows_differences_and_flags_large_ones(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/crisp/rates?instrument=crisp-web-survey").get_data(as_text=True)
    region = next(
        t for t in re.findall(r'<table[^>]*id="profile-\d+".*?</table>', html, re.S) if ">region<" in t
    )
    north_east = row(region, "north_east")
    assert "22.7% (161/710)" in north_east and "17.5% (33/189)" in north_east
    assert "-5.2 pp" in north_east and "large difference" in north_east
    national = row(region, "national")
    assert "+0.4 pp" in national and "large difference" not in national
    assert 'id="chart-profile" aria-labelledby="chart-profile-caption"' in html


def test_events_show_forms_over_attendance_with_the_head_count_note(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/pirr/rates").get_data(as_text=True)
    launch = row(table(html, "events"), "PiRR launch event")
    assert "20.7% (31/150)" in launch
    assert "Head count assumed: Report: 'over 150 organisations attending'" in launch


def test_methodology_table_rebuilt_from_live_data(viewer: FlaskClient) -> None:
    html = viewer.get("/staff/projects/crisp/methodology").get_data(as_text=True)
    survey = row(table(html, "methodology"), "CRISP participant survey")
    assert "survey" in survey and "web" in survey and "710" in survey and "26.6% (189/710)" in survey


def test_undefined_rates_read_undefined_never_zero(
    app: Flask, db: Database, client: FlaskClient, fast_hashing: None
) -> None:
    """Only not-eligible cases: every denominator is 0. Only unknown eligibility: e cannot be
    estimated, so the rates using it are undefined while RR1 is a real 0 % with its base."""
    project_id = make_project(db, "pilot")
    with db.write() as session:
        closed = Instrument(slug="pilot-closed", kind="survey", title="Pilot closed", project_id=project_id)
        unknown = Instrument(
            slug="pilot-unknown", kind="survey", title="Pilot unknown", project_id=project_id
        )
        empty = Instrument(slug="pilot-empty", kind="survey", title="Pilot empty", project_id=project_id)
        session.add_all([closed, unknown, empty])
        session.flush()
        session.add_all(
            Case(
                instrument_id=closed.id,
                token=f"closed-{n}",
                disposition="NE",
                disposition_reason="out of scope",
            )
            for n in range(3)
        )
        session.add_all(Case(instrument_id=unknown.id, token=f"unknown-{n}") for n in range(3))
    make_user(db, "v@example.org", roles={"pilot": "viewer"})
    login(client, "v@example.org")
    html = client.get("/staff/projects/pilot/rates?instrument=pilot-closed").get_data(as_text=True)
    rates = table(html, "rates")
    assert "%" not in rates.split("</thead>")[1]  # no figure at all, 0.0% least of all
    assert "undefined" in row(rates, "RR1") and "its denominator is 0" in row(rates, "RR1")
    assert "undefined" in row(rates, "COOP1")
    assert "e = 0.000 (default" in row(rates, "RR3")
    empty_row = row(table(html, "instruments"), "Pilot empty")
    assert "undefined" in empty_row and "no sample recorded" in empty_row

    html = client.get("/staff/projects/pilot/rates?instrument=pilot-unknown").get_data(as_text=True)
    rates = table(html, "rates")
    assert "0.0% (0/3)" in row(rates, "RR1")
    assert "undefined (e cannot be estimated)" in row(rates, "RR3")
    assert "e undefined: no case of known eligibility" in row(rates, "RR3")
    assert "undefined (its denominator is 0)" in row(rates, "RR5")


def test_an_e_set_for_the_instrument_is_stated_as_set(
    app: Flask, db: Database, client: FlaskClient, fast_hashing: None
) -> None:
    project_id = make_project(db, "pilot")
    with db.write() as session:
        survey = Instrument(
            slug="pilot-survey",
            kind="survey",
            title="Pilot survey",
            project_id=project_id,
            eligibility_e=0.25,
        )
        session.add(survey)
        session.flush()
        session.add_all(Case(instrument_id=survey.id, token=f"t-{n}") for n in range(4))
    make_user(db, "v@example.org", roles={"pilot": "viewer"})
    login(client, "v@example.org")
    rates = table(client.get("/staff/projects/pilot/rates").get_data(as_text=True), "rates")
    assert "0.0% (0/1.0, base 0 + e × 4)" in row(rates, "RR3")
    assert "e = 0.250 (set for this instrument)" in row(rates, "RR3")


def test_pages_need_a_role_in_the_project(
    app: Flask, db: Database, client: FlaskClient, fast_hashing: None
) -> None:
    make_project(db, "pilot")
    make_project(db, "other")
    make_user(db, "o@example.org", roles={"other": "evaluator"}, identify=True)
    login(client, "o@example.org")
    assert client.get("/staff/projects/pilot/rates").status_code == 404
    assert client.get("/staff/projects/pilot/methodology").status_code == 404
    assert client.get("/staff/projects/other/rates").status_code == 200
    with db.read() as session:
        assert session.scalar(select(Project.slug).where(Project.slug == "pilot")) == "pilot"
