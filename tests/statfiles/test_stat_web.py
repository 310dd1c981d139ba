"""SPSS and Stata files from the staff export page: offered, run in the background, downloaded
whole; never identified. Through the Flask test client with CSRF on, as a browser would."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from job_pages import finished, start_job
from stat_support import read_dta, read_sav

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from analysis_web_support import SLUG, load_form, record, report_figures, signed_in, text_of, token_of  # noqa: E402
from staff_helpers import fast_hashing as fast_hashing  # noqa: E402, F401 -- fixture used via pytestmark
from staff_helpers import login, make_user  # noqa: E402

from feedback.db.session import Database  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_hashing")
PAGE = "/staff/projects/pilot/exports"


@pytest.fixture
def evaluator(client: FlaskClient, db: Database, tmp_path: Path) -> FlaskClient:
    load_form(db, tmp_path)
    report_figures(db)  # 55 complete responses: 22 very useful
    record(db, [{"useful": "very"}] * 3, status="partial", submitted_at=None)
    return signed_in(client, db, "evaluator@example.org", "evaluator")


def _start(client: FlaskClient, **fields: str) -> str:
    data = {"csrf_token": token_of(client, PAGE), "instrument": SLUG, "values": "labels"}
    return start_job(client, PAGE, {**data, **fields})


def _download(client: FlaskClient, html: str, tmp_path: Path, suffix: str) -> Path:
    start = html.index("/staff/projects/pilot/exports/download?job=")
    url = html[start : html.index('"', start)].replace("&amp;", "&")
    with client.get(url) as response:
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert "attachment" in disposition and f".{suffix}" in disposition
        mimetype = response.mimetype
        body = response.get_data()
    assert mimetype == {"sav": "application/x-spss-sav", "dta": "application/x-stata-dta"}[suffix]
    path = tmp_path / f"download.{suffix}"
    path.write_bytes(body)
    return path


def test_the_page_offers_spss_and_stata(evaluator: FlaskClient) -> None:
    html = evaluator.get(PAGE).get_data(as_text=True)
    assert 'name="format" type="radio" value="sav"' in html
    assert 'name="format" type="radio" value="dta"' in html
    text = text_of(html)
    assert "SPSS data file (.sav)" in text and "Stata data file (.dta)" in text


def test_an_spss_export_downloads_with_labels_and_missing_codes(
    evaluator: FlaskClient, tmp_path: Path
) -> None:
    html = finished(evaluator, _start(evaluator, format="sav", status="complete"))
    text = text_of(html)
    assert "Your export is ready" in text and "codes with value labels" in text
    assert "not shown" in text and "not answered" in text
    read = read_sav(_download(evaluator, html, tmp_path, "sav"))
    assert len(read.rows) == 55
    assert read.column("useful").count(1.0) == 22
    assert read.value_labels("useful")[1] == "Very useful"
    assert read.label("useful") == "How useful was the event?"


def test_a_stata_export_downloads(evaluator: FlaskClient, tmp_path: Path) -> None:
    html = finished(evaluator, _start(evaluator, format="dta"))
    read = read_dta(_download(evaluator, html, tmp_path, "dta"))
    assert len(read.rows) == 58
    assert read.column("comments") == [""] * 58
    assert read.column("sessions") == ["b"] * 58  # shown to everyone, answered by nobody


def test_an_identified_statistical_file_is_refused(client: FlaskClient, db: Database, tmp_path: Path) -> None:
    load_form(db, tmp_path)
    make_user(db, "ida@example.org", roles={"pilot": "evaluator"}, identify=True)
    login(client, "ida@example.org")
    data = {"csrf_token": token_of(client, PAGE), "instrument": SLUG, "values": "labels", "identified": "yes"}
    for file_format in ("sav", "dta"):
        response = client.post(PAGE, data={**data, "format": file_format})
        assert response.status_code == 200
        assert "SPSS and Stata files are never identified" in text_of(response.get_data(as_text=True))
