"""Instrument loading as one pipeline: read -> plain rows -> build -> validate.

``load_file`` is the single entry point the CLI, the staff upload page and the tests call, for
YAML and XLSForm alike (pyxform's ``convert`` is the model). It never writes anywhere: storing a
loaded instrument is the job of ``feedback.services.instruments``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..instrument import Instrument
from .build import build
from .errors import InstrumentError, Problem
from .raw import RawDefinition
from .validate import validate
from .yaml_reader import read_yaml

YAML_SUFFIXES = (".yaml", ".yml")
XLSFORM_SUFFIXES = (".xlsx",)
SUFFIXES = YAML_SUFFIXES + XLSFORM_SUFFIXES

__all__ = ["InstrumentError", "LoadedInstrument", "Problem", "find_files", "load_file", "load_raw"]


@dataclass(frozen=True)
class LoadedInstrument:
    """A checked instrument, where it came from, and what was left out of it (if anything)."""

    instrument: Instrument
    source: str
    left_out: list[Problem] = field(default_factory=list)


def read(path: Path) -> RawDefinition:
    """Stage one: the file's rows, whatever its format."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InstrumentError([Problem("file not found", file=str(path))])
    if suffix in YAML_SUFFIXES:
        return read_yaml(path)
    if suffix in XLSFORM_SUFFIXES:
        from .xlsform_reader import read_xlsform

        return read_xlsform(path)
    raise InstrumentError(
        [
            Problem(
                f"unsupported file type '{suffix or path.name}' (expected .yaml, .yml or .xlsx)",
                file=str(path),
            )
        ]
    )


def load_raw(raw: RawDefinition, *, lenient: bool | None = None) -> LoadedInstrument:
    """Stages two and three on rows already read (used by tests that declare forms inline)."""
    if lenient is None:
        lenient = raw.format != "yaml"
    result = build(raw, lenient=lenient)
    problems = list(result.problems)
    if not problems:
        problems.extend(validate(result, raw.source))
    if problems or result.instrument is None:
        # Refusing a workbook names what would have been left out too, so the author sees it all.
        raise InstrumentError([*problems, *raw.left_out, *result.left_out])
    return LoadedInstrument(result.instrument, raw.source, [*raw.left_out, *result.left_out])


def load_file(path: str | Path, *, lenient: bool | None = None) -> LoadedInstrument:
    """Load one YAML or XLSForm file. Raises :class:`InstrumentError` listing every problem."""
    path = Path(path)
    return load_raw(read(path), lenient=lenient)


def find_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders into the instrument files inside them, sorted, so loading is repeatable."""
    found: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found.extend(
                sorted(
                    p
                    for p in entry.rglob("*")
                    if p.suffix.lower() in SUFFIXES and p.is_file() and not p.name.startswith(("~$", "."))
                )
            )
        else:
            found.append(entry)
    return found
