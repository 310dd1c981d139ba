"""Reading SPSS and Stata files back the way an analyst's software would, for the statfiles tests.

pyreadstat reads with ``user_missing=True`` so the missing codes come back as stored (-8/-9 in
SPSS, "a"/"b" in Stata) instead of all turning into NaN; SPSS dates are read as numbers too,
because a missing code in a date variable would otherwise come back as a date in 1582.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat

SPSS_EPOCH = date(1582, 10, 14)
VALID_NAME = r"[A-Za-z][A-Za-z0-9_]*"


@dataclass
class Read:
    """One file read back: its rows as dicts, raw numbers for SPSS dates, and its metadata."""

    rows: list[dict[str, Any]]
    raw: pd.DataFrame
    meta: Any

    def column(self, name: str) -> list[Any]:
        return [row[name] for row in self.rows]

    def label(self, name: str) -> str:
        return self.meta.column_names_to_labels[name]

    def value_labels(self, name: str) -> dict[Any, str]:
        return self.meta.variable_value_labels.get(name, {})


def _plain(value: Any) -> Any:
    """NaN and NaT as None, numpy and pandas scalars as Python ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in record.items()} for record in frame.to_dict("records")]


def read_sav(path: Path) -> Read:
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    raw, _ = pyreadstat.read_sav(str(path), user_missing=True, disable_datetime_conversion=True)
    return Read(_rows(frame), raw, meta)


def read_dta(path: Path) -> Read:
    frame, meta = pyreadstat.read_dta(str(path), user_missing=True)
    return Read(_rows(frame), frame, meta)


def spss_days(value: date) -> float:
    """A date as SPSS stores it: seconds since 14 October 1582."""
    return float((value - SPSS_EPOCH).days * 86_400)
