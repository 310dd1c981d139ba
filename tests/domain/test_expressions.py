"""Tests for the XLSForm expression parser/evaluator.

Cases come from real forms (skip logic, constraints, choice filters,
calculations); property tests make sure no input, however odd, escapes as
anything but ExpressionError, because these strings are typed by form authors
and evaluated on every page view.
"""

from __future__ import annotations

import ast
import dataclasses
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.domain import expressions
from feedback.domain.expressions import (
    ExpressionError,
    bare_names,
    evaluate,
    is_true,
    parse,
    references,
    to_string,
    uses_current,
)

NAN = float("nan")
INF = float("inf")


def same(actual: object, expected: object) -> bool:
    """Equality that treats NaN as equal to NaN and checks bool-ness strictly."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    return actual == expected


# ---------------------------------------------------------------- operators
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 = 1", True),
        ("1 != 1", False),
        ("'a' = 'a'", True),
        ("'a' != 'b'", True),
        ("'abc' = 'ABC'", False),
        ("2 < 3", True),
        ("3 <= 3", True),
        ("4 > 3", True),
        ("3 >= 4", False),
        ("1 and 0", False),
        ("1 and 'x'", True),
        ("0 or ''", False),
        ("1 or 0", True),
        ("2 + 3", 5.0),
        ("2 - 3", -1.0),
        ("2 * 3", 6.0),
        ("7 div 2", 3.5),
        ("7 mod 3", 1.0),
        ("-7 mod 3", -1.0),  # XPath mod truncates: sign follows the dividend
        ("7.5 mod 2", 1.5),
        ("- 2", -2.0),
        ("--2", 2.0),
        ("2-1", 1.0),
        (".5 + 1.", 1.5),
        # numeric text compares as a number, other text as text
        ("'18' = 18", True),
        ("'18.0' = 18", True),
        ("'10' > '9'", True),
        ("'abc' < 'abd'", False),  # not numbers, not dates -> NaN -> false
        ("'abc' >= 'abc'", False),
        # booleans on one side compare as booleans
        ("true() = 1", True),
        ("false() = ''", True),
        ("true() != 'x'", False),
        # XPath division and arithmetic on non-numbers never raise
        ("1 div 0", INF),
        ("-1 div 0", -INF),
        ("0 div 0", NAN),
        ("5 mod 0", NAN),
        ("'a' + 1", NAN),
        ("'' * 2", NAN),
    ],
)
def test_operators(text: str, expected: object) -> None:
    assert same(evaluate(text, {}), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),  # left associative
        ("12 div 3 div 2", 2.0),
        ("7 mod 4 * 2", 6.0),
        ("-2 * 3", -6.0),
        ("- 2 + 3", 1.0),
        ("2 + 3 = 5", True),
        ("1 = 1 and 2 = 2", True),
        ("1 or 0 and 0", True),  # and binds tighter than or
        ("(1 or 0) and 0", False),
        ("1 < 2 = 1", True),  # relational binds tighter than equality
        ("3 > 2 > 1", False),  # (3 > 2) > 1 -> true > 1 -> 1 > 1
        ("1 + 1 = 2 or 0", True),
        ("not(1 = 2) and 2 >= 2", True),
    ],
)
def test_precedence(text: str, expected: object) -> None:
    assert same(evaluate(text, {}), expected)


# ---------------------------------------------------------------- functions
@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("not(0)", {}, True),
        ("not('')", {}, True),
        ("not('x')", {}, False),
        ("selected('a b c', 'b')", {}, True),
        ("selected('a b c', 'd')", {}, False),
        ("selected(${m}, 'x')", {"m": ["x", "y"]}, True),
        ("selected(${m}, 'x y')", {"m": ["x", "y"]}, False),
        ("selected(${m}, 'z')", {"m": ("x", "y")}, False),
        ("selected(${m}, 'x')", {}, False),
        ("count-selected('a b  c')", {}, 3.0),
        ("count-selected(${m})", {"m": ["x", "y"]}, 2.0),
        ("count-selected(${m})", {}, 0.0),
        ("string-length('hello')", {}, 5.0),
        ("string-length(${missing})", {}, 0.0),
        ("if(1, 'a', 'b')", {}, "a"),
        ("if(0, 'a', 'b')", {}, "b"),
        ("coalesce('', 'x')", {}, "x"),
        ("coalesce(${a}, ${b})", {"b": "fallback"}, "fallback"),
        ("coalesce('y', 'x')", {}, "y"),
        ("concat('a', 1, 'b', 2.5)", {}, "a1b2.5"),
        ("concat()", {}, ""),
        ("concat(${m}, '!')", {"m": ["x", "y"]}, "x y!"),
        ("true()", {}, True),
        ("false()", {}, False),
        ("TRUE()", {}, True),
        ("False()", {}, False),
        ("number('12.5')", {}, 12.5),
        ("number(' -3 ')", {}, -3.0),
        ("number('x')", {}, NAN),
        ("number('1e3')", {}, NAN),  # XPath numbers have no exponent
        ("string(3)", {}, "3"),
        ("string(2.5)", {}, "2.5"),
        ("string(1 div 0)", {}, "Infinity"),
        ("string(true())", {}, "true"),
        ("round(2.675, 2)", {}, 2.68),  # the decimal the user typed, not the binary float
        ("round(2.5)", {}, 3.0),
        ("round(-2.5)", {}, -3.0),  # half away from zero
        ("round(1234.5, -2)", {}, 1200.0),
        ("round('x', 2)", {}, NAN),
        ("round(1.5, 'x')", {}, NAN),
        ("round(1 div 0, 2)", {}, INF),
        ("round(1.23456789, 1000)", {}, 1.23456789),
        ("int(3.9)", {}, 3.0),
        ("int(-3.9)", {}, -3.0),
        ("int('x')", {}, NAN),
        ("regex('abc123', '[0-9]+')", {}, True),  # a search, like ODK
        ("regex('abc', '^[0-9]+$')", {}, False),
        ("regex(${phone}, '^\\+?[0-9]{8,12}$')", {"phone": "+254712345678"}, True),
        ("sqrt(16)", {}, 4.0),
        ("sqrt(-1)", {}, NAN),
        ("cos(0)", {}, 1.0),
        ("cos(1 div 0)", {}, NAN),
        ("atan(0)", {}, 0.0),
    ],
)
def test_functions(text: str, values: dict[str, object], expected: object) -> None:
    assert same(evaluate(text, values), expected)


def test_today_is_an_iso_date_string() -> None:
    assert evaluate("today()", {}) == date.today().isoformat()


def test_if_only_evaluates_the_chosen_branch() -> None:
    # the untaken branch holds an invalid dynamic regex; evaluating it would raise
    assert evaluate("if(1, 'ok', regex('x', ${p}))", {"p": "("}) == "ok"
    with pytest.raises(ExpressionError, match="invalid regex"):
        evaluate("if(0, 'ok', regex('x', ${p}))", {"p": "("})


# ------------------------------------------------------- real-form examples
@pytest.mark.parametrize(
    ("text", "values", "current", "expected"),
    [
        # constraints: `.` is the answer being checked
        (". <= ${a_integer}", {"a_integer": 10}, 5, True),
        (". <= ${a_integer}", {"a_integer": 10}, 11, False),
        (". <= ${a_integer}", {}, 5, False),  # unanswered bound -> NaN -> false
        ("not(selected(., 'yes') and selected (., 'no'))", {}, ["yes", "no"], False),
        ("not(selected(., 'yes') and selected (., 'no'))", {}, ["yes"], True),
        ("not(selected(., 'yes') and selected (., 'no'))", {}, "no yes", False),
        (". >= 18 and . <= 120", {}, 18, True),
        (". >= 18 and . <= 120", {}, "18", True),
        (". >= 18 and . <= 120", {}, "17", False),
        (". >= 18 and . <= 120", {}, 121, False),
        (". >= 18 and . <= 120", {}, None, False),
        (". >= 18 and . <= 120", {}, "abc", False),
        (". >= 18 and . <= 120", {}, Decimal("64.5"), True),
        # relevant
        ("${org_type} = 'other'", {"org_type": "other"}, None, True),
        ("${org_type} = 'other'", {"org_type": "ngo"}, None, False),
        ("${org_type} = 'other'", {}, None, False),
        ("count-selected(${q}) >= 2", {"q": ["a", "b"]}, None, True),
        ("count-selected(${q}) >= 2", {"q": "a"}, None, False),
        ("${leader_name} = \u2018other\u2019", {"leader_name": "other"}, None, True),
        ("${a} = \u201cx\u201d", {"a": "x"}, None, True),
        ("=TRUE()", {}, None, True),
        ("  = ${a} = 'x'", {"a": "x"}, None, True),
        # calculations
        ("round(15 div (sqrt(cos(atan(${slope} div 100)))),2)", {"slope": 10}, None, 15.04),
        ("round(15 div (sqrt(cos(atan(${slope} div 100)))),2)", {"slope": 0}, None, 15.0),
        ("round(15 div (sqrt(cos(atan(${slope} div 100)))),2)", {}, None, NAN),
        ("if(${a} > 1, 15, 6)", {"a": 2}, None, 15.0),
        ("if(${a} > 1, 15, 6)", {"a": "1"}, None, 6.0),
        ("if(${a} > 1, 15, 6)", {}, None, 6.0),
        ("${price} * ${qty}", {"price": Decimal("2.50"), "qty": 4}, None, 10.0),
    ],
)
def test_real_form_expressions(
    text: str, values: dict[str, object], current: object, expected: object
) -> None:
    assert same(evaluate(text, values, current=current), expected)


@pytest.mark.parametrize(
    ("text", "values", "choice", "expected"),
    [
        ("state=${selected_state}", {"selected_state": "ny"}, {"name": "nyc", "state": "ny"}, True),
        ("state=${selected_state}", {"selected_state": "ny"}, {"name": "la", "state": "ca"}, False),
        ("${state}=cf", {"state": "lagos"}, {"cf": "lagos"}, True),
        ("${state}=cf", {"state": "lagos"}, {"cf": "kano"}, False),
        # `yes` is a bare name, i.e. another choice column (XPath semantics)
        ("pastel=yes", {}, {"pastel": "yes", "yes": "yes"}, True),
        ("pastel=yes", {}, {"pastel": "no", "yes": "yes"}, False),
        (
            "village=${village} and plant_phase=${plant_phase}",
            {"village": "v1", "plant_phase": "2"},
            {"village": "v1", "plant_phase": 2},
            True,
        ),
        (
            "village=${village} and plant_phase=${plant_phase}",
            {"village": "v1", "plant_phase": "2"},
            {"village": "v2", "plant_phase": 2},
            False,
        ),
    ],
)
def test_choice_filters(
    text: str, values: dict[str, object], choice: dict[str, object], expected: bool
) -> None:
    assert is_true(text, values, choice=choice) is expected


def test_bare_names_outside_a_choice_filter_are_empty() -> None:
    assert evaluate("state", {"state": "ny"}) == ""
    assert is_true("state = ''", {})


# ---------------------------------------------------- introspection helpers
def test_references_bare_names_and_current() -> None:
    expr = parse("village=${village} and plant_phase=${plant_phase}")
    assert references(expr) == {"village", "plant_phase"}
    assert bare_names(expr) == {"village", "plant_phase"}
    assert not uses_current(expr)
    assert references("${a} + ${b.c-d} * ${a}") == frozenset({"a", "b.c-d"})
    assert references("1 + 1") == frozenset()
    assert uses_current("not(selected(., 'yes') and selected (., 'no'))")
    assert bare_names("state=${selected_state}") == {"state"}
    assert references("concat(if(${x}, ${y}, -${z}))") == {"x", "y", "z"}


def test_ast_is_immutable_cached_and_structural() -> None:
    expr = parse("${a} + 1")
    assert parse("${a} + 1") is expr
    assert parse("${a}+1") == expr  # positions do not take part in equality
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.op = "-"  # type: ignore[misc, union-attr]
    assert evaluate(expr, {"a": 1}) == 2.0


# -------------------------------------------------- unanswered and values
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${x} = ''", True),
        ("${x} != ''", False),
        ("string-length(${x}) = 0", True),
        ("${x} > 0", False),
        ("${x} <= 0", False),
        ("${x} + 1", NAN),
        ("not(${x})", True),
    ],
)
@pytest.mark.parametrize("values", [{}, {"x": None}, {"x": []}])
def test_unanswered_questions(text: str, expected: object, values: dict[str, object]) -> None:
    assert same(evaluate(text, values), expected)
    assert to_string(evaluate("${x}", values)) == ""


@pytest.mark.parametrize(
    ("value", "text", "expected"),
    [
        (True, "${v} = true()", True),
        (False, "${v}", False),
        pytest.param(10**400, "${v} > 1", True, id="huge-int"),  # +Infinity, no OverflowError
        pytest.param(-(10**400), "${v} < 0", True, id="huge-negative-int"),
        (Decimal("sNaN"), "${v} = ${v}", False),
        (Decimal("1e999"), "${v}", INF),
        (NAN, "${v} = ${v}", False),
        (NAN, "${v} != 1", True),
        (INF, "${v} - ${v}", NAN),
        (INF, "${v} mod 2", NAN),
        (5, "${v} + '5'", 10.0),
        (["a", ["nested"], 3], "${v}", ("a", "3")),
        ({"odd": "object"}, "string-length(${v}) > 0", True),
    ],
)
def test_value_kinds(value: object, text: str, expected: object) -> None:
    assert same(evaluate(text, {"v": value}), expected)


@pytest.mark.parametrize(
    ("text", "values", "current", "expected"),
    [
        (". <= today()", {}, date(2000, 1, 1), True),
        (". > today()", {}, date(2000, 1, 1), False),
        ("${start} < ${end}", {"start": date(2026, 1, 1), "end": date(2026, 2, 1)}, None, True),
        ("${start} < ${end}", {"start": "2026-01-31", "end": "2026-02-01"}, None, True),
        ("${d} >= '2026-01-15'", {"d": date(2026, 1, 15)}, None, True),
        ("${d} = '2026-01-15'", {"d": date(2026, 1, 15)}, None, True),
        ("${d} > '2026-01-15'", {"d": datetime(2026, 1, 15, 9, 30)}, None, True),
        ("${d} < '2026-01-15'", {}, None, False),  # unanswered date -> false
        ("${d} >= '2026-01-15'", {}, None, False),
    ],
)
def test_dates(text: str, values: dict[str, object], current: object, expected: bool) -> None:
    assert is_true(text, values, current=current) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.0, "2"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (NAN, "NaN"),
        (-INF, "-Infinity"),
        (("a", "b"), "a b"),
    ],
)
def test_to_string(value: object, expected: str) -> None:
    assert to_string(value) == expected  # type: ignore[arg-type]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "empty expression"),
        ("   ", 0, "empty expression"),
        ("=", 0, "empty expression"),
        ("${a} = 1 and", 12, "expected an expression after 'and' at the end"),
        ("1 + ", 4, "expected an expression after '+'"),
        ("(1 + 2", 0, "missing ')' to close the '(' at character 1"),
        ("1 + 2)", 5, "unexpected ')' at character 6"),
        (")", 0, "unexpected ')'"),
        ("* 2", 0, "unexpected '*'"),
        ("'abc", 0, "unterminated string starting at character 1"),
        ("${a} = 'x", 7, "unterminated string starting at character 8"),
        ("a \u2018b", 2, "unterminated string"),
        ("foo(1)", 0, "unknown function 'foo'"),
        ("${a} and bar (1)", 9, "unknown function 'bar' at character 10"),
        ("jr:choice-name(${a}, '${a}')", 0, "unknown function 'jr:choice-name'"),
        ("not(1, 2)", 0, "function 'not' takes 1 argument but got 2"),
        ("selected(.)", 0, "takes 2 arguments but got 1"),
        ("round()", 0, "takes 1 or 2 arguments but got 0"),
        ("concat('a',)", 11, "expected an expression after ',' but found ')'"),
        ("round(1 2)", 8, "expected ',' or ')' in 'round(' but found '2'"),
        ("concat('a'", 6, "missing ')' to close the 'concat('"),
        ("${a", 0, "missing '}' to close '${a'"),
        ("${}", 0, "empty reference"),
        ("${1a} = 1", 0, "expected a question name after '${'"),
        ("1 == 2", 2, "use '=' to compare"),
        ("1 <> 2", 2, "use '!='"),
        ("a AND b", 2, "operators are lowercase: use 'and'"),
        ("${a} ${b}", 5, "is an operator such as '=' or 'and' missing"),
        ("1 # 2", 2, "unexpected character '#'"),
        ("1 \x00 2", 2, "unexpected character U+0000"),
        ("/data/a = 1", 0, "use 'div' to divide"),
        (".. = 1", 0, "'..' (parent path) is not supported"),
        ("1 and or 2", 6, "expected an expression after 'and' but found 'or'"),
        ("regex(., '[a-')", 9, "invalid regex pattern"),
        ("regex(., '" + "a" * 201 + "')", 9, "regex pattern is too long"),
    ],
)
def test_malformed_expressions(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    error = info.value
    assert fragment in error.message
    assert error.position == position
    assert error.text == text
    assert isinstance(error, ValueError)
    assert str(error) == error.message


def test_non_text_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(ExpressionError):
        evaluate(42, {})  # type: ignore[arg-type]


def test_dynamic_regex_errors_surface_at_evaluation() -> None:
    expr = parse("regex(., ${pattern})")
    assert is_true(expr, {"pattern": "^[0-9]+$"}, current="123")
    with pytest.raises(ExpressionError, match="invalid regex pattern"):
        evaluate(expr, {"pattern": "(unclosed"}, current="x")
    with pytest.raises(ExpressionError, match="too long"):
        evaluate(expr, {"pattern": "a" * 201}, current="x")


def test_limits() -> None:
    with pytest.raises(ExpressionError, match="too long") as info:
        parse("1" + " + 1" * 600)
    assert info.value.position == expressions.MAX_LENGTH

    assert evaluate("(" * 100 + "1" + ")" * 100, {}) == 1.0
    with pytest.raises(ExpressionError, match="too deeply nested") as info:
        parse("(" * 101 + "1" + ")" * 101)
    assert info.value.position == 100
    with pytest.raises(ExpressionError, match="too deeply nested"):
        parse("not(" * 101 + "1" + ")" * 101)

    assert evaluate(" + ".join(["1"] * 150), {}) == 150.0
    with pytest.raises(ExpressionError, match="too complex"):
        parse("-" * 300 + "1")
    with pytest.raises(ExpressionError, match="too complex"):
        parse("1+" * 250 + "1")


def test_module_hygiene() -> None:
    """Standard library only, and never eval/exec (these strings come from uploaded forms)."""
    domain = Path(expressions.__file__).parent
    for name in ("expressions.py", "_expr_functions.py"):
        tree = ast.parse((domain / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                assert node.id not in {"eval", "exec", "compile", "__import__"}
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                modules += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                for module in modules:
                    assert module.split(".")[0] not in {"flask", "sqlalchemy"}


# -------------------------------------------------------- property tests
TOKENS = [
    "${a}", "${b}", "${", "}", ".", "'x'", "'", "\u2018y\u2019", '"z"', "0", "1", "2.5", ".5",
    "-", "+", "*", "div", "mod", "=", "!=", "<", "<=", ">", ">=", "and", "or", "AND",
    "(", ")", ",", "not", "selected", "count-selected", "string-length", "if", "coalesce",
    "concat", "true", "false", "TRUE", "number", "string", "round", "int", "regex", "today",
    "sqrt", "cos", "atan", "state", "cf", "'2026-01-01'", "foo",
]  # fmt: skip

token_soup = st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(["", " "])), max_size=40).map(
    lambda parts: "".join(token + sep for token, sep in parts)
)

VALUE = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.sampled_from(["", "0", "18", "-2.5", "2026-01-01", "yes no", "x"]),
    st.integers(),
    st.sampled_from([10**400, -(10**400), Decimal("sNaN"), Decimal("-Infinity")]),
    st.floats(),  # includes nan and +/-inf
    st.booleans(),
    st.decimals(),
    st.dates(),
    st.lists(st.text(max_size=5), max_size=4),
)
VALUES = st.dictionaries(st.sampled_from(["a", "b"]), VALUE)
CHOICE = st.none() | st.dictionaries(st.sampled_from(["state", "cf"]), VALUE)

ATOMS = ["${a}", "${b}", ".", "'x'", "''", "'2026-01-01'", "3", "0", "2.5", "state", "true()", "today()"]
BINARY = ["=", "!=", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "div", "mod"]
UNARY = ["not", "count-selected", "string-length", "number", "string", "round", "int", "sqrt", "cos", "atan"]


def _grow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, children)
    return st.one_of(
        st.tuples(children, st.sampled_from(BINARY), children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        pair.map(lambda t: f"selected({t[0]}, {t[1]})"),
        pair.map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        pair.map(lambda t: f"round({t[0]}, {t[1]})"),
        st.lists(children, max_size=3).map(lambda cs: f"concat({', '.join(cs)})"),
        st.tuples(children, children, children).map(lambda t: f"if({t[0]}, {t[1]}, {t[2]})"),
        children.map(lambda c: f"regex({c}, '^[0-9]+$')"),
    )


valid_expression = st.recursive(st.sampled_from(ATOMS), _grow, max_leaves=25)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.text(max_size=300))
def test_parse_never_raises_anything_but_expression_error(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as error:
        assert error.position is None or 0 <= error.position <= len(text)


@PROPERTY
@given(token_soup)
def test_parse_token_soup(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as error:
        assert error.position is not None and 0 <= error.position <= len(text)
        assert error.message


@PROPERTY
@given(st.one_of(token_soup, valid_expression), VALUES, VALUE, CHOICE)
def test_evaluate_never_raises_anything_but_expression_error(
    text: str, values: dict[str, object], current: object, choice: dict[str, object] | None
) -> None:
    try:
        expr = parse(text)
    except ExpressionError:
        return
    try:
        result = evaluate(expr, values, current=current, choice=choice)
    except ExpressionError:
        return
    assert isinstance(result, str | float | bool | tuple)
    assert is_true(expr, values, current=current, choice=choice) in (True, False)
    assert isinstance(to_string(result), str)


@PROPERTY
@given(valid_expression)
def test_generated_valid_expressions_parse(text: str) -> None:
    expr = parse(text)
    assert references(expr) <= {"a", "b"}
    assert bare_names(expr) <= {"state"}


@PROPERTY
@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_arithmetic_agrees_with_python(a: int, b: int, c: int) -> None:
    values = {"a": a, "b": b, "c": str(c)}  # numeric text counts as a number
    assert evaluate("${a} + ${b} * ${c}", values) == a + b * c
    assert evaluate("${a} - ${b} - ${c}", values) == a - b - c
    assert evaluate("-${a} * (${b} - ${c})", values) == -a * (b - c)
    assert is_true("${a} < ${b} or ${b} <= ${c}", values) is (a < b or b <= c)
    assert is_true("${a} = ${c}", values) is (a == c)
