"""The plain-dict stage of the pipeline: rows of cells with their positions, whatever the source.

YAML files and XLSForm workbooks are both read into a :class:`RawDefinition`; validation and
building only ever see this, which is why both formats give the same instrument.
Column names are normalised here (``list name`` -> ``list_name``, ``bind:relevant`` -> ``relevant``,
``label:English`` -> ``label::English``) so that the later stages know one spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import Problem

#: Rows a sheet (or YAML section) may hold, in either format: well above any real instrument, low
#: enough that reading, checking and reporting on every row stays within a request.
MAX_SURVEY_ROWS = 20_000
MAX_CHOICE_ROWS = 100_000

SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "choice_filter",
    "default",
    "calculation",
    "personal_data",
    "profile",
)
TRANSLATABLE = frozenset({"label", "hint", "constraint_message", "required_message"})
CHOICE_COLUMNS = ("list_name", "name", "label")
SETTINGS_KEYS = (
    "form_id",
    "form_title",
    "version",
    "kind",
    "project",
    "description",
    "default_language",
)

_ALIASES = {
    "list name": "list_name",
    "bind:relevant": "relevant",
    "bind::relevant": "relevant",
    "relevance": "relevant",
    "bind:constraint": "constraint",
    "bind::constraint": "constraint",
    "bind:required": "required",
    "bind::required": "required",
    "bind:calculate": "calculation",
    "bind::calculate": "calculation",
    "calculate": "calculation",
    "requiredmsg": "required_message",
    "bind:jr:requiredmsg": "required_message",
    "bind::jr:requiredmsg": "required_message",
    "bind:jr:constraintmsg": "constraint_message",
    "bind::jr:constraintmsg": "constraint_message",
    "constraint message": "constraint_message",
    "control:appearance": "appearance",
    "control::appearance": "appearance",
    "choice filter": "choice_filter",
    "default_value": "default",
}
_TRANSLATED = re.compile(r"^(?P<base>[a-z_:]+?)::?(?P<lang>[^:].*)$", re.IGNORECASE)


def normalise_column(header: str) -> str:
    """Return our one spelling of a column header; translations become ``column::Language``."""
    text = " ".join(str(header).split())
    lowered = text.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    if lowered in SURVEY_COLUMNS or lowered in CHOICE_COLUMNS or lowered in SETTINGS_KEYS:
        return lowered
    match = _TRANSLATED.match(text)
    if match:
        base = _ALIASES.get(match["base"].lower(), match["base"].lower()).replace("jr:", "")
        if base in TRANSLATABLE or base in ("image", "audio", "video", "media"):
            return f"{base}::{match['lang'].strip()}"
    return lowered.replace(" ", "_")


@dataclass
class Row:
    """One survey or choices row: normalised column -> cell text, plus where it came from."""

    cells: dict[str, str]
    sheet: str
    row: int
    line: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # normalised -> as written
    letters: dict[str, str] = field(default_factory=dict)  # normalised -> column letter (workbooks)

    def get(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def problem(self, message: str, column: str | None = None, file: str = "") -> Problem:
        if column and column not in self.headers and self.letters:
            # a workbook with only ``label::English (en)``: point at that column, not a missing 'label'
            column = next((c for c in self.headers if c.startswith(f"{column}::")), column)
        shown = self.headers.get(column, column) if column else None
        return Problem(
            message,
            file=file,
            sheet=self.sheet,
            row=self.row,
            column=shown,
            line=self.line,
            name=self.cells.get("name") or None,
            letter=self.letters.get(column) if column else None,
        )


@dataclass
class RawDefinition:
    """Everything read from one file, before any checking."""

    source: str
    format: str  # "yaml" or "xlsform"
    settings: dict[str, str]
    survey: list[Row]
    choices: list[Row]
    settings_lines: dict[str, int] = field(default_factory=dict)
    left_out: list[Problem] = field(default_factory=list)


def cell_text(value: object) -> str:
    """Cells arrive as str, int, float, bool or None; we keep text, as XLSForm does."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
