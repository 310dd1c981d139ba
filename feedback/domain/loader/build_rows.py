"""What every stage of the build shares: the result it fills, the row-level checks and messages.

:class:`RowBuilder` turns a row's cells into texts and translations and records problems with
the file, sheet, row and column they are in; the stages (settings and choices in :mod:`.build`,
the survey's items in :mod:`.build_survey`) build on it, so every message is placed the same way.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ..instrument import Instrument
from .errors import Problem
from .raw import TRANSLATABLE, RawDefinition, Row

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
TRUE = {"yes", "true", "1", "true()", "y"}
FALSE = {"no", "false", "0", "false()", "n", ""}
MEDIA = ("image", "audio", "video", "media", "big-image")


@dataclass
class BuildResult:
    instrument: Instrument | None
    problems: list[Problem] = field(default_factory=list)
    left_out: list[Problem] = field(default_factory=list)
    rows_by_name: dict[str, Row] = field(default_factory=dict)
    left_out_names: dict[str, str] = field(default_factory=dict)  # name -> reason


class RowBuilder:
    """The state of one build and the helpers its stages share (see the module docstring)."""

    def __init__(self, raw: RawDefinition, lenient: bool):
        self.raw = raw
        self.lenient = lenient
        self.file = raw.source
        self.result = BuildResult(None)
        self.languages: list[str] = []
        self.default_language = raw.settings.get("default_language", "").strip()
        self.used_plain = False

    # -- helpers -----------------------------------------------------------------------------
    def error(self, row: Row | None, message: str, column: str | None = None) -> None:
        if row is None:  # a setting: name the key, and its line in a YAML file
            line = self.raw.settings_lines.get(column) if column else None
            self.result.problems.append(
                Problem(message, file=self.file, sheet="settings", column=column, line=line)
            )
        else:
            self.result.problems.append(row.problem(message, column, self.file))

    def leave_out(self, row: Row, message: str, column: str | None = None) -> None:
        self.result.left_out.append(row.problem(message, column, self.file))

    def _texts(self, row: Row) -> tuple[dict[str, str], tuple[tuple[str, str, str], ...]]:
        """Default texts per translatable column, and the translations beside them."""
        plain: dict[str, str] = {}
        translated: list[tuple[str, str, str]] = []
        for column, value in row.cells.items():
            base, _, lang = column.partition("::")
            if base in TRANSLATABLE and not lang:
                plain[base] = value.strip()
            elif base in TRANSLATABLE and lang and value.strip():
                if lang not in self.languages:
                    self.languages.append(lang)
                translated.append((base, lang, value.strip()))
        default_lang = self.default_language or (self.languages[0] if self.languages else "")
        for base, lang, text in translated:
            if not plain.get(base) and lang == default_lang:
                plain[base] = text
        for base, _lang, text in translated:  # no default-language text at all: take the first
            if not plain.get(base):
                plain[base] = text
        if plain.get("label") and "label" in row.cells and row.cells["label"].strip():
            self.used_plain = True
        keep = tuple(t for t in translated if not (t[1] == default_lang and plain.get(t[0]) == t[2]))
        return plain, keep

    def _check_columns(self, row: Row, known: tuple[str, ...]) -> None:
        if self.raw.format != "yaml":
            return  # XLSForm workbooks carry other tools' columns; they are ignored, as pyxform does
        for column in row.cells:
            base = column.partition("::")[0]
            if base in known or base in TRANSLATABLE or base in MEDIA:
                continue
            if row.sheet == "choices":
                continue  # extra choice columns are what choice_filter reads
            guess = difflib.get_close_matches(column, known, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            self.error(row, f"unknown column '{row.headers.get(column, column)}'{hint}", column)
