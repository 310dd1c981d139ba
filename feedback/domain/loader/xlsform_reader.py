"""Read an XLSForm workbook (.xlsx) into a :class:`RawDefinition`, keeping row numbers and columns.

Why not ``pyxform.xls2json_backends.xlsx_to_dict``: it returns the rows as dicts without their
spreadsheet positions or column letters, turns booleans into ``TRUE``/``FALSE`` and dates into
``str(datetime)``, and opens any file it is given. We therefore open the workbook ourselves with
openpyxl in read-only mode (streaming, so a sheet claiming 1,048,576 rows costs nothing) and reuse
pyxform's own header and row handling (``get_excel_column_headers``: stop after a run of empty
columns; ``get_excel_rows``: stop after a run of empty rows, keep blank rows inside the data so row
numbers stay true). Row numbers are the spreadsheet's, the header being row 1.

Uploaded workbooks are untrusted, so before openpyxl sees a file we check that it is a zip of
sane size (no zip bomb: the central directory's uncompressed sizes are what Python's zipfile
enforces when reading) and that no XML part declares a DOCTYPE (no entity expansion); openpyxl
parses with defusedxml as a second line of defence. Anything openpyxl still cannot read becomes
an :class:`InstrumentError`, never a traceback.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.xml import DEFUSEDXML
from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import get_excel_column_headers, get_excel_rows, is_empty

from .errors import InstrumentError, Problem
from .raw import (
    MAX_CHOICE_ROWS,
    MAX_SURVEY_ROWS,
    SURVEY_COLUMNS,
    TRANSLATABLE,
    RawDefinition,
    Row,
    cell_text,
    normalise_column,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100  # for members larger than LARGE_MEMBER; small XML parts compress very well
LARGE_MEMBER = 1024 * 1024
MAX_MEMBERS = 2000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_DOCTYPE = (b"<!DOCTYPE", b"<!ENTITY", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_XML_SUFFIXES = (".xml", ".rels", ".vml")
#: Sheets XLSForm defines that this tool does not read, with the reason shown to the author.
IGNORED_SHEETS = {
    "external_choices": "choices from external files are not supported",
    "entities": "entities (ODK Central datasets) are not supported",
    "osm": "OpenStreetMap questions are not supported",
    "columns": "not an XLSForm sheet this tool reads",
    "license": "not an XLSForm sheet this tool reads",
}
_MEDIA = ("image", "audio", "video", "media", "big-image")


def _refuse(file: str, message: str, **where: Any) -> InstrumentError:
    return InstrumentError([Problem(message, file=file, **where)])


def _check_container(path: Path, file: str) -> None:
    """Refuse what is not a plain, reasonably sized .xlsx before any XML parser sees it."""
    size = path.stat().st_size
    if size == 0:
        raise _refuse(file, "the file is empty")
    if size > MAX_FILE_BYTES:
        raise _refuse(file, f"the workbook is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    with path.open("rb") as handle:
        head = handle.read(8)
        if head == _OLE_MAGIC:
            if _ENCRYPTED in handle.read():
                raise _refuse(file, "the workbook is password-protected; save a copy without a password")
            raise _refuse(file, "this is an old Excel 97-2003 (.xls) workbook renamed .xlsx; "
                                "open it in Excel or LibreOffice and save it as .xlsx")
    if not head.startswith(b"PK"):
        raise _refuse(file, "not an Excel .xlsx workbook (the file is not a zip archive)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise _refuse(file, f"the workbook has more than {MAX_MEMBERS} parts; refused")
            total = sum(m.file_size for m in members)
            if total > MAX_UNCOMPRESSED_BYTES:
                raise _refuse(file, f"the workbook would unpack to {total // 1024 // 1024} MB, more than "
                                    f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB; refused (zip bomb?)")
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > LARGE_MEMBER and ratio > MAX_RATIO:
                    raise _refuse(file, f"part '{member.filename}' is compressed {ratio:.0f} to 1, more than "
                                        f"{MAX_RATIO} to 1; refused (zip bomb?)")
            for member in members:
                if member.filename.lower().endswith(_XML_SUFFIXES) and _declares_doctype(archive, member):
                    raise _refuse(file, f"part '{member.filename}' declares a DOCTYPE or XML entities, which "
                                        "Excel never writes; refused for safety")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            ValueError) as exc:
        raise _refuse(file, f"the workbook is damaged and cannot be opened ({exc})") from None


def _declares_doctype(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1024 * 1024):
            window = tail + chunk
            if any(marker in window for marker in _DOCTYPE):
                return True
            tail = window[-32:]
    return False


def _text(value: object) -> str:
    """A cell as text: 1.0 -> "1", dates -> ISO, booleans -> yes/no (as YAML gives them)."""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return cell_text(value).replace("\u00a0", " ").strip()  # pyxform replaces no-break spaces too


class _Cell:
    """What pyxform's row helper expects of a cell: a ``value``."""

    __slots__ = ("value",)

    def __init__(self, value: object):
        self.value = value


def _capped(
    rows: Iterable[tuple[Any, ...]], limit: int, sheet: str, file: str
) -> Iterator[tuple[_Cell, ...]]:
    """Feed rows to pyxform, refusing once a sheet has more than ``limit`` rows with content."""
    count = 0
    for number, values in enumerate(rows, start=2):
        if any(not is_empty(v) for v in values):
            count += 1
            if count > limit:
                raise _refuse(file, f"the sheet has more than {limit:,} rows; split the instrument or "
                                    "remove unused rows", sheet=sheet, row=number)
        yield tuple(_Cell(v) for v in values)


def _read_sheet(worksheet: Any, sheet: str, file: str, limit: int) -> list[Row]:
    """Rows of one sheet, with normalised columns, author's headers and column letters."""
    worksheet.reset_dimensions()  # read-only mode trusts the stored size; some writers get it wrong
    first = next(worksheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    written = [_text(v) or None for v in first]
    headers: dict[str, str] = {}
    letters: dict[str, str] = {}
    problems: list[Problem] = []
    for index, header in enumerate(written):
        if header is None:
            continue
        column, letter = normalise_column(header), get_column_letter(index + 1)
        if column in headers:
            earlier = f"'{headers[column]}' ({letters[column]})"
            message = f"columns {earlier} and '{header}' ({letter}) are the same column"
            problems.append(Problem(message, file=file, sheet=sheet, row=1, column=header, letter=letter))
            continue
        headers[column], letters[column] = header, letter
    if problems:
        raise InstrumentError(problems)
    try:
        cleaned = get_excel_column_headers(written)
    except PyXFormError as exc:
        raise _refuse(file, str(exc), sheet=sheet, row=1) from None
    if not any(cleaned):
        if sheet != "survey":
            return []
        raise _refuse(file, "row 1 must name the columns (type, name, label, ...) but it is empty",
                      sheet=sheet, row=1)
    by_written = {h: normalise_column(h) for h in cleaned if h}
    values = worksheet.iter_rows(min_row=2, max_col=len(cleaned), values_only=True)
    data = get_excel_rows(cleaned, _capped(values, limit, sheet, file), lambda cell, *_: _text(cell.value))
    rows: list[Row] = []
    for offset, cells in enumerate(data):
        if cells:
            normalised = {by_written[k]: v for k, v in cells.items()}
            rows.append(Row(normalised, sheet=sheet, row=offset + 2, headers=headers, letters=letters))
    return rows


def _unused_columns(rows: list[Row], sheet: str, file: str) -> list[Problem]:
    """Survey columns we do not interpret (read_only, parameters, media, ...) and that hold a value."""
    if not rows:
        return []
    found: list[Problem] = []
    for column, header in rows[0].headers.items():
        base, _, lang = column.partition("::")
        if sheet == "survey":
            used = base in SURVEY_COLUMNS and not lang or base in TRANSLATABLE
        else:
            used = base not in _MEDIA and (not lang or base == "label")
        if used or not any(row.cells.get(column) for row in rows):
            continue
        found.append(Problem(f"column '{header}' ignored: this tool does not use it", file=file, sheet=sheet,
                             column=header, letter=rows[0].letters.get(column)))
    return found


def _read_workbook(workbook: Any, file: str) -> RawDefinition:
    sheets: dict[str, Any] = {}
    left_out: list[Problem] = []
    for title in workbook.sheetnames:
        key = title.strip().lower()
        sheet = workbook[title]
        if key in ("survey", "choices", "settings") and key not in sheets and hasattr(sheet, "iter_rows"):
            sheets[key] = sheet
            continue
        if hasattr(sheet, "iter_rows") and next(sheet.iter_rows(max_row=1, values_only=True), None) is None:
            continue  # an empty leftover sheet ("Sheet2") is not worth a message
        reason = IGNORED_SHEETS.get(key, "not an XLSForm sheet (survey, choices, settings)")
        left_out.append(Problem(f"sheet '{title}' ignored: {reason}", file=file, sheet=title))
    if "survey" not in sheets:
        found = ", ".join(f"'{name}'" for name in workbook.sheetnames) or "none"
        raise _refuse(file, f"the workbook has no 'survey' sheet (its sheets: {found})")
    survey = _read_sheet(sheets["survey"], "survey", file, MAX_SURVEY_ROWS)
    choices = _read_sheet(sheets["choices"], "choices", file, MAX_CHOICE_ROWS) if "choices" in sheets else []
    settings: dict[str, str] = {}
    if "settings" in sheets:
        settings_rows = _read_sheet(sheets["settings"], "settings", file, MAX_CHOICE_ROWS)
        if settings_rows:
            settings = dict(settings_rows[0].cells)
    left_out.extend(_unused_columns(survey, "survey", file))
    left_out.extend(_unused_columns(choices, "choices", file))
    return RawDefinition(file, "xlsform", settings, survey, choices, left_out=left_out)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def read_xlsform(path: Path) -> RawDefinition:
    """Read one workbook; raises :class:`InstrumentError` for anything that is not a usable .xlsx."""
    file = str(path)
    if not DEFUSEDXML:
        raise _refuse(file, "cannot read workbooks safely: defusedxml is not installed (or disabled)")
    _check_container(path, file)
    with path.open("rb") as handle:  # ours to close, even when openpyxl fails half-way through opening
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many types for damaged files; none may escape
            raise _refuse(file, f"the workbook is damaged and cannot be opened ({_reason(exc)})") from None
        try:
            return _read_workbook(workbook, file)
        except InstrumentError:
            raise
        except Exception as exc:  # as above: a damaged sheet part surfaces only when it is streamed
            raise _refuse(file, f"the workbook is damaged and cannot be read ({_reason(exc)})") from None
        finally:
            workbook.close()
