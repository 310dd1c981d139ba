"""Cross-tabs with a select_multiple question: percentages of people, not of ticks.

Issue 13, defect 3: the demo's "'Light Lunch' ... 155, 31.0% of 500" counted ticks in the base
(500 ticks by 193 people). The base of a multiple-choice percentage is the people who answered
the question in that column or row, as in the frequency table (155 = 80.3% of 193).

The hand-built data (``topics`` is select_multiple, ``useful`` select_one):

====  ===============  ==================  ============
who   useful           topics              attended
====  ===============  ==================  ============
P1    very             funding, networks   yes
P2    very             funding             no
P3    not_very         policy              (none)
P4    ambivalent       (none)              yes
P5    (none)           networks            (none)
====  ===============  ==================  ============

People who answered both ``topics`` and ``useful``: P1, P2, P3 (3). Of the two "very useful"
people, both chose funding (100%) and one chose networks (50%); by ticks the base would be 3.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from analysis_support import SLUG, Record
from flask.testing import FlaskClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from analysis_web_support import text_of  # noqa: E402
from staff_helpers import fast_hashing as fast_hashing  # noqa: E402, F401 -- fixture used via pytestmark
from staff_helpers import login, make_user  # noqa: E402

from feedback.db.session import Database  # noqa: E402
from feedback.domain.summary import QuestionInfo, crosstab  # noqa: E402
from feedback.services.summaries import question_crosstab, summarise  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_hashing")
URL = f"/staff/projects/analysis-tests/summaries?instrument={SLUG}"


@pytest.fixture
def people(record: Record) -> None:
    record({"useful": "very", "topics": ("funding", "networks"), "attended": "yes"})
    record({"useful": "very", "topics": ("funding",), "attended": "no"})
    record({"useful": "not_very", "topics": ("policy",)})
    record({"useful": "ambivalent", "attended": "yes"})
    record({"topics": ("networks",)})


@pytest.fixture
def viewer(client: FlaskClient, db: Database, instrument: str) -> FlaskClient:
    make_user(db, "viewer@example.org", roles={"analysis-tests": "viewer"})
    assert login(client, "viewer@example.org").status_code == 302
    return client


def _crosstab_text(client: FlaskClient, query: str) -> str:
    response = client.get(URL + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return text_of(html[html.index('id="crosstab"') :])


# --- Through the staff page -----------------------------------------------------------------------


def test_page_gives_multiple_choice_rows_as_percentages_of_people(viewer: FlaskClient, people: None) -> None:
    text = _crosstab_text(viewer, "&row=topics&column=useful&percent=column")
    # Columns: Very useful (2 people), Ambivalent (nobody answered topics), Not very useful (1).
    assert "Funding 2 100.0% of 2 0 – of 0 0 0.0% of 1 2 66.7% of 3" in text
    assert "Networks 1 50.0% of 2 0 – of 0 0 0.0% of 1 1 33.3% of 3" in text
    assert "Policy 0 0.0% of 2 0 – of 0 1 100.0% of 1 1 33.3% of 3" in text
    assert "Total (base) 2 100.0% of 2 0 – of 0 1 100.0% of 1 3" in text
    assert "Base: people who answered both questions, n = 3" in text
    assert "could choose more than one" in text and "more than 100%" in text


def test_page_gives_multiple_choice_columns_as_percentages_of_people(
    viewer: FlaskClient, people: None
) -> None:
    text = _crosstab_text(viewer, "&row=useful&column=topics&percent=row")
    # The two "very useful" people: both chose funding, one networks (150% in all).
    assert "Very useful 2 100.0% of 2 1 50.0% of 2 0 0.0% of 2 2 100.0% of 2" in text
    assert "Not very useful 0 0.0% of 1 0 0.0% of 1 1 100.0% of 1 1 100.0% of 1" in text
    column = _crosstab_text(viewer, "&row=useful&column=topics&percent=column")
    # The row totals are people too: 2 of the 3 who answered both found the event very useful.
    assert "Very useful 2 100.0% of 2 1 100.0% of 1 0 0.0% of 1 2 66.7% of 3" in column


def test_page_total_column_agrees_with_the_frequency_table(viewer: FlaskClient, record: Record) -> None:
    """Against a question everyone answered, the Total column is the frequency table itself."""
    record({"useful": "very", "topics": ("funding", "networks")})
    record({"useful": "very", "topics": ("funding",)})
    record({"useful": "not_very", "topics": ("policy",)})
    page = text_of(viewer.get(URL).get_data(as_text=True))
    assert "Base: 3 answered (respondents)" in page
    assert "Funding 2 66.7%" in page and "Networks 1 33.3%" in page
    text = _crosstab_text(viewer, "&row=topics&column=useful&percent=column")
    assert "Funding 2 100.0% of 2 0 – of 0 0 0.0% of 1 2 66.7% of 3" in text
    assert "Networks 1 50.0% of 2 0 – of 0 0 0.0% of 1 1 33.3% of 3" in text
    assert "Base: people who answered both questions, n = 3" in text


def test_single_choice_crosstab_counts_people_who_answered_both(viewer: FlaskClient, people: None) -> None:
    text = _crosstab_text(viewer, "&row=useful&column=attended&percent=column")
    # P3 did not say whether they attended; P5 did not say how useful: neither is in the base.
    assert "Very useful 1 50.0% of 2 1 100.0% of 1 2 66.7% of 3" in text
    assert "Base: people who answered both questions, n = 3" in text
    assert "more than one" not in text


# --- Through the service ------------------------------------------------------------------------


def test_service_bases_are_respondents_in_each_column(db: Database, people: None) -> None:
    with db.read() as session:
        table = question_crosstab(session, SLUG, "topics", "useful", "column")
        frequency = summarise(session, SLUG, names=["topics"]).table("topics")
    funding = table.cell("funding", "very")
    assert (funding.n, funding.base, funding.percent) == (2, 2, 100.0)
    assert table.cell("networks", "very").percent == 50.0
    assert table.cell("policy", "not_very").base == 1
    assert [c.n for c in table.column_totals] == [2, 0, 1]
    assert [(c.n, c.base) for c in table.row_totals] == [(2, 3), (1, 3), (1, 3)]
    assert table.grand_total.n == 3
    # The frequency table counts P5 too (4 people), never ticks (5).
    assert frequency.base == 4


def test_service_row_percentages_with_multiple_choice_rows(db: Database, people: None) -> None:
    with db.read() as session:
        table = question_crosstab(session, SLUG, "topics", "useful", "row")
    # Funding: P1 and P2, both very useful. Networks: P1 only (P5 did not answer "useful").
    assert (table.cell("funding", "very").n, table.cell("funding", "very").base) == (2, 2)
    assert table.cell("networks", "very").percent == 100.0
    assert [c.percent for c in table.row_totals] == [100.0, 100.0, 100.0]
    # The Total row: people in each column (not ticks) as a share of the 3 who answered both.
    assert [(c.n, c.base) for c in table.column_totals] == [(2, 3), (0, 3), (1, 3)]


def test_service_single_choice_base_is_those_who_answered_both(db: Database, people: None) -> None:
    with db.read() as session:
        table = question_crosstab(session, SLUG, "useful", "attended", "column")
    assert [c.n for c in table.column_totals] == [2, 1]  # yes: P1, P4; no: P2
    assert table.grand_total.n == 3
    assert table.cell("ambivalent", "yes").percent == 50.0


def test_domain_refuses_to_guess_bases_of_multiple_choice_from_cells() -> None:
    """Summing pair counts gives ticks, not people: the domain asks for the respondent margins."""
    topics = QuestionInfo("topics", "Topics", "select_multiple", (("a", "A"), ("b", "B")))
    useful = QuestionInfo("useful", "Useful", "select_one", (("y", "Yes"),))
    with pytest.raises(ValueError, match="select_multiple"):
        crosstab(topics, useful, {("a", "y"): 1, ("b", "y"): 1}, "column")
