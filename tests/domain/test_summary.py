"""Summary tables: the figures evaluators copy into reports, so they are pinned to real examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.domain.stats import describe, percent_of, percent_with_interval
from feedback.domain.summary import (
    MULTIPLE_NOTE,
    SMALL_BASE_WARNING,
    CrossTab,
    FrequencyTable,
    NumericSummary,
    QuestionInfo,
    crosstab,
    format_percent,
    frequency_table,
    numeric_summary,
    profile_table,
    wilson_interval,
)

Z = 1.959963984540054

USEFULNESS = QuestionInfo(
    name="als_usefulness",
    label="Usefulness of action learning sets",
    type="select_one",
    choices=(
        ("very_useful", "Very useful"),
        ("ambivalent", "Neither useful nor not useful"),
        ("not_very_useful", "Not very useful"),
    ),
)

ORG_TYPE = QuestionInfo(
    name="org_type",
    label="Type of organisation",
    type="select_one",
    choices=(
        ("statutory", "Statutory"),
        ("voluntary", "Voluntary or community"),
        ("private", "Private"),
        ("other_org", "Other"),
    ),
)

ROLE = QuestionInfo(
    name="role",
    label="Role",
    type="select_one",
    choices=(("manager", "Manager"), ("practitioner", "Practitioner"), ("admin", "Administrator")),
)

ACTIVITIES = QuestionInfo(
    name="activities",
    label="Which activities did you take part in?",
    type="select_multiple",
    choices=(("workshop", "Workshop"), ("mentoring", "Mentoring"), ("als", "Action learning set")),
)


def usefulness_table(**overrides: int) -> FrequencyTable:
    counts = {"very_useful": 22, "ambivalent": 17, "not_very_useful": 16}
    kwargs = {"answered": 55, "missing": 3, "not_shown": 12} | overrides
    return frequency_table(USEFULNESS, counts, **kwargs)


# --- Wilson interval ---------------------------------------------------------------------------


def by_formula(x: int, n: int) -> tuple[float, float]:
    """Wilson written as the roots of (p - p̂)² = z²·p(1 - p)/n: a second, independent route."""
    ph = x / n
    a = 1 + Z * Z / n
    b = -(2 * ph + Z * Z / n)
    c = ph * ph
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (22, 55, 0.281185, 0.531872),
        # x = 0 and x = n have closed forms: upper = z²/(n + z²), lower = n/(n + z²).
        (0, 10, 0.0, 3.841459 / 13.841459),
        (10, 10, 10 / 13.841459, 1.0),
        # p̂ = 1/2 is symmetric: 0.5 ± z·sqrt(1/8 + z²/16)/(1 + z²/2).
        (1, 2, 0.094531, 0.905469),
        # Published example (Newcombe 1998 / Wikipedia "Binomial proportion confidence interval").
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_known_values(x: int, n: int, low: float, high: float) -> None:
    result = wilson_interval(x, n)
    assert result is not None
    assert result[0] == pytest.approx(low, abs=5e-5)
    assert result[1] == pytest.approx(high, abs=5e-5)
    expected = by_formula(x, n)
    assert result[0] == pytest.approx(expected[0], abs=1e-12)
    assert result[1] == pytest.approx(expected[1], abs=1e-12)


def test_wilson_ends_are_exact_and_empty_base_is_none() -> None:
    assert wilson_interval(0, 10)[0] == 0.0  # type: ignore[index]
    assert wilson_interval(10, 10)[1] == 1.0  # type: ignore[index]
    assert wilson_interval(0, 0) is None


def test_wilson_wider_z_gives_wider_interval() -> None:
    narrow = wilson_interval(22, 55)
    wide = wilson_interval(22, 55, z=2.5758293035489)
    assert narrow is not None and wide is not None
    assert wide[0] < narrow[0] and wide[1] > narrow[1]


@pytest.mark.parametrize(("x", "n"), [(-1, 5), (6, 5), (1, -1)])
def test_wilson_rejects_impossible_counts(x: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(x, n)


def test_wilson_rejects_bad_z_and_non_integers() -> None:
    with pytest.raises(ValueError):
        wilson_interval(1, 2, z=0)
    with pytest.raises(ValueError):
        wilson_interval(1, 2, z=math.nan)
    with pytest.raises(TypeError):
        wilson_interval(1.0, 2)  # type: ignore[arg-type]


def test_percent_helpers() -> None:
    assert percent_of(22, 55) == pytest.approx(40.0)
    assert percent_of(0, 0) is None
    with pytest.raises(ValueError):
        percent_of(3, 2)
    assert percent_with_interval(0, 0).percent is None


# --- Frequency tables --------------------------------------------------------------------------


def test_report_figures_for_action_learning_sets() -> None:
    table = usefulness_table()
    assert table.base == 55
    assert [r.value for r in table.rows] == ["very_useful", "ambivalent", "not_very_useful"]
    assert [r.n for r in table.rows] == [22, 17, 16]
    assert [round(r.percent, 1) for r in table.rows] == [40.0, 30.9, 29.1]  # type: ignore[arg-type]
    assert table.row("ambivalent").label == "Neither useful nor not useful"
    assert table.total_percent == pytest.approx(100.0, abs=1e-9)
    assert table.note is None and not table.small_base_warning and table.warning is None
    very = table.row("very_useful")
    assert very.ci_low == pytest.approx(28.1185, abs=1e-3)
    assert very.ci_high == pytest.approx(53.1872, abs=1e-3)
    assert format_percent(very.percent, very.n, table.base) == "40.0% (n=22)"


def test_missing_and_not_shown_are_reported_but_never_in_the_base() -> None:
    table = usefulness_table(missing=40, not_shown=300)
    assert table.base == 55
    assert (table.missing, table.not_shown) == (40, 300)
    assert round(table.row("very_useful").percent, 1) == 40.0  # type: ignore[arg-type]


def test_zero_count_choices_are_kept_in_definition_order() -> None:
    table = frequency_table(
        USEFULNESS, {"not_very_useful": 4, "very_useful": 6}, answered=10, missing=0, not_shown=0
    )
    assert [(r.value, r.n) for r in table.rows] == [
        ("very_useful", 6),
        ("ambivalent", 0),
        ("not_very_useful", 4),
    ]
    ambivalent = table.row("ambivalent")
    assert ambivalent.percent == 0.0
    assert ambivalent.ci_low == 0.0 and ambivalent.ci_high > 0  # type: ignore[operator]


def test_unlisted_codes_are_appended_and_flagged() -> None:
    counts = {"zz_old": 1, "very_useful": 5, "other": 2, "gone": 0, "ambivalent": 2}
    table = frequency_table(USEFULNESS, counts, answered=10, missing=0, not_shown=0)
    assert [r.value for r in table.rows] == [
        "very_useful",
        "ambivalent",
        "not_very_useful",
        "other",
        "zz_old",
    ]
    assert [r.unlisted for r in table.rows] == [False, False, False, True, True]
    assert table.row("other").label == "other"
    assert table.total_percent == pytest.approx(100.0)


def test_select_multiple_percentages_exceed_100_with_note() -> None:
    counts = {"workshop": 30, "mentoring": 25, "als": 20}
    table = frequency_table(ACTIVITIES, counts, answered=40, missing=2, not_shown=0, multiple=True)
    assert table.base == 40
    assert [r.percent for r in table.rows] == [75.0, 62.5, 50.0]
    assert table.total_percent == pytest.approx(187.5)
    assert table.note == MULTIPLE_NOTE
    assert MULTIPLE_NOTE == (
        "Respondents could choose more than one answer; percentages add to more than 100%."
    )


def test_select_multiple_type_and_flag_must_agree() -> None:
    with pytest.raises(ValueError, match="multiple=True"):
        frequency_table(ACTIVITIES, {"workshop": 1}, answered=1, missing=0, not_shown=0)
    with pytest.raises(ValueError):
        frequency_table(USEFULNESS, {"ambivalent": 1}, answered=1, missing=0, not_shown=0, multiple=True)


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="sum to 55"):
        usefulness_table(answered=60)
    with pytest.raises(ValueError):
        frequency_table(ACTIVITIES, {"workshop": 5}, answered=4, missing=0, not_shown=0, multiple=True)
    with pytest.raises(ValueError):
        usefulness_table(missing=-1)
    with pytest.raises(TypeError):
        frequency_table(USEFULNESS, {None: 3}, answered=3, missing=0, not_shown=0)  # type: ignore[dict-item]


def test_base_zero_gives_none_not_zero() -> None:
    table = frequency_table(USEFULNESS, {}, answered=0, missing=4, not_shown=9)
    assert table.base == 0
    assert [r.n for r in table.rows] == [0, 0, 0]
    assert all(r.percent is None and r.ci_low is None and r.ci_high is None for r in table.rows)
    assert table.total_percent is None
    assert not table.small_base_warning and table.warning is None
    assert table.to_json_dict()["rows"][0]["percent"] is None
    assert format_percent(table.rows[0].percent, 0, table.base) == "\u2013"


@pytest.mark.parametrize(("base", "warned"), [(1, True), (29, True), (30, False), (55, False)])
def test_small_base_warning_below_30(base: int, warned: bool) -> None:
    table = frequency_table(USEFULNESS, {"very_useful": base}, answered=base, missing=0, not_shown=0)
    assert table.small_base_warning is warned
    assert table.warning == (SMALL_BASE_WARNING if warned else None)
    assert table.warning is None or table.warning.startswith("Base below 30")


def test_to_rows_for_spreadsheets() -> None:
    rows = usefulness_table().to_rows()
    assert rows[0] == ["Answer", "n", "%", "95% CI low", "95% CI high"]
    assert rows[1][:2] == ["Very useful", 22]
    assert rows[1][2] == pytest.approx(40.0)
    assert rows[1][3] == pytest.approx(28.1185, abs=1e-3)
    assert rows[-3] == ["Base (answered)", 55, None, None, None]
    assert rows[-2] == ["Missing", 3, None, None, None]
    assert rows[-1] == ["Not shown (skipped)", 12, None, None, None]
    assert len(rows) == 1 + 3 + 3
    assert all(len(r) == 5 for r in rows)
    plain = (str, int, float, type(None))
    assert all(isinstance(v, plain) for r in rows for v in r)


def test_frequency_json_shape() -> None:
    data = usefulness_table().to_json_dict()
    assert list(data) == ["name", "type", "label", "base", "missing", "not_shown", "rows"]
    assert data["name"] == "als_usefulness"
    assert data["type"] == "select_one"
    assert (data["base"], data["missing"], data["not_shown"]) == (55, 3, 12)
    assert all(list(r) == ["value", "label", "n", "percent"] for r in data["rows"])
    assert data["rows"][0] == {
        "value": "very_useful",
        "label": "Very useful",
        "n": 22,
        "percent": pytest.approx(40.0),
    }


def test_question_info_refuses_duplicate_codes_and_is_frozen() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        QuestionInfo("q", "Q", "select_one", (("a", "A"), ("a", "Again")))
    q = QuestionInfo("q", "Q", "select_one", [("a", "A")])  # type: ignore[arg-type]
    assert q.choices == (("a", "A"),)
    with pytest.raises(AttributeError):
        q.name = "other"  # type: ignore[misc]


# --- Numeric summaries -------------------------------------------------------------------------


def test_numeric_summary_from_values() -> None:
    s = numeric_summary("age", "Age", [30, 41, 25, 52], missing=2, not_shown=1, type="integer")
    assert (s.n, s.mean, s.median, s.minimum, s.maximum) == (4, 37.0, 35.5, 25.0, 52.0)
    assert s.to_json_dict() == {
        "name": "age",
        "type": "integer",
        "label": "Age",
        "n": 4,
        "mean": 37.0,
        "median": 35.5,
        "min": 25.0,
        "max": 52.0,
        "missing": 2,
        "not_shown": 1,
    }


def test_numeric_summary_from_sql_aggregates() -> None:
    s = numeric_summary("hours", "Hours", n=10, mean=3.5, minimum=1, maximum=8, missing=4)
    assert isinstance(s, NumericSummary)
    assert (s.n, s.mean, s.median, s.minimum, s.maximum) == (10, 3.5, None, 1.0, 8.0)
    assert s.missing == 4 and s.not_shown == 0


def test_numeric_summary_n_zero_has_no_statistics() -> None:
    for s in (numeric_summary("x", "X", []), numeric_summary("x", "X", n=0, not_shown=7)):
        assert s.n == 0
        assert (s.mean, s.median, s.minimum, s.maximum) == (None, None, None, None)
    assert numeric_summary("x", "X", n=0, not_shown=7).to_json_dict()["not_shown"] == 7


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # neither values nor n
        {"values": [1.0], "n": 1},  # both routes
        {"n": 0, "mean": 0.0},  # stats for nobody
        {"n": 3, "minimum": 5, "maximum": 1},
        {"n": 3, "mean": 9, "maximum": 5},
        {"values": [1.0, math.nan]},
    ],
)
def test_numeric_summary_refuses_inconsistent_input(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        numeric_summary("x", "X", **kwargs)


def test_describe_matches_statistics() -> None:
    d = describe([1, 2, 3])
    assert (d.n, d.mean, d.median) == (3, 2.0, 2.0)


# --- Profile table -----------------------------------------------------------------------------


def test_profile_table_sections_each_sum_to_100() -> None:
    org = frequency_table(
        ORG_TYPE,
        {"statutory": 130, "voluntary": 33, "private": 26},
        answered=189,
        missing=4,
        not_shown=0,
    )
    role = frequency_table(
        ROLE, {"manager": 61, "practitioner": 120, "admin": 5}, answered=186, missing=7, not_shown=0
    )
    profile = profile_table("Table 2.2: Profile of survey respondents", [org, role])
    assert profile.title == "Table 2.2: Profile of survey respondents"
    assert [s.heading for s in profile.sections] == ["Type of organisation", "Role"]
    assert [s.base for s in profile.sections] == [189, 186]
    for section in profile.sections:
        assert sum(r.percent for r in section.rows) == pytest.approx(100.0, abs=1e-9)  # type: ignore[misc]
    org_rows = profile.sections[0].rows
    assert [round(r.percent, 1) for r in org_rows] == [68.8, 17.5, 13.8, 0.0]  # type: ignore[arg-type]

    rows = profile.to_rows()
    assert rows[0] == ["Answer", "n", "%", "95% CI low", "95% CI high"]
    assert rows[1] == ["Type of organisation", None, None, None, None]
    assert rows[6] == ["Base (answered)", 189, None, None, None]
    assert rows[7] == ["Role", None, None, None, None]
    assert rows[-1] == ["Base (answered)", 186, None, None, None]
    data = profile.to_json_dict()
    assert data["title"] == profile.title
    assert [s["base"] for s in data["sections"]] == [189, 186]


# --- Cross-tabs --------------------------------------------------------------------------------

CELLS = {
    ("statutory", "manager"): 40,
    ("statutory", "practitioner"): 60,
    ("voluntary", "manager"): 10,
    ("voluntary", "practitioner"): 30,
}


def test_crosstab_row_percentages() -> None:
    t = crosstab(ORG_TYPE, ROLE, CELLS, "row")
    assert isinstance(t, CrossTab)
    assert [h.value for h in t.rows] == ["statutory", "voluntary", "private", "other_org"]
    assert [h.value for h in t.columns] == ["manager", "practitioner", "admin"]
    cell = t.cell("statutory", "manager")
    assert (cell.n, cell.base, cell.percent) == (40, 100, 40.0)
    assert t.cell("voluntary", "practitioner").percent == 75.0
    assert [c.n for c in t.row_totals] == [100, 40, 0, 0]
    assert [c.percent for c in t.row_totals] == [100.0, 100.0, None, None]
    assert t.cell("private", "manager").percent is None  # empty row base
    assert [c.n for c in t.column_totals] == [50, 90, 0]
    assert [c.percent for c in t.column_totals] == pytest.approx([50 / 1.4, 90 / 1.4, 0.0])
    assert (t.grand_total.n, t.grand_total.percent) == (140, 100.0)
    assert t.base_description == "Percentages of row totals"
    for row, total in zip(t.cells, t.row_totals, strict=True):
        if total.n:
            assert sum(c.percent for c in row) == pytest.approx(100.0)  # type: ignore[misc]


def test_crosstab_column_percentages() -> None:
    t = crosstab(ORG_TYPE, ROLE, CELLS, "column")
    cell = t.cell("statutory", "manager")
    assert (cell.n, cell.base, cell.percent) == (40, 50, 80.0)
    assert t.cell("statutory", "practitioner").percent == pytest.approx(66.6667, abs=1e-4)
    assert t.cell("statutory", "admin").percent is None  # empty column base
    assert [c.percent for c in t.column_totals] == [100.0, 100.0, None]
    assert [c.base for c in t.row_totals] == [140, 140, 140, 140]
    for j, total in enumerate(t.column_totals):
        if total.n:
            assert sum(row[j].percent for row in t.cells) == pytest.approx(100.0)  # type: ignore[misc]


def test_crosstab_total_percentages_unlisted_and_empty() -> None:
    t = crosstab(ORG_TYPE, ROLE, {**CELLS, ("legacy", "manager"): 10}, "total")
    assert t.rows[-1].value == "legacy" and t.rows[-1].unlisted
    assert t.grand_total.n == 150
    assert t.cell("statutory", "manager").percent == pytest.approx(40 / 1.5)
    assert sum(c.percent for row in t.cells for c in row) == pytest.approx(100.0)  # type: ignore[misc]
    rows = t.to_rows()
    assert rows[0][:3] == ["Type of organisation", "Manager n", "Manager %"]
    assert rows[-1][0] == "Total" and rows[-1][-2:] == [150, 100.0]

    empty = crosstab(ORG_TYPE, ROLE, {}, "total")
    assert empty.grand_total.n == 0 and empty.grand_total.percent is None
    assert all(c.percent is None for row in empty.cells for c in row)
    with pytest.raises(KeyError):
        t.cell("nope", "manager")
    with pytest.raises(ValueError):
        crosstab(ORG_TYPE, ROLE, CELLS, "cell")  # type: ignore[arg-type]


# --- Formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "n", "base", "text"),
    [
        (40.0, 22, 55, "40.0% (n=22)"),
        (17 * 100 / 55, 17, 55, "30.9% (n=17)"),
        (0.0, 0, 55, "0.0% (n=0)"),
        (62.5, None, 40, "62.5%"),
        (None, 22, 55, "\u2013"),
        (0.0, 0, 0, "\u2013"),
    ],
)
def test_format_percent(p: float | None, n: int | None, base: int | None, text: str) -> None:
    assert format_percent(p, n, base) == text


# --- Properties ----------------------------------------------------------------------------------

codes = st.lists(st.text("abcdefgh_", min_size=1, max_size=6), min_size=1, max_size=8, unique=True)


@given(
    choice_codes=codes,
    data=st.data(),
    missing=st.integers(0, 50),
    not_shown=st.integers(0, 50),
)
def test_single_choice_percents_in_range_and_sum_to_100(
    choice_codes: list[str], data: st.DataObject, missing: int, not_shown: int
) -> None:
    question = QuestionInfo("q", "Q", "select_one", tuple((c, c.upper()) for c in choice_codes))
    counts = {c: data.draw(st.integers(0, 10_000), label=c) for c in choice_codes}
    base = sum(counts.values())
    table = frequency_table(question, counts, answered=base, missing=missing, not_shown=not_shown)
    assert table.base == base
    assert [r.value for r in table.rows] == choice_codes
    for r in table.rows:
        if base == 0:
            assert r.percent is None
        else:
            assert 0.0 <= r.ci_low <= r.percent <= r.ci_high <= 100.0  # type: ignore[operator]
    if base > 0:
        assert math.isclose(sum(r.percent for r in table.rows), 100.0, abs_tol=1e-9)  # type: ignore[misc]


@given(
    counts=st.dictionaries(st.sampled_from(["workshop", "mentoring", "als", "x"]), st.integers(0, 500)),
    extra=st.integers(0, 500),
)
def test_multiple_choice_percents_in_range(counts: dict[str, int], extra: int) -> None:
    answered = max(counts.values(), default=0) + extra
    table = frequency_table(ACTIVITIES, counts, answered=answered, missing=0, not_shown=0, multiple=True)
    for r in table.rows:
        assert r.percent is None if answered == 0 else 0.0 <= r.percent <= 100.0  # type: ignore[operator]


@given(x=st.integers(0, 10_000), extra=st.integers(0, 10_000))
def test_wilson_contains_estimate(x: int, extra: int) -> None:
    n = x + extra
    interval = wilson_interval(x, n)
    if n == 0:
        assert interval is None
    else:
        assert interval is not None
        assert 0.0 <= interval[0] <= x / n <= interval[1] <= 1.0
