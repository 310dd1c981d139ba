"""Agreement between coders: percent agreement, Cohen's kappa and Krippendorff's alpha.

A second coder codes a sample of answers blind; evaluators then report how far the coders agree,
theme by theme and overall, before the coding is trusted. The unit is one answer and the value is
whether a coder gave that answer the theme (yes/no), so every coefficient here is computed on
nominal data; any hashable category works, so the same functions serve other codings too.

Sources, whose worked examples the tests reproduce:

* Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and Psychological
  Measurement* 20(1), 37–46: κ = (p_o − p_e) / (1 − p_e).
* Krippendorff, K. (2011). *Computing Krippendorff's Alpha-Reliability*. Annenberg School for
  Communication, University of Pennsylvania (repository.upenn.edu/asc_papers/43): α = 1 − D_o/D_e
  computed from the coincidence matrix, for any number of coders and with missing values.
* Krippendorff, K. (2004). *Content Analysis: An Introduction to Its Methodology*, 2nd ed., §11.3.

Three rules matter more than the arithmetic:

* A coefficient that is undefined (0/0) is ``None`` with a reason, never 0 or 1: "the coders used
  one category throughout" is a finding about the sample, not a perfect or a failed agreement.
* A unit coded by fewer than two coders cannot be compared and is left out (Krippendorff: it is not
  pairable), so ``n`` is always the number of units actually compared.
* Every figure carries the text of the rule that produced it (:data:`ALPHA_DEFINITION` and friends),
  because "kappa 0.6" means nothing to a reader who cannot tell which kappa, over what.

Arithmetic is exact (:class:`fractions.Fraction`); floats are produced only at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from feedback.domain.stats import percent_of

#: Levels of measurement :func:`krippendorff_alpha` supports. Binary data are nominal.
LEVELS: tuple[str, ...] = ("nominal", "interval")

PERCENT_DEFINITION = (
    "Percent agreement = units on which both coders gave the same value ÷ units coded by both × 100."
)
PAIRWISE_PERCENT_DEFINITION = (
    "Percent agreement (more than two coders) = Krippendorff's observed agreement A_o = Σ_c o_cc / n × 100: "
    "the share of pairs of values within a unit that match, each unit's pairs weighted by 1/(m_u − 1) "
    "so that every value counts once."
)
KAPPA_DEFINITION = (
    "Cohen's kappa (Cohen 1960) = (p_o − p_e) / (1 − p_e), where p_o is the share of units on which the "
    "two coders agree and p_e = Σ_k (coder 1's share of k) × (coder 2's share of k) is the agreement "
    "expected by chance from each coder's own use of the categories. Undefined when p_e = 1 (both "
    "coders used one and the same category for every unit)."
)
ALPHA_DEFINITION = (
    "Krippendorff's alpha (Krippendorff 2011) = 1 − D_o / D_e, from the coincidence matrix o_ck = "
    "Σ_u (number of ordered pairs of values c, k in unit u) / (m_u − 1), with n_c = Σ_k o_ck and "
    "n = Σ_c n_c: D_o = Σ o_ck δ²(c, k) / n and D_e = Σ n_c n_k δ²(c, k) / (n (n − 1)). Units with "
    "fewer than two values (m_u < 2) are left out. Undefined when D_e = 0 (one value throughout)."
)
_DIFFERENCE_DEFINITIONS = {
    "nominal": "Nominal difference: δ²(c, k) = 0 if c = k, else 1.",
    "interval": "Interval difference: δ²(c, k) = (c − k)².",
}
UNIT_DEFINITION = (
    "Unit = one answer coded by at least two coders; value = whether the coder gave the answer this "
    "theme (yes/no). An answer a coder has not coded is missing for that coder, not a 'no'."
)
OVERALL_DEFINITION = (
    "Overall = pooled over themes: every answer × theme decision is one unit, and the figures are "
    "computed once over all of them (not an average of the per-theme figures)."
)


@dataclass(frozen=True)
class Coefficient:
    """A coefficient's value, or ``None`` and the reason it is undefined.

    ``exact`` keeps the Fraction the float came from, so tests and exports can check a published
    figure without float noise.
    """

    value: float | None
    exact: Fraction | None = None
    reason: str | None = None

    @staticmethod
    def of(exact: Fraction) -> Coefficient:
        return Coefficient(value=float(exact), exact=exact)

    @staticmethod
    def undefined(reason: str) -> Coefficient:
        return Coefficient(value=None, reason=reason)


def _checked_pairs(pairs: Iterable[Sequence[Hashable]]) -> list[tuple[Hashable, Hashable]]:
    """The pairs as tuples; a missing value or a non-pair is an error, naming the unit."""
    checked: list[tuple[Hashable, Hashable]] = []
    for number, pair in enumerate(pairs, start=1):
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"unit {number}: expected a pair (coder 1's value, coder 2's value): {pair!r}")
        first, second = pair
        if first is None or second is None:
            raise ValueError(
                f"unit {number}: a coder's value is missing ({pair!r}); percent agreement and Cohen's kappa "
                "need both coders' values for every unit: leave the unit out, or use krippendorff_alpha, "
                "which handles missing values"
            )
        _check_hashable(first, number)
        _check_hashable(second, number)
        checked.append((first, second))
    return checked


def _check_hashable(value: object, number: int) -> None:
    try:
        hash(value)
    except TypeError:
        raise ValueError(f"unit {number}: a category must be hashable (str, int, bool…): {value!r}") from None


def percent_agreement(pairs: Iterable[Sequence[Hashable]]) -> float | None:
    """Percentage (0–100, unrounded) of units on which the two coders gave the same value.

    ``pairs`` holds one ``(coder 1's value, coder 2's value)`` per unit. ``None`` when there are no
    units (as :func:`feedback.domain.stats.percent_of`: "100% of nothing" is not a finding).
    """
    checked = _checked_pairs(pairs)
    agreed = sum(1 for first, second in checked if first == second)
    return percent_of(agreed, len(checked))


def cohens_kappa(pairs: Iterable[Sequence[Hashable]]) -> Coefficient:
    """Cohen's (1960) kappa for two coders over nominal categories: κ = (p_o − p_e) / (1 − p_e).

    p_o is the observed share of agreeing units; p_e = Σ_k p_1k · p_2k uses each coder's own
    marginal shares (Cohen's chance term, unlike Scott's pi, which pools them).

    Undefined (``None`` with a reason) when there are no units, and when p_e = 1: that happens only
    if both coders used one and the same category for every unit, so p_o = 1 too and κ would be
    0/0. Dividing anyway would give an error or an invented 1.0; percent agreement (100%) still
    describes such data.
    """
    checked = _checked_pairs(pairs)
    n = len(checked)
    if n == 0:
        return Coefficient.undefined("no units were coded by both coders")
    observed = Fraction(sum(1 for first, second in checked if first == second), n)
    first_counts = Counter(first for first, _ in checked)
    second_counts = Counter(second for _, second in checked)
    expected = Fraction(sum(count * second_counts[k] for k, count in first_counts.items()), n * n)
    if expected == 1:
        (category,) = first_counts
        return Coefficient.undefined(
            f"both coders gave every unit the same value ({category!r}), so chance agreement p_e = 1 and "
            "kappa = (p_o − p_e) / (1 − p_e) is 0/0; percent agreement is 100%"
        )
    return Coefficient.of((observed - expected) / (1 - expected))


#: One unit: values by coder position (``None`` = not coded) or a mapping coder → value.
Unit = Sequence[Hashable | None] | Mapping[Hashable, Hashable | None]


@dataclass(frozen=True)
class Coincidences:
    """Krippendorff's coincidence matrix: ``cells[(c, k)]`` = o_ck, ``totals[c]`` = n_c, ``n`` = Σ n_c.

    ``categories`` are in order of first appearance; only pairable values (units with m_u ≥ 2)
    are counted, so ``n`` is the number of pairable values.
    """

    categories: tuple[Hashable, ...]
    cells: Mapping[tuple[Hashable, Hashable], Fraction]
    totals: Mapping[Hashable, Fraction]
    n: Fraction


def _unit_values(units: Iterable[Unit]) -> list[list[Hashable]]:
    """The values present in each unit; raises when the data cannot be two or more coders' coding."""
    rows: list[list[Hashable]] = []
    coders: set[Hashable] = set()
    kinds: set[str] = set()
    for number, unit in enumerate(units, start=1):
        if isinstance(unit, Mapping):
            kinds.add("mapping")
            coders.update(unit)
            values = list(unit.values())
        elif isinstance(unit, Sequence) and not isinstance(unit, str | bytes):
            kinds.add("sequence")
            coders.update(range(len(unit)))
            values = list(unit)
        else:
            raise ValueError(
                f"unit {number}: expected a sequence of values by coder or a mapping coder → value: {unit!r}"
            )
        present = [value for value in values if value is not None]
        for value in present:
            _check_hashable(value, number)
        rows.append(present)
    if len(kinds) > 1:
        raise ValueError("units must all be sequences (coders by position) or all mappings (coder → value)")
    if rows and len(coders) < 2:
        raise ValueError(f"agreement needs at least two coders; these units have {len(coders)}")
    return rows


def coincidence_matrix(units: Iterable[Unit]) -> Coincidences:
    """The coincidence matrix of Krippendorff (2011): o_ck = Σ_u n_uc (n_uk − [c = k]) / (m_u − 1).

    Each unit with m_u ≥ 2 values contributes its m_u (m_u − 1) ordered pairs of values from
    different coders, each weighted 1/(m_u − 1), so every pairable value counts once in n.
    """
    cells: dict[tuple[Hashable, Hashable], Fraction] = {}
    categories: dict[Hashable, None] = {}
    for values in _unit_values(units):
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        categories.update(dict.fromkeys(counts))
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1 if c == k else n_k)
                if pairs:
                    cells[(c, k)] = cells.get((c, k), Fraction(0)) + Fraction(pairs, m - 1)
    totals = {c: sum((cells.get((c, k), Fraction(0)) for k in categories), Fraction(0)) for c in categories}
    return Coincidences(tuple(categories), cells, totals, sum(totals.values(), Fraction(0)))


def _difference(level: str) -> Callable[[Hashable, Hashable], Fraction]:
    """δ²(c, k) for the level of measurement; an unknown level is an error naming the known ones."""
    if level == "nominal":
        return lambda c, k: Fraction(0 if c == k else 1)
    if level == "interval":
        return lambda c, k: (_number(c) - _number(k)) ** 2
    raise ValueError(f"unknown level of measurement {level!r}; expected one of: {', '.join(LEVELS)}")


def _number(value: object) -> Fraction:
    """An interval value as an exact Fraction (0.3 means 3/10, as in rates.py)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise ValueError(f"interval alpha needs numbers as values, got {value!r}")
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def krippendorff_alpha(units: Iterable[Unit], level: str = "nominal") -> Coefficient:
    """Krippendorff's alpha, α = 1 − D_o/D_e, for any number of coders with missing values.

    ``units`` holds one entry per unit: the coders' values by position (``None`` where a coder did
    not code the unit) or a mapping coder → value. Units with fewer than two values are not
    pairable and are left out, as Krippendorff (2011) prescribes. ``level`` is ``"nominal"``
    (binary data are nominal) or ``"interval"``.

    Computed as the paper does: α = 1 − (n − 1) Σ o_ck δ²(c, k) / Σ n_c n_k δ²(c, k).
    Undefined (``None`` with a reason) when no unit is pairable, or when D_e = 0: every pairable
    value is the same, so there is no variation against which to judge agreement.

    Raises ``ValueError`` for an unknown level, fewer than two coders, or non-numeric interval data.
    """
    delta = _difference(level)
    matrix = coincidence_matrix(units)
    if matrix.n == 0:
        return Coefficient.undefined("no unit was coded by two or more coders: nothing to compare")
    observed = sum((count * delta(c, k) for (c, k), count in matrix.cells.items()), Fraction(0))
    totals = matrix.totals
    expected = sum((totals[c] * totals[k] * delta(c, k) for c in totals for k in totals), Fraction(0))
    if expected == 0:
        shown = ", ".join(repr(c) for c in matrix.categories)
        return Coefficient.undefined(
            f"every compared value is the same ({shown}), so expected disagreement D_e = 0 and "
            "alpha = 1 − D_o/D_e is 0/0"
        )
    return Coefficient.of(1 - (matrix.n - 1) * observed / expected)


def alpha_definition(level: str = "nominal") -> str:
    """The rule :func:`krippendorff_alpha` applies at ``level``, for outputs to print beside alpha."""
    _difference(level)
    return f"{ALPHA_DEFINITION} {_DIFFERENCE_DEFINITIONS[level]}"


#: answer → coder → the themes that coder gave the answer (an empty collection: coded, no theme).
Codings = Mapping[Hashable, Mapping[Hashable, Iterable[Hashable]]]


@dataclass(frozen=True)
class ThemeAgreement:
    """Agreement on one theme (``theme``), or over all themes pooled (``theme is None``).

    ``units`` is the number of units compared (answers coded by two or more coders; answer ×
    theme decisions for the pooled figure). ``kappa`` is defined for exactly two coders; with
    more, it is undefined with a reason and ``alpha`` is the coefficient to report.
    """

    theme: Hashable | None
    coders: int
    units: int
    percent_agreement: float | None
    kappa: Coefficient
    alpha: Coefficient
    definition: str


@dataclass(frozen=True)
class AgreementReport:
    """Per-theme figures in the codebook's order, the pooled figure, and the coders compared."""

    by_theme: tuple[ThemeAgreement, ...]
    overall: ThemeAgreement
    coders: tuple[Hashable, ...]


def theme_agreement(codings: Codings, themes: Sequence[Hashable]) -> AgreementReport:
    """Answer-level agreement per theme and pooled over themes, with the rules stated.

    ``codings`` maps each double-coded answer to each coder who coded it and the themes that coder
    gave it; a coder absent for an answer has not coded it (missing), which is different from
    coding it with no theme (every theme "no"). ``themes`` lists the codebook's themes in display
    order, so a theme nobody used still gets a row (with undefined coefficients and the reason).

    Raises ``ValueError`` when fewer than two coders appear, a theme is listed twice, or a coder
    used a theme not in ``themes``.
    """
    theme_list = list(themes)
    if len(set(theme_list)) != len(theme_list):
        raise ValueError("each theme must be listed once")
    known = set(theme_list)
    coders: dict[Hashable, None] = {}
    given: dict[Hashable, dict[Hashable, frozenset[Hashable]]] = {}
    for answer, by_coder in codings.items():
        given[answer] = {}
        for coder, answer_themes in by_coder.items():
            chosen = frozenset(answer_themes)
            unknown = chosen - known
            if unknown:
                shown = ", ".join(sorted(map(repr, unknown)))
                raise ValueError(
                    f"answer {answer!r}: coder {coder!r} used themes not in the codebook: {shown}"
                )
            coders[coder] = None
            given[answer][coder] = chosen
    if len(coders) < 2:
        raise ValueError(f"agreement needs at least two coders; these codings have {len(coders)}")
    compared = [by_coder for by_coder in given.values() if len(by_coder) >= 2]

    def units_for(theme: Hashable) -> list[dict[Hashable, bool]]:
        return [{coder: theme in chosen for coder, chosen in by_coder.items()} for by_coder in compared]

    order = tuple(coders)
    rows = tuple(_agreement(theme, units_for(theme), order) for theme in theme_list)
    pooled = [unit for theme in theme_list for unit in units_for(theme)]
    return AgreementReport(by_theme=rows, overall=_agreement(None, pooled, order), coders=order)


def _agreement(
    theme: Hashable | None, units: list[dict[Hashable, bool]], coders: tuple[Hashable, ...]
) -> ThemeAgreement:
    """The figures for one set of compared units (each with two or more coders' yes/no)."""
    if len(coders) == 2:
        # Coder 1's value first in every pair: kappa's chance term uses each coder's own margins.
        pairs = [(unit[coders[0]], unit[coders[1]]) for unit in units]
        percent = percent_agreement(pairs)
        kappa = cohens_kappa(pairs)
        percent_rule, kappa_rule = PERCENT_DEFINITION, KAPPA_DEFINITION
    else:
        percent = _pairwise_percent(units)
        kappa = Coefficient.undefined(
            f"Cohen's kappa compares two coders; {len(coders)} coded these answers: see Krippendorff's alpha"
        )
        percent_rule, kappa_rule = PAIRWISE_PERCENT_DEFINITION, ""
    alpha = krippendorff_alpha(units)  # no units: undefined, with the reason
    parts = [UNIT_DEFINITION, percent_rule, kappa_rule, alpha_definition("nominal")]
    if theme is None:
        parts.insert(1, OVERALL_DEFINITION)
    return ThemeAgreement(
        theme=theme,
        coders=len(coders),
        units=len(units),
        percent_agreement=percent,
        kappa=kappa,
        alpha=alpha,
        definition=" ".join(part for part in parts if part),
    )


def _pairwise_percent(units: list[dict[Hashable, bool]]) -> float | None:
    """Krippendorff's observed agreement A_o = Σ o_cc / n, as a percentage; ``None`` for no units."""
    if not units:
        return None
    matrix = coincidence_matrix(units)
    agreeing = sum((matrix.cells.get((c, c), Fraction(0)) for c in matrix.categories), Fraction(0))
    return float(agreeing / matrix.n * 100)
