"""The export page's wave filter: a workbook of the responses of the people one wave first invited."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from analysis_web_support import SLUG, load_form, responses_in_waves, signed_in, text_of, token_of
from flask.testing import FlaskClient
from openpyxl import load_workbook
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")
PAGE = "/staff/projects/pilot/exports"


@pytest.fixture
def evaluator(client: FlaskClient, db: Database, tmp_path: Path) -> FlaskClient:
    """The responses of :func:`responses_in_waves` (waves 1 and 3 invite, 2 reminds)."""
    load_form(db, tmp_path)
    responses_in_waves(db)
    return signed_in(client, db, "evaluator@example.org", "evaluator")


def _post(client: FlaskClient, wave: str):  # noqa: ANN202 - a test response
    data = {"csrf_token": token_of(client, PAGE), "instrument": SLUG, "values": "codes", "format": "xlsx"}
    return client.post(PAGE, data={**data, "wave": wave})


def _useful_column(client: FlaskClient, status_url: str) -> list[object]:
    deadline = time.monotonic() + 30
    while 'http-equiv="refresh"' in (html := client.get(status_url).get_data(as_text=True)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    start = html.index("/staff/projects/pilot/exports/download?job=")
    with client.get(html[start : html.index('"', start)].replace("&amp;", "&")) as response:
        workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = list(workbook["Responses"].iter_rows(values_only=True))
    workbook.close()
    column = rows[0].index("useful")
    return sorted(row[column] for row in rows[1:])


def test_an_export_of_one_wave_holds_only_its_responses(evaluator: FlaskClient) -> None:
    first = _post(evaluator, "1")
    assert first.status_code == 302
    assert _useful_column(evaluator, first.headers["Location"]) == ["very", "very"]
    third = _post(evaluator, "3")
    assert _useful_column(evaluator, third.headers["Location"]) == ["not_very"]
    ready = text_of(evaluator.get(third.headers["Location"]).get_data(as_text=True))
    assert "1 response(s), choice answers as codes" not in ready and "invitation wave 3" in ready
    everyone = _post(evaluator, "")
    every_answer = _useful_column(evaluator, everyone.headers["Location"])
    assert every_answer == ["ambivalent", "not_very", "very", "very"]


@pytest.mark.parametrize(
    ("wave", "message"), [("2", "is a reminder"), ("9", "has no wave 9"), ("x", "as a number")]
)
def test_a_wave_that_selects_nothing_sensible_is_an_error_on_the_page(
    evaluator: FlaskClient, wave: str, message: str
) -> None:
    page = _post(evaluator, wave)
    assert page.status_code == 200  # the form again, nothing started
    text = text_of(page.get_data(as_text=True))
    assert "There is a problem" in text and message in text
