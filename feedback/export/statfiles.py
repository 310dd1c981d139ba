"""SPSS (.sav) and Stata (.dta) writers: labelled variables in, one file out, through pyreadstat.

The caller (:mod:`feedback.services.stat_exports`) decides *what* is in the file: variables with
the name wanted, a label, a kind and one value per row, where a question the respondent was routed
past holds :data:`NOT_SHOWN` and one they saw but left blank holds :data:`NOT_ANSWERED`. This
module decides how each format stores that, and owns the formats' limits, as :mod:`.cells` does
for spreadsheets. Decisions (and why):

* **Two missing codes.** SPSS: numeric variables hold -8 (not shown) and -9 (not answered),
  declared user-missing (``missing_ranges``) and value-labelled, so SPSS, and R's haven with
  ``user_na = TRUE``, tell them apart and leave both out of statistics. If an answer in the file
  is itself -8 or -9, the whole file uses -98/-99 instead (then -998/-999, ...): the file's notes
  and every value label say which. Stata: the extended missing values ``.a`` (not shown) and
  ``.b`` (not answered), labelled. A variable that is no question (``response_id``...) has none.
* **Text variables** hold an empty string in both cases, in both formats: Stata strings have no
  missing values, and an SPSS string missing code would be a text someone could type. The
  distinction stays in the numeric variables and in the summary tables' counts.
* **Dates are dates**: SPSS ``SDATE10`` (yyyy/mm/dd, stored as seconds since 14 October 1582, so
  the missing codes fit beside them), Stata ``%td`` shown as ``CCYY-NN-DD``. Timestamps are UTC
  (``DATETIME20``, ``%tc``): neither format has time zones.
* **Names** are made valid and unique, ignoring case: ASCII letters, digits and ``_``, starting
  with a letter, never a reserved word; at most 64 bytes (SPSS) or 32 characters (Stata, a few
  fewer for variables with value labels: pyreadstat names each label set after its variable plus
  a counter, and Stata's label names have the same limit). A variable whose name had to change
  carries the name it stands for (the workbook's column) in brackets at the start of its label.
* **Labels** are cut, at a character boundary, to what the format holds: SPSS variable labels
  256 bytes, value labels 120 bytes, file label 64 bytes, note lines 80 characters; Stata
  variable and file labels 80 characters.
* **Text** loses NUL and the other control characters the workbook removes (a NUL would end the
  string inside readstat); everything else is kept exactly, formula-like text included (no
  program here evaluates it). Stata stores strings of 2,045 bytes or more as ``strL``. An SPSS
  string holds at most 32,767 bytes: a longer answer continues in ``NAME_p2``, ``NAME_p3``...
  ("part 2 of 3"), variables made only when some answer needs them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..domain.summary import MISSING_LABEL, NOT_SHOWN_LABEL
from .cells import clean
from .stat_names import SPSS_RESERVED, STATA_RESERVED, cut_bytes, unique_names

if TYPE_CHECKING:  # pandas and pyreadstat are imported when a file is written, not with the app
    import pandas as pd


class Missing(Enum):
    """Why a question has no answer in a row."""

    NOT_SHOWN = "not shown"
    NOT_ANSWERED = "not answered"


NOT_SHOWN = Missing.NOT_SHOWN
NOT_ANSWERED = Missing.NOT_ANSWERED
MISSING_LABELS = {
    NOT_SHOWN: NOT_SHOWN_LABEL,
    NOT_ANSWERED: f"{MISSING_LABEL} (shown, not answered)",
}
STATA_TAGS = {NOT_SHOWN: "a", NOT_ANSWERED: "b"}

#: code: a select_one's 1..k; flag: a select_multiple's 0/1 per choice.
Kind = Literal["code", "flag", "integer", "decimal", "date", "datetime", "text"]
NUMERIC_KINDS = frozenset({"code", "flag", "integer", "decimal"})

SPSS_NAME_BYTES = 64
SPSS_STRING_BYTES = 32_767
SPSS_LABEL_BYTES = 256
SPSS_VALUE_LABEL_BYTES = 120
SPSS_FILE_LABEL_BYTES = 64
SPSS_NOTE_WIDTH = 72  # a document line holds 80 characters; PSPP shows 76 before wrapping
STATA_NAME_CHARS = 32
STATA_LABEL_CHARS = 80
SPSS_EPOCH = date(1582, 10, 14)



@dataclass(frozen=True)
class Variable:
    """One column of the file. ``values`` has one entry per row: the value, None (nothing to
    say: system-missing) or a :class:`Missing`. ``source`` is the workbook column it mirrors
    (``activities/rise``) when that differs from ``name``; ``detail`` ends the label (a choice's
    label after its question's) and is the part kept whole when the label must be shortened."""

    name: str
    label: str
    kind: Kind
    values: Sequence[object]
    value_labels: Mapping[int, str] = field(default_factory=dict)
    source: str = ""
    user_missing: bool = True
    detail: str = ""

    @property
    def original(self) -> str:
        return self.source or self.name


@dataclass(frozen=True)
class Dataset:
    label: str
    variables: Sequence[Variable]
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class StatReport:
    """What was written: rows, the name of each source column in the file, and how many answers
    continued in part variables (SPSS only)."""

    rows: int
    names: dict[str, str]
    split_texts: int = 0


# ----------------------------------------------------------------------------- shared rules
def _text(value: object) -> str:
    return "" if value is None or isinstance(value, Missing) else clean(str(value))


def fit_label(variable: Variable, name: str, limit: int, in_bytes: bool = False) -> str:
    """The variable label within ``limit`` characters (or UTF-8 bytes): ``[source]`` first when
    the name had to change, then the label, then the ``detail`` (a choice), kept whole by
    shortening the label before it, with an ellipsis."""
    size: Callable[[str], int] = (lambda text: len(text.encode("utf-8"))) if in_bytes else len
    cut: Callable[[str, int], str] = cut_bytes if in_bytes else (lambda text, n: text[:n])
    head = "" if name == variable.name else f"[{variable.original}] "
    body = clean(variable.label or variable.original)
    tail = f": {clean(variable.detail)}" if variable.detail else ""
    whole = head + body + tail
    if size(whole) <= limit:
        return whole
    room = limit - size(head) - size(tail) - size("…")
    return cut(whole, limit) if room <= 0 else head + cut(body, room) + "…" + tail


def _number(value: object) -> float | None:
    """A numeric answer as a float; None for nothing (or a legacy text that is no number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _datetimes(values: Sequence[object]) -> pd.Series:
    """Timestamps as naive UTC (neither format has time zones); anything else as NaT."""
    import pandas as pd

    utc = [
        (v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v) if isinstance(v, datetime) else None
        for v in values
    ]
    return pd.Series(utc, dtype="datetime64[us]")


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _decimals(values: Sequence[object]) -> int:
    """Decimal places to show (at most 6): the most any answer has."""
    texts = [repr(n) for n in map(_number, values) if n is not None and not n.is_integer()]
    return min(6, max((len(t.split(".")[1]) for t in texts if "e" not in t), default=0))


# ----------------------------------------------------------------------------- SPSS
def spss_codes(variables: Sequence[Variable]) -> dict[Missing, int]:
    """-8/-9, or -98/-99, -998/-999... when an answer in a numeric question is one of them."""
    used = {
        _number(v) for var in variables if var.user_missing and var.kind in NUMERIC_KINDS for v in var.values
    }
    shown, blank = -8, -9
    while shown in used or blank in used:
        shown, blank = shown * 10 - 18, blank * 10 - 9
    return {NOT_SHOWN: shown, NOT_ANSWERED: blank}


def _split_long_texts(variables: Sequence[Variable]) -> tuple[list[Variable], int]:
    """Text variables with answers over 32,767 bytes continue in ``NAME_p2``... (see above)."""
    out: list[Variable] = []
    split = 0
    for variable in variables:
        if variable.kind != "text":
            out.append(variable)
            continue
        texts = [_text(v) for v in variable.values]
        parts = [_parts(t) for t in texts]
        count = max((len(p) for p in parts), default=1)
        if count == 1:
            out.append(replace(variable, values=texts))
            continue
        split += sum(1 for p in parts if len(p) > 1)
        for index in range(count):
            values = [p[index] if index < len(p) else "" for p in parts]
            if index == 0:
                out.append(replace(variable, values=values))
                continue
            name, detail = f"{variable.name}_p{index + 1}", f"part {index + 1} of {count}"
            out.append(replace(variable, name=name, values=values, source=name, detail=detail))
    return out, split


def _parts(text: str) -> list[str]:
    parts: list[str] = []
    while len(text.encode("utf-8")) > SPSS_STRING_BYTES:
        part = cut_bytes(text, SPSS_STRING_BYTES)
        parts.append(part)
        text = text[len(part) :]
    return [*parts, text]


def _spss_numbers(variable: Variable, codes: Mapping[Missing, int]) -> list[float]:
    """Numbers, the missing codes, NaN for nothing; dates as SPSS seconds since 14 Oct 1582."""

    def number(value: object) -> float | None:
        if variable.kind != "date":
            return _number(value)
        day = _date(value)
        return None if day is None else float((day - SPSS_EPOCH).days * 86_400)

    out = [float(codes[v]) if isinstance(v, Missing) else number(v) for v in variable.values]
    return [math.nan if v is None else v for v in out]


def _spss_format(variable: Variable) -> str:
    if variable.kind == "date":
        return "SDATE10"
    if variable.kind == "decimal":
        places = _decimals(variable.values)
        return f"F{max(12, 8 + places)}.{places}"
    return "F12.0" if variable.kind == "integer" else "F8.0"


def write_sav(path: Path, dataset: Dataset) -> StatReport:
    """Write ``dataset`` as an SPSS system file (see the module docstring for the rules)."""
    import pandas as pd
    import pyreadstat

    codes = spss_codes(dataset.variables)
    variables, split = _split_long_texts(dataset.variables)
    names = unique_names([v.name for v in variables], [SPSS_NAME_BYTES] * len(variables), SPSS_RESERVED)
    columns: dict[str, Any] = {}
    labels: dict[str, str | None] = {}  # pyreadstat's type: None leaves a column unlabelled
    value_labels: dict[str, dict[int | float, str]] = {}
    missing: dict[str, list[Any]] = {}
    formats: dict[str, str] = {}
    measures: dict[str, str] = {}
    for variable, name in zip(variables, names, strict=True):
        labels[name] = fit_label(variable, name, SPSS_LABEL_BYTES, in_bytes=True)
        if variable.kind == "text":
            columns[name] = pd.Series(list(variable.values), dtype="str")
            measures[name] = "nominal"
            continue
        if variable.kind == "datetime":
            columns[name] = _datetimes(variable.values)
            formats[name], measures[name] = "DATETIME20", "scale"
            continue
        columns[name] = pd.Series(_spss_numbers(variable, codes), dtype="float64")
        formats[name] = _spss_format(variable)
        measures[name] = "nominal" if variable.kind in ("code", "flag") else "scale"
        wanted: dict[int | float, str] = {code: label for code, label in variable.value_labels.items()}
        if variable.user_missing:
            missing[name] = [codes[NOT_SHOWN], codes[NOT_ANSWERED]]
            wanted.update({codes[m]: label for m, label in MISSING_LABELS.items()})
        if wanted:
            value_labels[name] = {k: cut_bytes(clean(v), SPSS_VALUE_LABEL_BYTES) for k, v in wanted.items()}
    rules = (
        f"Missing codes in numeric variables, both declared missing: {codes[NOT_SHOWN]} = not shown "
        f"(the questionnaire's routing skipped the question), {codes[NOT_ANSWERED]} = not answered "
        "(shown, left blank). Text variables are empty in both cases."
    )
    renamed = [f"{name} = {v.original}" for v, name in zip(variables, names, strict=True) if name != v.name]
    notes = [line for note in (*dataset.notes, rules, *renamed) for line in _wrap(note)]
    pyreadstat.write_sav(
        pd.DataFrame(columns),
        str(path),
        file_label=cut_bytes(clean(dataset.label), SPSS_FILE_LABEL_BYTES),
        column_labels=labels,
        note=notes or None,
        variable_value_labels=value_labels,
        missing_ranges=missing,
        variable_measure=measures,
        variable_format=formats,
    )
    return StatReport(_rows(dataset), _mapping(variables, names), split)


def _wrap(note: str) -> list[str]:
    return textwrap.wrap(clean(note), SPSS_NOTE_WIDTH) or [""]


# ----------------------------------------------------------------------------- Stata
def _stata_values(variable: Variable) -> pd.Series:
    import pandas as pd

    convert: Callable[[object], object] = _number if variable.kind != "date" else _date
    return pd.Series(
        [STATA_TAGS[v] if isinstance(v, Missing) else convert(v) for v in variable.values], dtype=object
    )


def write_dta(path: Path, dataset: Dataset) -> StatReport:
    """Write ``dataset`` as a Stata 15 (.dta 119) file (see the module docstring for the rules)."""
    import pandas as pd
    import pyreadstat

    variables = list(dataset.variables)
    labelled = [
        v.kind not in ("text", "datetime") and bool(v.value_labels or v.user_missing) for v in variables
    ]
    counter = len(str(max(sum(labelled) - 1, 0)))
    limits = [STATA_NAME_CHARS - counter if has else STATA_NAME_CHARS for has in labelled]
    names = unique_names([v.name for v in variables], limits, STATA_RESERVED)
    columns: dict[str, Any] = {}
    labels: dict[str, str | None] = {}  # pyreadstat's type: None leaves a column unlabelled
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[str]] = {}
    formats: dict[str, str] = {}
    for variable, name, has_labels in zip(variables, names, labelled, strict=True):
        labels[name] = fit_label(variable, name, STATA_LABEL_CHARS)
        if variable.kind == "text":
            columns[name] = pd.Series([_text(v) for v in variable.values], dtype="str")
            continue
        if variable.kind == "datetime":
            columns[name] = _datetimes(variable.values)
            continue
        columns[name] = _stata_values(variable)
        if variable.kind == "date":
            formats[name] = "%tdCCYY-NN-DD"
        if not has_labels:  # no missing codes: a plain number column
            columns[name] = columns[name].astype("float64") if variable.kind != "date" else columns[name]
            continue
        wanted: dict[Any, str] = {k: clean(v) for k, v in variable.value_labels.items()}
        if variable.user_missing:
            missing[name] = list(STATA_TAGS.values())
            wanted.update({STATA_TAGS[m]: label for m, label in MISSING_LABELS.items()})
        value_labels[name] = wanted
    pyreadstat.write_dta(
        pd.DataFrame(columns),
        str(path),
        file_label=clean(dataset.label)[:STATA_LABEL_CHARS],
        column_labels=labels,
        variable_value_labels=value_labels,
        missing_user_values=missing,
        variable_format=formats,
    )
    return StatReport(_rows(dataset), _mapping(variables, names))


def _rows(dataset: Dataset) -> int:
    return len(dataset.variables[0].values) if dataset.variables else 0


def _mapping(variables: Sequence[Variable], names: Sequence[str]) -> dict[str, str]:
    return {v.original: name for v, name in zip(variables, names, strict=True)}
