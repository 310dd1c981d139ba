"""The tokenizer of :mod:`feedback.domain.expressions`: XLSForm expression text into tokens.

Kept apart from the parser because this is where real forms' sloppiness is absorbed
(typographic quotes, ``jr:`` prefixes, hyphenated names) and where the first error messages are
made: each says what was found and at which character, with a hint for the usual slips
(``==``, ``&&``, ``/``). Raises only :class:`ExpressionError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedback.domain._expr_functions import ExpressionError

_REF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Hyphens/dots only between word characters, so `a-1` is one name (as in XPath)
# but `${a}-1` and `x - 1` are subtractions; an optional prefix catches `jr:foo`.
_NAME = re.compile(r"[A-Za-z_]\w*(?:[-.]\w+)*(?::[A-Za-z_]\w*(?:[-.]\w+)*)?", re.ASCII)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
# Real forms contain typographic quotes; either curly mark of a pair closes it.
_QUOTES = (
    {"'": "'", '"': '"'}
    | dict.fromkeys("\u2018\u2019", "\u2018\u2019")
    | dict.fromkeys("\u201c\u201d", "\u201c\u201d")
)
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "(", ")", ",")
_HINTS = {
    "==": "use '=' to compare",
    "<>": "use '!=' for 'not equal'",
    "&&": "use 'and'",
    "||": "use 'or'",
    "/": "use 'div' to divide and ${name} for questions",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num str ref dot name op eof
    value: str
    start: int
    end: int


def _at(position: int, text: str) -> str:
    return "at the end" if position >= len(text) else f"at character {position + 1}"


def fail(message: str, position: int, text: str, hint: str = "") -> ExpressionError:
    """The error to raise, saying where ("at character 7", "at the end"): the parser uses it too."""
    suffix = f" ({hint})" if hint else ""
    return ExpressionError(f"{message} {_at(position, text)}{suffix}", position, text)


def _show(char: str) -> str:
    return f"'{char}'" if char.isprintable() else f"U+{ord(char):04X}"


def tokenize(text: str, start: int) -> list[Token]:
    """Tokens of ``text`` from ``start`` (past a leading Excel ``=``), ending with an ``eof``."""
    tokens: list[Token] = []
    i, n = start, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif text.startswith("${", i):
            name = _REF_NAME.match(text, i + 2)
            end = name.end() if name else i + 2
            if end < n and text[end] == "}" and name:
                tokens.append(Token("ref", name.group(), i, end + 1))
                i = end + 1
            elif not name:
                empty = text.startswith("}", end)
                message = "empty reference '${}'" if empty else "expected a question name after '${'"
                raise fail(message, i, text)
            else:
                raise fail(f"missing '}}' to close '${{{name.group()}'", i, text)
        elif char in _QUOTES:
            close = min((p for p in (text.find(q, i + 1) for q in _QUOTES[char]) if p >= 0), default=-1)
            if close < 0:
                raise fail("unterminated string starting", i, text)
            tokens.append(Token("str", text[i + 1 : close], i, close + 1))
            i = close + 1
        elif number := _NUMBER.match(text, i):
            tokens.append(Token("num", number.group(), i, number.end()))
            i = number.end()
        elif char == ".":
            if text.startswith("..", i):
                raise fail("'..' (parent path) is not supported; use ${name}", i, text)
            tokens.append(Token("dot", ".", i, i + 1))
            i += 1
        elif name := _NAME.match(text, i):
            tokens.append(Token("name", name.group(), i, name.end()))
            i = name.end()
        else:
            for key, hint in _HINTS.items():
                if text.startswith(key, i):
                    raise fail(f"unexpected '{key}'", i, text, hint)
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise fail(f"unexpected character {_show(char)}", i, text)
            tokens.append(Token("op", op, i, i + len(op)))
            i += len(op)
    tokens.append(Token("eof", "", n, n))
    return tokens
