"""Inter-coder agreement: published worked examples, undefined cases, missing values, validation.

Each worked example names its source. No independent implementation (``krippendorff``, NLTK) is
installed, so every published value is also re-derived by hand in a comment, and the coincidence
matrix route is checked against a brute-force pairwise computation of alpha (Krippendorff 2011
defines D_o and D_e both ways).
"""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.domain.agreement import (
    KAPPA_DEFINITION,
    OVERALL_DEFINITION,
    PAIRWISE_PERCENT_DEFINITION,
    PERCENT_DEFINITION,
    Coefficient,
    alpha_definition,
    cohens_kappa,
    coincidence_matrix,
    krippendorff_alpha,
    percent_agreement,
    theme_agreement,
)

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania, §C "Nominal data, any number of observers, missing
# data": 4 observers × 12 units, published alpha_nominal = 0.743; the same data are the paper's
# interval example, alpha_interval = 0.849. Rows are observers A-D, None = not coded.
KRIPPENDORFF_2011_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]

# Wikipedia, "Krippendorff's alpha", section "A computational example": 3 coders × 15 units,
# published alpha_nominal = 0.691 and alpha_interval = 0.811 (the krippendorff package's own tests
# give 0.691358 and 0.810845 for these data).
WIKIPEDIA_ALPHA = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]


def by_unit(observers: list[list]) -> list[tuple]:
    """The papers print observers as rows; the functions take one entry per unit."""
    return list(zip(*observers, strict=True))


def test_krippendorff_2011_nominal_with_missing_data() -> None:
    # By hand: pairable values n = 40 (unit 12 has one value and is left out); the diagonal of the
    # coincidence matrix sums to 7 + 10 + 8 + 4 + 3 = 32, so 8 values are in disagreeing pairs;
    # n_c = 9, 13, 10, 5, 3 and Σ n_c² = 384. α = 1 − (n − 1)·8 / (n² − Σ n_c²) = 1 − 312/1216 = 113/152.
    alpha = krippendorff_alpha(by_unit(KRIPPENDORFF_2011_C))
    assert alpha.exact == Fraction(113, 152)
    assert alpha.value is not None and round(alpha.value, 3) == 0.743
    assert alpha.reason is None


def test_krippendorff_2011_coincidence_matrix() -> None:
    matrix = coincidence_matrix(by_unit(KRIPPENDORFF_2011_C))
    assert matrix.n == 40
    assert matrix.categories == (1, 2, 3, 4, 5)
    assert dict(matrix.totals) == {1: 9, 2: 13, 3: 10, 4: 5, 5: 3}
    assert [matrix.cells.get((c, c), 0) for c in matrix.categories] == [7, 10, 8, 4, 3]
    # Unit 6 holds four different values, 1 2 3 4: each ordered pair weighs 1/(4 − 1).
    assert matrix.cells[(1, 4)] == Fraction(1, 3)
    # The matrix is symmetric, as Krippendorff's o_ck = o_kc.
    assert all(matrix.cells.get((k, c)) == count for (c, k), count in matrix.cells.items())


def test_krippendorff_2011_interval() -> None:
    alpha = krippendorff_alpha(by_unit(KRIPPENDORFF_2011_C), level="interval")
    assert alpha.value is not None and round(alpha.value, 3) == 0.849


def test_krippendorff_2011_two_observers_nominal() -> None:
    # Krippendorff (2011), §B "Nominal data, two observers, no missing data": 12 units, values a-e,
    # published alpha = 0.692. By hand: 3 disagreeing units → 6 off-diagonal coincidences, n = 24,
    # n_c = 4, 6, 6, 6, 2 (Σ n_c² = 128): α = 1 − 23·6 / (576 − 128) = 1 − 138/448 = 155/224.
    observer_a = ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"]
    observer_b = ["b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"]
    alpha = krippendorff_alpha(list(zip(observer_a, observer_b, strict=True)))
    assert alpha.exact == Fraction(155, 224)
    assert alpha.value is not None and round(alpha.value, 3) == 0.692


def test_krippendorff_binary_two_observers() -> None:
    # Krippendorff (2004), Content Analysis, 2nd ed., §11.3.1: Jon and Han judge the presence of
    # something in 10 newspaper articles (data as transcribed in the jucor/krippendorff R package,
    # whose test expects 0.095); Krippendorff (2011) §A reports alpha = 0.095 for binary data too.
    # By hand: o_01 = o_10 = 4, n_0 = 14, n_1 = 6, n = 20: α = 1 − 19·4 / (14·6) = 1 − 76/84 = 2/21.
    jon = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    han = [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
    units = list(zip(jon, han, strict=True))
    alpha = krippendorff_alpha(units)
    assert alpha.exact == Fraction(2, 21)
    assert alpha.value is not None and round(alpha.value, 3) == 0.095
    # Booleans are nominal categories like any other: the "does this answer carry the theme" case.
    assert krippendorff_alpha([(bool(a), bool(b)) for a, b in units]).exact == Fraction(2, 21)


def test_wikipedia_three_coders_nominal_and_interval() -> None:
    units = by_unit(WIKIPEDIA_ALPHA)
    nominal = krippendorff_alpha(units, level="nominal")
    interval = krippendorff_alpha(units, level="interval")
    assert nominal.exact == Fraction(56, 81)
    assert interval.exact == Fraction(643, 793)
    assert nominal.value is not None and round(nominal.value, 6) == 0.691358
    assert interval.value is not None and round(interval.value, 6) == 0.810845


def test_cohens_kappa_wikipedia_grant_proposals() -> None:
    # Wikipedia, "Cohen's kappa", worked example: 50 grant proposals, readers A and B; both yes 20,
    # A yes B no 5, A no B yes 10, both no 15. p_o = 35/50 = 0.70; A says yes 50%, B 60%:
    # p_e = 0.5·0.6 + 0.5·0.4 = 0.50; κ = (0.70 − 0.50) / (1 − 0.50) = 0.40.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10 + [("no", "no")] * 15
    kappa = cohens_kappa(pairs)
    assert kappa == Coefficient(value=0.4, exact=Fraction(2, 5))
    assert percent_agreement(pairs) == 70.0


@pytest.mark.parametrize(
    ("both_yes", "a_only", "b_only", "both_no", "expected", "published"),
    [
        # Wikipedia, "Cohen's kappa", "same percentages but different numbers": both tables have
        # p_o = 0.60. First: A yes 60, B yes 70 → p_e = 0.6·0.7 + 0.4·0.3 = 0.54, κ = 0.06/0.46.
        (45, 15, 25, 15, Fraction(3, 23), 0.1304),
        # Second: A yes 60, B yes 30 → p_e = 0.6·0.3 + 0.4·0.7 = 0.46, κ = 0.14/0.54.
        (25, 35, 5, 35, Fraction(7, 27), 0.2593),
    ],
)
def test_cohens_kappa_same_percent_agreement_different_kappa(
    both_yes: int, a_only: int, b_only: int, both_no: int, expected: Fraction, published: float
) -> None:
    pairs = [(1, 1)] * both_yes + [(1, 0)] * a_only + [(0, 1)] * b_only + [(0, 0)] * both_no
    assert percent_agreement(pairs) == 60.0
    assert cohens_kappa(pairs).exact == expected
    assert round(cohens_kappa(pairs).value or 0, 4) == published


def test_kappa_is_undefined_when_both_coders_used_one_category() -> None:
    kappa = cohens_kappa([(False, False)] * 12)
    assert kappa.value is None and kappa.exact is None
    assert kappa.reason is not None and "p_e = 1" in kappa.reason and "False" in kappa.reason
    assert percent_agreement([(False, False)] * 12) == 100.0


def test_kappa_is_zero_not_undefined_when_coders_used_opposite_single_categories() -> None:
    # A always "no", B always "yes": p_o = 0 and p_e = 1·0 + 0·1 = 0, so κ = 0, which is defined.
    assert cohens_kappa([("no", "yes")] * 5).exact == 0


def test_no_units() -> None:
    assert percent_agreement([]) is None
    assert cohens_kappa([]).value is None and cohens_kappa([]).reason
    empty = krippendorff_alpha([])
    assert empty.value is None and empty.reason is not None and "nothing to compare" in empty.reason


def test_alpha_is_undefined_without_variation() -> None:
    alpha = krippendorff_alpha([(True, True, None), (True, None, True)])
    assert alpha.value is None
    assert alpha.reason is not None and "D_e = 0" in alpha.reason


def test_alpha_is_undefined_when_no_unit_is_pairable() -> None:
    alpha = krippendorff_alpha([(1, None), (None, 2)])
    assert alpha.value is None and alpha.reason is not None and "two or more coders" in alpha.reason


def test_units_with_one_value_are_left_out() -> None:
    units = by_unit(KRIPPENDORFF_2011_C)
    without_last = units[:-1]  # unit 12 was coded by observer B alone
    assert krippendorff_alpha(without_last) == krippendorff_alpha(units)
    assert krippendorff_alpha([*units, (None, None, None, 4)]) == krippendorff_alpha(units)


def test_units_as_mappings_equal_units_as_sequences() -> None:
    coders = ("ann", "bo", "cy", "di")
    as_mappings = [
        {coder: value for coder, value in zip(coders, unit, strict=True) if value is not None}
        for unit in by_unit(KRIPPENDORFF_2011_C)
    ]
    assert krippendorff_alpha(as_mappings).exact == Fraction(113, 152)


def alpha_by_pairs(units: list[tuple], delta) -> Fraction | None:
    """Alpha without a coincidence matrix: D_o over pairs within units, D_e over all pairable values."""
    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [values for values in pairable if len(values) >= 2]
    values = [v for unit in pairable for v in unit]
    n = len(values)
    if n == 0:
        return None
    within = sum(
        Fraction(sum(delta(a, b) for a, b in itertools.permutations(unit, 2)), len(unit) - 1)
        for unit in pairable
    )
    between = sum(delta(a, b) for a, b in itertools.permutations(values, 2))
    if between == 0:
        return None
    return 1 - Fraction(within, n) / Fraction(between, n * (n - 1))


small_units = st.lists(
    st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=3, max_size=3).map(tuple),
    min_size=1,
    max_size=12,
)


@given(small_units)
def test_coincidence_route_matches_pairwise_route(units: list[tuple]) -> None:
    for level, delta in (("nominal", lambda a, b: int(a != b)), ("interval", lambda a, b: (a - b) ** 2)):
        assert krippendorff_alpha(units, level=level).exact == alpha_by_pairs(units, delta)


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=30))
def test_two_coder_alpha_is_scotts_pi_corrected_for_sample_size(pairs: list[tuple[int, int]]) -> None:
    # Krippendorff (2011): for two coders and no missing data, α = 1 − (n − 1)/n · (1 − π), where
    # π is Scott's pi (pooled margins) and n = 2N is the number of values.
    n = 2 * len(pairs)
    observed = Fraction(sum(a == b for a, b in pairs), len(pairs))
    pooled = Counter(v for pair in pairs for v in pair)
    expected = sum(Fraction(count, n) ** 2 for count in pooled.values())
    alpha = krippendorff_alpha(pairs)
    if expected == 1:
        assert alpha.value is None
        return
    pi = (observed - expected) / (1 - expected)
    assert alpha.exact == 1 - Fraction(n - 1, n) * (1 - pi)


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=30))
def test_kappa_is_symmetric_in_the_coders(pairs: list[tuple[bool, bool]]) -> None:
    assert cohens_kappa(pairs) == cohens_kappa([(b, a) for a, b in pairs])


def test_validation_messages() -> None:
    with pytest.raises(ValueError, match="at least two coders; these units have 1"):
        krippendorff_alpha([(1,), (2,)])
    with pytest.raises(ValueError, match="at least two coders; these units have 1"):
        krippendorff_alpha([{"ann": 1}, {"ann": 2}])
    with pytest.raises(
        ValueError, match=r"unknown level of measurement 'ordinal'; expected one of: nominal, interval"
    ):
        krippendorff_alpha([(1, 2)], level="ordinal")
    with pytest.raises(ValueError, match="interval alpha needs numbers"):
        krippendorff_alpha([("a", "b")], level="interval")
    with pytest.raises(ValueError, match="must all be sequences .* or all mappings"):
        krippendorff_alpha([(1, 2), {"ann": 1, "bo": 2}])
    with pytest.raises(ValueError, match="unit 1: expected a sequence"):
        krippendorff_alpha(["ab"])
    with pytest.raises(ValueError, match="unit 2: a coder's value is missing"):
        cohens_kappa([(1, 1), (1, None)])
    with pytest.raises(ValueError, match="unit 1: expected a pair"):
        percent_agreement([(1, 1, 1)])
    with pytest.raises(ValueError, match="must be hashable"):
        cohens_kappa([([1], [1])])


def test_alpha_definition_states_the_rule() -> None:
    assert "1 − D_o / D_e" in alpha_definition() and "δ²(c, k) = 0 if c = k, else 1" in alpha_definition()
    assert "(c − k)²" in alpha_definition("interval")
    with pytest.raises(ValueError, match="unknown level"):
        alpha_definition("ratio")


# Answer-level coding: answer → coder → themes. Theme "access" reproduces the Wikipedia kappa table
# (20 both, 5 only A, 10 only B, 15 neither); "cost" is given to answers 0-9 by both coders.
def two_coder_codings() -> dict[int, dict[str, set[str]]]:
    codings: dict[int, dict[str, set[str]]] = {}
    for answer in range(50):
        a = {"access"} if answer < 25 else set()
        b = {"access"} if answer < 20 or 25 <= answer < 35 else set()
        if answer < 10:
            a, b = a | {"cost"}, b | {"cost"}
        # Coder order differs between answers: kappa must still pair A with A.
        codings[answer] = {"A": a, "B": b} if answer % 2 else {"B": b, "A": a}
    return codings


def test_theme_agreement_two_coders_per_theme_and_pooled() -> None:
    report = theme_agreement(two_coder_codings(), ["access", "cost", "unused"])
    access, cost, unused = report.by_theme
    assert report.coders == ("B", "A")
    assert (access.theme, access.units, access.percent_agreement) == ("access", 50, 70.0)
    assert access.kappa.exact == Fraction(2, 5)
    assert cost.kappa.exact == 1 and cost.percent_agreement == 100.0
    # Nobody used "unused": every answer is "no" from both coders, so kappa and alpha are undefined.
    assert unused.percent_agreement == 100.0
    assert unused.kappa.value is None and unused.alpha.value is None
    assert unused.kappa.reason and unused.alpha.reason
    # Pooled over the 150 answer × theme decisions: yes-yes 30, A only 5, B only 10, no-no 105.
    # p_o = 135/150 = 0.9; A yes 35/150, B yes 40/150: p_e = (35·40 + 115·110)/150² = 14050/22500;
    # κ = (0.9 − 0.62444…) / (1 − 0.62444…) = 6200/8450 = 124/169 ≈ 0.734, not the mean of the
    # per-theme kappas (0.4, 1 and undefined).
    overall = report.overall
    assert overall.theme is None and overall.units == 150
    assert overall.percent_agreement == 90.0
    assert overall.kappa.exact == Fraction(124, 169)
    assert OVERALL_DEFINITION in overall.definition and OVERALL_DEFINITION not in access.definition
    for row in (*report.by_theme, overall):
        assert PERCENT_DEFINITION in row.definition and KAPPA_DEFINITION in row.definition
        assert alpha_definition("nominal") in row.definition


def test_uncoded_answer_is_missing_but_coded_without_themes_is_no() -> None:
    codings = two_coder_codings()
    codings[50] = {"A": {"access"}}  # B has not coded it yet: left out, not a disagreement
    assert theme_agreement(codings, ["access", "cost"]).by_theme[0].kappa.exact == Fraction(2, 5)
    codings[50] = {"A": {"access"}, "B": set()}  # B coded it and chose no theme: a disagreement
    row = theme_agreement(codings, ["access", "cost"]).by_theme[0]
    assert row.units == 51 and row.kappa.exact != Fraction(2, 5)


def test_theme_agreement_three_coders_reports_alpha() -> None:
    # The Krippendorff (2011) §C pattern of gaps with a yes/no theme: observer rows → answers.
    theme_given = [
        [1, 1, 0, 0, 1, 1, 0, 1, 1, None],
        [1, 1, 0, 1, 1, 0, 0, 1, 1, 0],
        [None, 1, 0, 1, 1, 0, 0, 1, 1, 0],
    ]
    codings = {
        answer: {
            coder: ({"peer support"} if value else set())
            for coder, value in zip("ABC", unit, strict=True)
            if value is not None
        }
        for answer, unit in enumerate(by_unit(theme_given))
    }
    row = theme_agreement(codings, ["peer support"]).by_theme[0]
    assert row.coders == 3 and row.units == 10
    assert row.kappa.value is None and row.kappa.reason is not None and "two coders" in row.kappa.reason
    assert row.alpha == krippendorff_alpha(
        [tuple(None if v is None else bool(v) for v in u) for u in by_unit(theme_given)]
    )
    matrix = coincidence_matrix(by_unit(theme_given))
    assert row.percent_agreement == pytest.approx(
        float(sum(matrix.cells.get((c, c), 0) for c in (0, 1)) / matrix.n * 100)
    )
    assert PAIRWISE_PERCENT_DEFINITION in row.definition and KAPPA_DEFINITION not in row.definition


def test_theme_agreement_validation() -> None:
    with pytest.raises(ValueError, match="at least two coders; these codings have 1"):
        theme_agreement({1: {"A": {"access"}}, 2: {"A": set()}}, ["access"])
    with pytest.raises(ValueError, match="at least two coders; these codings have 0"):
        theme_agreement({}, ["access"])
    with pytest.raises(ValueError, match="answer 1: coder 'B' used themes not in the codebook: 'cost'"):
        theme_agreement({1: {"A": {"access"}, "B": {"cost"}}}, ["access"])
    with pytest.raises(ValueError, match="each theme must be listed once"):
        theme_agreement({1: {"A": set(), "B": set()}}, ["access", "access"])
