"""What expressions mean, for :mod:`feedback.domain.expressions`: the AST,
the XPath 1.0 value model (string(), number(), boolean(), comparisons,
arithmetic), the built-in functions and the evaluator.

Kept apart from the tokenizer/parser so the semantics can be read (and
changed) in one place.  Nothing here may raise anything but
:class:`ExpressionError`: every numeric corner (NaN, infinities, overflow,
domain errors) is mapped to an XPath result instead.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from typing import Any

#: What the evaluator works with.  Tuples are select_multiple answers.
Value = str | float | bool | tuple[str, ...]

NAN = float("nan")
MAX_REGEX_LENGTH = 200

_NUMBER_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.+\-Z]*)?")
_COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Enough precision for any double quantized to <= 17 decimals (309 + 17 digits).
_ROUND_CONTEXT = Context(prec=400, Emax=999_999, Emin=-999_999)


class ExpressionError(ValueError):
    """A malformed expression, or one that cannot be evaluated.

    ``position`` is a 0-based offset into ``text`` (``None`` when it does not
    apply); the message counts characters from 1 because people read it.
    """

    def __init__(self, message: str, position: int | None = None, text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.text = text


def normalize(raw: object) -> Value:
    """Map a stored answer onto the XPath value model (missing -> "")."""
    if raw is None:
        return ""
    if isinstance(raw, bool | str | float):
        return raw
    if isinstance(raw, int | Decimal):
        try:
            return float(raw)
        except OverflowError:
            return math.inf if raw > 0 else -math.inf
        except (ValueError, ArithmeticError):  # Decimal('sNaN')
            return NAN
    if isinstance(raw, date):  # datetime included
        return raw.isoformat()
    if isinstance(raw, list | tuple):
        # A select_multiple answer is a flat list of choice names; deeper nesting is ignored.
        return tuple(to_string(normalize(item)) for item in raw if not isinstance(item, list | tuple))
    try:
        return str(raw)
    except Exception:  # a foreign object's __str__ must not break a form
        return ""


def to_string(value: Value) -> str:
    """XPath string(): integral numbers print without '.0', never exponents."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def _numeric(value: Value) -> float | None:
    """The number a value stands for, or None when it is not numeric text."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = to_string(value).strip()
    if _NUMBER_RE.fullmatch(text):
        return float(text)
    return None


def to_number(value: Value) -> float:
    """XPath number(): numeric text or NaN (no exponents, no 'inf')."""
    number = _numeric(value)
    return NAN if number is None else number


def to_boolean(value: Value) -> bool:
    """XPath boolean(): "" / 0 / NaN are false, anything else true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return to_string(value) != ""


def compare(op: str, left: Value, right: Value) -> bool:
    """Comparison operators with the numeric-first rules from the module doc."""
    if op in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            equal = to_boolean(left) == to_boolean(right)
        else:
            a, b = _numeric(left), _numeric(right)
            both_numeric = a is not None and b is not None
            equal = a == b if both_numeric else to_string(left) == to_string(right)
        return equal if op == "=" else not equal
    a_text, b_text = to_string(left), to_string(right)
    if _ISO_DATE_RE.fullmatch(a_text) and _ISO_DATE_RE.fullmatch(b_text):
        return _RELATIONS[op](a_text, b_text)  # ISO dates sort as text
    return _RELATIONS[op](to_number(left), to_number(right))  # NaN -> False


def arithmetic(op: str, left: Value, right: Value) -> float:
    """+ - * div mod on doubles; division by zero follows IEEE, never raises."""
    x, y = to_number(left), to_number(right)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "div":
        if y == 0:
            if x == 0 or math.isnan(x):
                return NAN
            return math.copysign(math.inf, x) * math.copysign(1.0, y)
        return x / y
    # mod: truncating like XPath (sign follows the dividend)
    if y == 0 or math.isnan(x) or math.isnan(y) or math.isinf(x):
        return NAN
    if math.isinf(y):
        return x
    return math.fmod(x, y)


def items(value: Value) -> tuple[str, ...]:
    """The choices of a select_multiple answer (stored list or space-separated text)."""
    if isinstance(value, tuple):
        return tuple(item for item in value if item != "")
    return tuple(to_string(value).split())


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """Compile a user pattern, turning every failure into ExpressionError.

    The length cap keeps pathological patterns small; it cannot rule out every
    catastrophic-backtracking pattern (Python's ``re`` has no timeout).
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        raise ExpressionError(
            f"regex pattern is too long ({len(pattern)} characters; the limit is {MAX_REGEX_LENGTH})"
        )
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        raise ExpressionError(f"invalid regex pattern {pattern!r}: {exc}") from None


def _round(args: Sequence[Value]) -> float:
    """round(x[, digits]) half away from zero, on the decimal the user sees."""
    x = to_number(args[0])
    digits = to_number(args[1]) if len(args) > 1 else 0.0
    if math.isnan(x) or math.isinf(x) or math.isnan(digits):
        return x if not math.isnan(digits) else NAN
    places = int(max(-400.0, min(17.0, digits)))
    try:
        exponent = Decimal(1).scaleb(-places)
        return float(Decimal(repr(x)).quantize(exponent, ROUND_HALF_UP, _ROUND_CONTEXT))
    except (ArithmeticError, ValueError):
        return x


def _int(args: Sequence[Value]) -> float:
    x = to_number(args[0])
    return float(math.trunc(x)) if math.isfinite(x) else x


def _math(function: Callable[[float], float]) -> Callable[[Sequence[Value]], float]:
    """Wrap a math function so domain errors become NaN, as in XPath."""

    def call(args: Sequence[Value]) -> float:
        try:
            return function(to_number(args[0]))
        except (ValueError, OverflowError):
            return NAN

    return call


def _regex(args: Sequence[Value]) -> bool:
    # ODK (JavaRosa) uses Matcher.find(): a search, not a full match.
    return compile_regex(to_string(args[1])).search(to_string(args[0])) is not None


def _coalesce(args: Sequence[Value]) -> Value:
    return args[0] if to_string(args[0]) != "" else args[1]


@dataclass(frozen=True, slots=True)
class Function:
    """A built-in: arity bounds (max None = variadic) and implementation."""

    min_args: int
    max_args: int | None
    impl: Callable[[Sequence[Value]], Value]


def _if_placeholder(args: Sequence[Value]) -> Value:
    # if() is evaluated lazily by the evaluator; this is only a fallback.
    return args[1] if to_boolean(args[0]) else args[2]


FUNCTIONS: dict[str, Function] = {
    "not": Function(1, 1, lambda a: not to_boolean(a[0])),
    "selected": Function(2, 2, lambda a: to_string(a[1]).strip() in items(a[0])),
    "count-selected": Function(1, 1, lambda a: float(len(items(a[0])))),
    "string-length": Function(1, 1, lambda a: float(len(to_string(a[0])))),
    "if": Function(3, 3, _if_placeholder),
    "coalesce": Function(2, 2, _coalesce),
    "concat": Function(0, None, lambda a: "".join(to_string(v) for v in a)),
    "true": Function(0, 0, lambda a: True),
    "false": Function(0, 0, lambda a: False),
    "number": Function(1, 1, lambda a: to_number(a[0])),
    "string": Function(1, 1, lambda a: to_string(a[0])),
    "round": Function(1, 2, _round),
    "int": Function(1, 1, _int),
    "regex": Function(2, 2, _regex),
    "today": Function(0, 0, lambda a: date.today().isoformat()),
    "sqrt": Function(1, 1, _math(math.sqrt)),
    "cos": Function(1, 1, _math(math.cos)),
    "atan": Function(1, 1, _math(math.atan)),
}


# --------------------------------------------------------------------- AST
# Positions are for messages only, so they take no part in equality.
@dataclass(frozen=True, slots=True)
class String:
    value: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Ref:
    """``${name}``: another question's answer."""

    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Current:
    """``.``: the answer being constrained."""

    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class BareName:
    """A bare identifier: a choice column in a choice_filter."""

    name: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Expr, ...]
    position: int = field(default=0, compare=False)


Expr = String | Number | Ref | Current | BareName | Negate | Binary | Call


def _children(node: Expr) -> tuple[Expr, ...]:
    if isinstance(node, Negate):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """All nodes, iteratively (no recursion to worry about)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def depth(node: Expr) -> int:
    """AST depth, iteratively: it bounds the evaluator's recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in _children(current))
    return deepest


# -------------------------------------------------------------- evaluator
@dataclass(frozen=True, slots=True)
class Scope:
    """What names resolve to during one evaluation."""

    values: Mapping[str, object]
    current: object
    choice: Mapping[str, object] | None


def evaluate_node(node: Expr, ctx: Scope) -> Value:
    # One Python frame per AST level (no comprehensions): see expressions.MAX_DEPTH.
    match node:
        case String(value=value) | Number(value=value):
            return value
        case Ref(name=name):
            return normalize(ctx.values.get(name))
        case Current():
            return normalize(ctx.current)
        case BareName(name=name):
            return "" if ctx.choice is None else normalize(ctx.choice.get(name))
        case Negate(operand=operand):
            return -to_number(evaluate_node(operand, ctx))
        case Binary(op="or", left=left, right=right):
            return to_boolean(evaluate_node(left, ctx)) or to_boolean(evaluate_node(right, ctx))
        case Binary(op="and", left=left, right=right):
            return to_boolean(evaluate_node(left, ctx)) and to_boolean(evaluate_node(right, ctx))
        case Binary(op=op, left=left, right=right) if op in _COMPARISONS:
            return compare(op, evaluate_node(left, ctx), evaluate_node(right, ctx))
        case Binary(op=op, left=left, right=right):
            return arithmetic(op, evaluate_node(left, ctx), evaluate_node(right, ctx))
        case Call(name="if", args=(condition, then, otherwise)):
            return evaluate_node(then if to_boolean(evaluate_node(condition, ctx)) else otherwise, ctx)
        case Call(name=name, args=args):
            evaluated: list[Value] = []
            for arg in args:
                evaluated.append(evaluate_node(arg, ctx))
            function = FUNCTIONS.get(name)
            if function is not None:
                return function.impl(evaluated)
    raise ExpressionError(f"cannot evaluate {node!r}")
