"""Load errors that say where the problem is: file, sheet (or YAML line), row and column.

Following pyxform, every message a user can cause is built here or from :class:`Problem`, so the
wording stays consistent and tests can match on it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or left out) in a definition, with its position."""

    message: str
    file: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    line: int | None = None
    name: str | None = None
    letter: str | None = None  # spreadsheet column letter, shown after the column's name

    def where(self) -> str:
        parts: list[str] = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'" + (f" ({self.letter})" if self.letter else ""))
        if self.name:
            parts.append(f"question '{self.name}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        head = self.file or "<definition>"
        return f"{head}: {where}: {self.message}" if where else f"{head}: {self.message}"


class InstrumentError(Exception):
    """A definition that cannot be loaded. ``problems`` lists every error found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
