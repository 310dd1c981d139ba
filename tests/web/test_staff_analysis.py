"""The summary page: frequency tables with n, % and base, bar charts, filters and cross-tabs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from analysis_web_support import SLUG, count_selects, load_form, record, report_figures, signed_in, text_of
from flask.testing import FlaskClient
from staff_helpers import fast_hashing as fast_hashing  # noqa: F401 -- fixture used via pytestmark
from staff_helpers import login, make_project, make_user

from feedback.db.session import Database
from feedback.domain.charts import bar_chart, grouped_bar_chart

pytestmark = pytest.mark.usefixtures("fast_hashing")
URL = f"/staff/projects/pilot/summaries?instrument={SLUG}"


@pytest.fixture
def viewer(client: FlaskClient, db: Database, tmp_path: Path) -> FlaskClient:
    load_form(db, tmp_path)
    make_project(db, "other")
    return signed_in(client, db, "viewer@example.org", "viewer")


def _useful_section(html: str) -> str:
    """The text of the "How useful" table, from its heading to the next table's heading."""
    text = text_of(html)
    start = text.index("How useful was the event?")
    return text[start : text.index("How many sessions", start)]


def test_report_figures_show_percent_n_and_base(viewer: FlaskClient, db: Database) -> None:
    report_figures(db)
    record(db, [{"org_type": "vco"}])  # did not answer "useful": missing, not in the base
    html = viewer.get(URL).get_data(as_text=True)
    section = _useful_section(html)
    assert "Base: 55 answered" in section
    assert "Very useful 22 40.0%" in section
    assert "Ambivalent 16 29.1%" in section
    assert "Not very useful 17 30.9%" in section
    assert "Missing (shown, not answered) 1" in section
    assert "40.0% (n = 22)" in html  # the bar's own label
    assert "Base below 30" not in section  # 55 is a sound base


def test_wilson_interval_is_shown_beside_the_percentage(viewer: FlaskClient, db: Database) -> None:
    report_figures(db)
    section = _useful_section(viewer.get(URL).get_data(as_text=True))
    # 22 of 55: Wilson 95% interval 28.1% to 53.2%.
    assert "40.0% 28.1–53.2" in section


def test_small_bases_carry_a_warning(viewer: FlaskClient, db: Database) -> None:
    record(db, [{"useful": "very"}, {"useful": "ambivalent", "sessions": 3}, {"sessions": 5}])
    text = text_of(viewer.get(URL).get_data(as_text=True))
    assert "Base below 30: treat percentages with caution (base 2)" in text
    # Numeric questions: n, mean, median, min, max.
    assert re.search(r"How many sessions did you attend\? sessions n = 2 answered .* 2 4 4 3 5", text)


def test_each_closed_question_has_a_chart_captioned_with_its_base(viewer: FlaskClient, db: Database) -> None:
    report_figures(db)
    html = viewer.get(URL).get_data(as_text=True)
    charts = re.findall(r'<figure class="app-chart[^"]*" id="([^"]+)" aria-labelledby="\1-caption">', html)
    assert charts == ["q-org_type-chart", "q-useful-chart"]
    caption = re.search(r'id="q-useful-chart-caption">(.*?)</figcaption>', html, re.S)
    assert caption and "Bar chart of How useful was the event?" in caption.group(1)
    assert "Base: 55 respondents who answered." in caption.group(1)


def test_chart_rows_follow_the_table_and_keep_long_labels_whole() -> None:
    label = "Voluntary or community organisation (VCO) working with young people in the area"
    chart = bar_chart("t", [("Half", 50.0, 1), (label, 100.0, 2), ("No base", None, 0)], base="Base: 2")
    assert chart.labels == ("Half", label, "No base")  # the table's order, nothing cut off
    half, whole, none = (group.bars[0] for group in chart.groups)
    assert (half.percent, whole.percent, none.percent) == (50.0, 100.0, 0.0)  # scaled to 0-100 %
    assert none.value_text == "no base"
    with pytest.raises(ValueError):  # a rate past 100 % is a bug to show, not a bar off the edge
        grouped_bar_chart("t", "", [("Too much", [(1.5, "150%")])])


def test_filters_change_the_counts(viewer: FlaskClient, db: Database) -> None:
    report_figures(db)  # 55 complete web responses on 1 March 2026
    record(db, [{"useful": "very"}] * 3, mode="paper")
    record(db, [{"useful": "ambivalent"}] * 2, status="partial", submitted_at=None)
    everything = _useful_section(viewer.get(URL).get_data(as_text=True))
    assert "Base: 60 answered" in everything
    paper = _useful_section(viewer.get(URL + "&mode=paper").get_data(as_text=True))
    assert "Base: 3 answered" in paper and "Very useful 3 100.0%" in paper
    complete = _useful_section(viewer.get(URL + "&status=complete").get_data(as_text=True))
    assert "Base: 58 answered" in complete
    partial = _useful_section(viewer.get(URL + "&status=partial").get_data(as_text=True))
    assert "Base: 2 answered" in partial
    before = _useful_section(viewer.get(URL + "&status=complete&until=2026-02-28").get_data(as_text=True))
    assert "Base: 0 answered" in before
    on_the_day = _useful_section(
        viewer.get(URL + "&since=2026-03-01&until=2026-03-01").get_data(as_text=True)
    )
    assert "Base: 58 answered" in on_the_day  # the partials were saved today, not on 1 March


def test_unusable_filters_are_reported_not_applied(viewer: FlaskClient, db: Database) -> None:
    report_figures(db)
    response = viewer.get(URL + "&since=1st+March&mode=pigeon")
    assert response.status_code == 200
    text = text_of(response.get_data(as_text=True))
    assert "Some filters were not used" in text
    assert "expected a date like 2026-03-01, got '1st March'" in text
    assert "Base: 55 answered" in text


def test_crosstab_shows_cells_with_their_bases(viewer: FlaskClient, db: Database) -> None:
    report_figures(db)
    html = viewer.get(URL + "&row=useful&column=org_type&percent=column").get_data(as_text=True)
    text = text_of(html[html.index('id="crosstab"') :])
    assert "Percentages of column totals" in text
    # Very useful: 12 of 28 voluntary organisations, 10 of 27 statutory bodies.
    assert "Very useful 12 42.9% of 28 10 37.0% of 27 22 40.0% of 55" in text
    assert "Total (base) 28 100.0% of 28 27 100.0% of 27 55" in text
    by_row = text_of(viewer.get(URL + "&row=useful&column=org_type&percent=row").get_data(as_text=True))
    assert "Very useful 12 54.5% of 22 10 45.5% of 22 22 100.0% of 22" in by_row


def test_crosstab_of_an_unknown_question_says_so(viewer: FlaskClient, db: Database) -> None:
    text = text_of(viewer.get(URL + "&row=useful&column=comments").get_data(as_text=True))
    assert "'comments' is not a closed question" in text


def test_the_page_lists_instruments_and_hides_other_projects(viewer: FlaskClient, db: Database) -> None:
    listing = viewer.get("/staff/projects/pilot/summaries")
    assert listing.status_code == 200 and "Web summary check" in listing.get_data(as_text=True)
    assert viewer.get("/staff/projects/pilot/summaries?instrument=no-such").status_code == 404
    assert viewer.get(f"/staff/projects/other/summaries?instrument={SLUG}").status_code == 404


def test_someone_without_a_role_in_the_project_gets_404(
    client: FlaskClient, db: Database, tmp_path: Path
) -> None:
    load_form(db, tmp_path)
    make_project(db, "other")
    outsider = signed_in(client, db, "outsider@example.org", None)
    assert outsider.get(URL).status_code == 404


def test_the_page_costs_the_same_queries_for_ten_or_sixty_responses(
    viewer: FlaskClient, db: Database
) -> None:
    counts = []
    for batch in ([{"useful": "very", "comments": "a", "sessions": 2}] * 10, [{"useful": "not_very"}] * 50):
        record(db, batch)
        with count_selects(db) as statements:
            assert viewer.get(URL + "&row=useful&column=org_type").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_every_demo_instrument_has_working_analysis_pages(
    client: FlaskClient, db: Database, loaded_forms: object
) -> None:
    """The real instruments (groups, or_other, repeats of scales) with the demo's responses."""
    from sqlalchemy import select

    from feedback.db import Instrument, Project
    from feedback.services.demo import load_demo

    with db.write() as session:
        load_demo(session)
    make_user(db, "admin@example.org", admin=True)
    assert login(client, "admin@example.org").status_code == 302
    with db.read() as session:
        pairs = session.execute(
            select(Project.slug, Instrument.slug).join(Instrument, Instrument.project_id == Project.id)
        ).all()
    assert len(pairs) >= 10
    for project, instrument in pairs:
        for page in ("summaries", "free-text"):
            response = client.get(f"/staff/projects/{project}/{page}?instrument={instrument}")
            assert response.status_code == 200, (project, instrument, page)
    crisp = text_of(
        client.get("/staff/projects/crisp/summaries?instrument=crisp-web-survey").get_data(as_text=True)
    )
    assert re.search(r"Which type of organisation do you work for\? org_type Base: [1-9]\d* answered", crisp)
    # the profile the instrument marks comes first, then the other questions, each once
    html = client.get("/staff/projects/crisp/summaries?instrument=crisp-web-survey").get_data(as_text=True)
    headings = re.findall(r'<h2 class="govuk-heading-m"[^>]*>([^<]+)</h2>', html)
    profile = "Profile of respondents: About you and your organisation"
    assert headings[:2] == [profile, "Other questions"], headings
    ids = re.findall(r'<h3 class="govuk-heading-s" id="q-([a-z_0-9]+)"', html)
    assert ids[0] == "org_type" and len(ids) == len(set(ids))
    later = html.index('id="q-useful_conferences"')
    assert html.index('id="q-org_type"') < html.index("Other questions") < later
