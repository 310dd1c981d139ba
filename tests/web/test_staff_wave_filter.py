"""The summary page's wave filter: the responses of the people first invited in one wave."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_web_support import SLUG, load_form, responses_in_waves, signed_in, text_of
from flask.testing import FlaskClient
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark

from feedback.db.session import Database

pytestmark = pytest.mark.usefixtures("fast_hashing")
URL = f"/staff/projects/pilot/summaries?instrument={SLUG}"


@pytest.fixture
def viewer(client: FlaskClient, db: Database, tmp_path: Path) -> FlaskClient:
    """The responses of :func:`responses_in_waves` (waves 1 and 3 invite, 2 reminds)."""
    load_form(db, tmp_path)
    responses_in_waves(db)
    return signed_in(client, db, "viewer@example.org", "viewer")


def _useful(text: str) -> str:
    start = text.index("How useful was the event?")
    return text[start : text.index("How many sessions", start)]


def test_choosing_a_wave_changes_the_tables(viewer: FlaskClient) -> None:
    everyone = text_of(viewer.get(URL).get_data(as_text=True))
    assert "Base: 4 answered" in _useful(everyone)
    # The list offers the invitation waves only, never the reminder.
    assert "Wave 1: invitation sent 2 Feb 2026" in everyone
    assert "Wave 3: invitation sent 16 Feb 2026" in everyone
    assert "Wave 2:" not in everyone
    first = _useful(text_of(viewer.get(URL + "&wave=1").get_data(as_text=True)))
    assert "Base: 2 answered" in first and "Very useful 2 100.0%" in first
    third = _useful(text_of(viewer.get(URL + "&wave=3").get_data(as_text=True)))
    assert "Base: 1 answered" in third and "Not very useful 1 100.0%" in third


def test_the_wave_is_kept_by_the_crosstab_form(viewer: FlaskClient) -> None:
    html = viewer.get(URL + "&wave=3").get_data(as_text=True)
    crosstab = html[html.index('id="crosstab"') :]
    assert '<input type="hidden" name="wave" value="3">' in crosstab


def test_a_reminder_wave_is_reported_not_applied(viewer: FlaskClient) -> None:
    response = viewer.get(URL + "&wave=2")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Some filters were not used" in text
    assert "not one of this instrument's invitation waves" in text
    assert "Base: 4 answered" in _useful(text)
