"""Cell safety shared by the XLSX and CSV writers: what makes a cell dangerous, how it is defused.

Decisions (and why):

* **Formula injection.** A text cell whose first character, after any spaces, is ``=``, ``+``,
  ``-``, ``@``, a tab, a carriage return or a line feed could be taken for a formula by Excel or
  LibreOffice (on opening a CSV, or when someone edits the cell). Text that looks like an error
  value (``#N/A``...) would be stored as an error. In XLSX these cells are written as explicit
  text cells (``t="inlineStr"``) with the *quotePrefix* style, the flag Excel itself sets when a
  user types ``'=1+1``: the cell keeps exactly the characters the respondent typed, and stays text
  even when edited. In CSV there are no types, so the OWASP advice applies: a single quote is put
  in front (``'=1+1``). Text that already starts with quotes before a dangerous character gets one
  more, so the importer can always remove exactly one and get the original back.
* **Control characters** that XML 1.0 forbids (everything below U+0020 except tab, line feed and
  carriage return) would make the workbook unreadable; they are removed. Answers cannot contain
  them anyway (``domain.answers`` strips them on the way in); this protects against older data.
* **Long text.** Excel cells hold at most 32,767 characters and openpyxl silently truncates longer
  strings. The writer never lets that happen: a longer text keeps its start in the cell, followed
  by a visible note saying where the rest is, and the whole text is written, in pieces of at most
  32,767 characters, on a "Long text" sheet (see ``xlsx.py``). CSV has no limit and writes it whole.
* **Sheet names** lose the characters Excel refuses (``[]:*?/\\``), are cut to 31 characters and
  made unique.
"""

from __future__ import annotations

import re

MAX_CELL = 32_767
DANGEROUS_FIRST = frozenset("=+-@\t\r\n")
ERROR_VALUES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"}
)
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def clean(text: str) -> str:
    """Remove the control characters XML cannot hold (tab, CR and LF are kept)."""
    return ILLEGAL.sub("", text) if ILLEGAL.search(text) else text


def is_dangerous(text: str) -> bool:
    """Would a spreadsheet read this text as something other than text?"""
    if not text:
        return False
    first = text[0]
    if first in DANGEROUS_FIRST:
        return True
    if first == " ":
        stripped = text.lstrip(" ")
        return bool(stripped) and stripped[0] in DANGEROUS_FIRST
    if first == "#":
        return text.upper() in ERROR_VALUES
    return False


def csv_text(text: str) -> str:
    """A text value as it goes into a CSV cell: cleaned, and defused with a leading quote."""
    text = clean(text)
    if text.startswith("'") and is_dangerous(text.lstrip("'")) or is_dangerous(text):
        return "'" + text
    return text


def from_csv_text(text: str) -> str:
    """Undo :func:`csv_text`'s quote (used by the importer)."""
    if text.startswith("'") and is_dangerous(text[1:].lstrip("'")):
        return text[1:]
    return text


def continuation_note(sheet: str, row: int) -> str:
    return f" [... continued in full on sheet '{sheet}', row {row}]"


def split_text(text: str, size: int = MAX_CELL) -> list[str]:
    """Pieces of at most ``size`` characters that join back into ``text``."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique (case-insensitively, as Excel compares) sheet name; adds it to ``taken``."""
    base = _SHEET_BAD.sub(" ", name).strip().strip("'").strip() or "Sheet"
    base = base[:31]
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate
