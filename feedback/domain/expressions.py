"""XLSForm expressions: the ODK XPath subset used in relevant, constraint,
choice_filter, calculation and required columns.

Hand-written tokenizer (:mod:`._expr_tokens`) and precedence-climbing parser
(here) producing an immutable AST, then a tree-walking evaluator
(:mod:`._expr_functions`); this module is the public face of all three.
Form authors type these by hand, so the parser is forgiving where real forms
are sloppy (typographic quotes, a leading Excel ``=``, ``TRUE()``, whitespace
before ``(``) and strict elsewhere, with error messages that say what and
where.  Never uses eval/exec.

Value semantics (XPath 1.0-like):

* ``${name}`` reads ``values[name]``; a missing or ``None`` answer is ``""``.
  ``.`` is ``current``.  A bare identifier (``state``) reads ``choice[name]``
  in a choice_filter and is ``""`` elsewhere, like a missing XPath node.
* Values become strings, numbers (float, XPath doubles; int and Decimal are
  converted), booleans, or tuples of strings (select_multiple lists).  Dates
  become ISO strings.  A tuple acts as its space-joined string, except in
  ``selected()``/``count-selected()`` where it is the set of choices.
* ``= !=``: a boolean on either side compares as booleans; if both sides are
  numbers or numeric text ("18", "-2.5") they compare as numbers, otherwise as
  strings.  ``< <= > >=`` compare as numbers (NaN, e.g. an empty answer, makes
  them false), except that two ISO date strings compare as text, so
  ``${d} < '2026-02-01'`` works.
* Arithmetic converts to numbers; non-numbers give NaN, ``x div 0`` gives
  +/-Infinity (NaN for ``0 div 0``), ``x mod 0`` gives NaN; ``mod`` truncates
  like XPath.  ``round()`` rounds half away from zero.
* boolean(): ``""``, 0 and NaN are false; any other string or number is true.
* Results of :func:`evaluate` are ``str | float | bool | tuple[str, ...]``;
  use :func:`to_string` for display (``2.0`` -> ``"2"``).

Limits: at most 2000 characters, 100 levels of parentheses/calls and 200
levels of AST depth, so evaluation cannot hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from feedback.domain._expr_functions import (
    FUNCTIONS,
    BareName,
    Binary,
    Call,
    Current,
    Expr,
    ExpressionError,
    Negate,
    Number,
    Ref,
    Scope,
    String,
    Value,
    compile_regex,
    depth,
    evaluate_node,
    to_boolean,
    to_number,
    to_string,
    walk,
)
from feedback.domain._expr_tokens import Token, fail, tokenize

__all__ = [
    "Expr",
    "ExpressionError",
    "parse",
    "references",
    "bare_names",
    "uses_current",
    "evaluate",
    "is_true",
    "to_string",
    "to_number",
    "to_boolean",
]

MAX_LENGTH = 2000
MAX_NESTING = 100
MAX_DEPTH = 200

_LEVELS = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"), ("*", "div", "mod"))
_PRECEDENCE = {op: level for level, ops in enumerate(_LEVELS) for op in ops}  # XPath 1.0, low to high
_KEYWORDS = frozenset({"and", "or", "div", "mod"})


# ------------------------------------------------------------------ parser
class _Parser:
    """Precedence climbing with an explicit operator stack: a binary chain costs
    no recursion, so Python's stack grows only with parentheses and calls."""

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.nesting = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def is_op(self, value: str) -> bool:
        return self.token.kind == "op" and self.token.value == value

    def show(self, token: Token) -> str:
        source = self.text[token.start : token.end]
        return source if len(source) <= 30 else source[:27] + "..."

    def parse(self) -> Expr:
        expr = self.expression()
        token = self.token
        if token.kind == "eof":
            return expr
        hint = ""
        if token.kind == "name" and token.value.lower() in _KEYWORDS:
            hint = f"operators are lowercase: use '{token.value.lower()}'"
        elif token.kind != "op" or token.value == "(":
            hint = "is an operator such as '=' or 'and' missing before it?"
        raise fail(f"unexpected '{self.show(token)}'", token.start, self.text, hint)

    def binary_op(self) -> str | None:
        token = self.token
        if (token.kind == "op" and token.value in _PRECEDENCE) or (
            token.kind == "name" and token.value in _KEYWORDS
        ):
            return token.value
        return None

    def expression(self) -> Expr:
        operands = [self.unary()]
        ops: list[Token] = []
        while (op := self.binary_op()) is not None:
            while ops and _PRECEDENCE[ops[-1].value] >= _PRECEDENCE[op]:
                self.reduce(operands, ops)
            ops.append(self.advance())
            operands.append(self.unary())
        while ops:
            self.reduce(operands, ops)
        return operands[0]

    @staticmethod
    def reduce(operands: list[Expr], ops: list[Token]) -> None:
        right, left, op = operands.pop(), operands.pop(), ops.pop()
        operands.append(Binary(op.value, left, right, op.start))

    def unary(self) -> Expr:
        minuses = []
        while self.is_op("-"):
            minuses.append(self.advance())
        node = self.primary()
        for minus in reversed(minuses):
            node = Negate(node, minus.start)
        return node

    def primary(self) -> Expr:
        token = self.token
        if token.kind == "num":
            self.advance()
            return Number(float(token.value), token.start)
        if token.kind == "str":
            self.advance()
            return String(token.value, token.start)
        if token.kind == "ref":
            self.advance()
            return Ref(token.value, token.start)
        if token.kind == "dot":
            self.advance()
            return Current(token.start)
        if token.kind == "name" and token.value not in _KEYWORDS:
            following = self.tokens[self.index + 1]
            if following.kind == "op" and following.value == "(":
                return self.call()
            self.advance()
            return BareName(token.value, token.start)
        if self.is_op("("):
            self.enter(self.advance())
            expr = self.expression()
            self.close(token, "'('")
            return expr
        raise self.expected_expression(token)

    def expected_expression(self, token: Token) -> ExpressionError:
        if self.index == 0:
            return fail(f"unexpected '{self.show(token)}'", token.start, self.text)
        after = f"expected an expression after '{self.show(self.tokens[self.index - 1])}'"
        if token.kind != "eof":
            after += f" but found '{self.show(token)}'"
        return fail(after, token.start, self.text)

    def enter(self, opening: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise fail(f"too deeply nested (more than {MAX_NESTING} levels)", opening.start, self.text)

    def close(self, opening: Token, what: str, separator: str = "") -> None:
        if self.is_op(")"):
            self.advance()
            self.nesting -= 1
            return
        token = self.token
        if token.kind == "eof":
            raise fail(f"missing ')' to close the {what}", opening.start, self.text)
        expected = f"',' or ')' in {what}" if separator else "')'"
        raise fail(f"expected {expected} but found '{self.show(token)}'", token.start, self.text)

    def call(self) -> Call:
        name_token, opening = self.advance(), self.advance()
        name = name_token.value
        canonical = name.lower() if name.lower() in ("true", "false") else name
        function = FUNCTIONS.get(canonical)
        if function is None:
            raise fail(f"unknown function '{name}'", name_token.start, self.text)
        self.enter(opening)
        args: list[Expr] = []
        if not self.is_op(")"):
            args.append(self.expression())
            while self.is_op(","):
                self.advance()
                args.append(self.expression())
        self.close(opening, f"'{name}('", separator=",")
        low, high = function.min_args, function.max_args
        if len(args) < low or (high is not None and len(args) > high):
            wanted = f"at least {low}" if high is None else f"{low}" if low == high else f"{low} or {high}"
            plural = "" if wanted == "1" else "s"
            raise fail(
                f"function '{name}' takes {wanted} argument{plural} but got {len(args)}",
                name_token.start,
                self.text,
            )
        if canonical == "regex" and isinstance(args[1], String):
            try:
                compile_regex(args[1].value)
            except ExpressionError as exc:
                raise fail(exc.message, args[1].position, self.text) from None
        return Call(canonical, tuple(args), name_token.start)


def parse(text: str) -> Expr:
    """Parse an expression; raises only ExpressionError.  Results are cached."""
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be text, not {type(text).__name__}", None, "")
    return _parse(text)


@lru_cache(maxsize=4096)
def _parse(text: str) -> Expr:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is too long ({len(text)} characters; the limit is {MAX_LENGTH})",
            MAX_LENGTH,
            text,
        )
    start = len(text) - len(text.lstrip())
    if text.startswith("=", start) and not text.startswith("==", start):
        start += 1  # Excel habit: `=TRUE()`
    tokens = tokenize(text, start)
    if tokens[0].kind == "eof":
        raise ExpressionError("empty expression", 0, text)
    expr = _Parser(text, tokens).parse()
    if depth(expr) > MAX_DEPTH:
        raise ExpressionError(
            f"expression is too complex (more than {MAX_DEPTH} nested operations); "
            "split it into several calculations",
            0,
            text,
        )
    return expr


# ------------------------------------------------------------- public API
def _node(expr: Expr | str) -> Expr:
    node = parse(expr) if isinstance(expr, str) else expr
    if not isinstance(node, Expr):
        raise ExpressionError(f"not an expression: {type(expr).__name__}", None, "")
    return node


def references(expr: Expr | str) -> frozenset[str]:
    """The ``${name}``s an expression reads (for dependency checks)."""
    return frozenset(n.name for n in walk(_node(expr)) if isinstance(n, Ref))


def bare_names(expr: Expr | str) -> frozenset[str]:
    """Bare identifiers used: the choice columns a choice_filter reads."""
    return frozenset(n.name for n in walk(_node(expr)) if isinstance(n, BareName))


def uses_current(expr: Expr | str) -> bool:
    """Whether ``.`` appears (a constraint that inspects the answer itself)."""
    return any(isinstance(n, Current) for n in walk(_node(expr)))


def evaluate(
    expr: Expr | str,
    values: Mapping[str, object],
    current: object = None,
    choice: Mapping[str, object] | None = None,
) -> Value:
    """Evaluate against answers; ``current`` is ``.``, ``choice`` the choice row."""
    return evaluate_node(_node(expr), Scope(values if values is not None else {}, current, choice))


def is_true(
    expr: Expr | str,
    values: Mapping[str, object],
    current: object = None,
    choice: Mapping[str, object] | None = None,
) -> bool:
    """XPath boolean() of the result: what relevant/constraint/required need."""
    return to_boolean(evaluate(expr, values, current, choice))
