"""Numbers from URLs and forms, checked against what the database can hold before any query.

An id the database cannot store cannot name a row, but handed to a query it fails there: SQLite
raises ``OverflowError`` past 64 bits and PostgreSQL refuses an ``integer`` parameter past 32
bits ("integer out of range"), each a 500. ``str.isdigit`` is no guard either: it accepts "²",
which ``int`` refuses, and "١٢", which ``int`` reads as 12. So every number a request carries is
read here: ASCII digits only, within the column's range, else ``None`` (the view answers 404 or
a form error). Routes use the ``id`` converter (``<id:case_id>``), which does the same for a
path and answers 404.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map

#: PostgreSQL ``integer``: users, projects, instruments, cases, contacts, themes, batches, waves.
INT_MAX = 2**31 - 1
#: PostgreSQL ``bigint`` and SQLite's INTEGER (``BigId``): responses, answers, audit entries.
BIGINT_MAX = 2**63 - 1


def whole_number(text: object, maximum: int = INT_MAX) -> int | None:
    """``text`` as a whole number from 0 to ``maximum``, or None for anything else.

    Surrounding spaces are allowed (a pasted number); signs, decimals and non-ASCII digits are not."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    value = int(text)
    return value if value <= maximum else None


def db_id(text: object, *, big: bool = False) -> int | None:
    """``text`` as a row id (1 or more, within an ``integer`` column, or ``bigint`` if ``big``)."""
    value = whole_number(text, BIGINT_MAX if big else INT_MAX)
    return value if value else None


class IdConverter(IntegerConverter):
    """``<id:name>``: a row id (or a 1-based page number) in the path; anything else is a 404.

    ``<id(big=True):name>`` for ids of ``bigint`` columns. The digits are ASCII, as
    :func:`db_id` asks (Werkzeug's ``int`` converter matches ``\\d``, which is any script's).

    Out of range is ``NotFound``, not Werkzeug's ``ValidationError``: the router checks methods
    before converting, so a ``ValidationError`` on a path served by a GET rule and a POST rule
    (``public.page`` and ``public.page_post``) would answer 405 for a page that is not there."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, big: bool = False) -> None:
        super().__init__(map, min=1, max=BIGINT_MAX if big else INT_MAX)
        self.big = big

    def to_python(self, value: str) -> int:
        number = db_id(value, big=self.big)
        if number is None:
            raise NotFound()
        return number


def init_app(app: Flask) -> None:
    """Register the converter; it must come before the blueprints whose routes use it."""
    app.url_map.converters["id"] = IdConverter
