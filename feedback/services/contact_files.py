"""Reading an uploaded contact list into rows of text, safely: limits, encodings, control characters.

Contact lists come from anyone with an evaluator's login, so the file is untrusted. It gets the
same limits as an uploaded instrument (the container checks of
:mod:`feedback.domain.loader.xlsform_reader`: file size, unpacked size, compression ratio, no
DOCTYPE), plus its own: at most :data:`MAX_CONTACT_ROWS` contacts, :data:`MAX_COLUMNS` columns
and :data:`MAX_VALUES` filled cells (which bound the database work that follows), and
:data:`MAX_SECONDS` of reading. Each limit stops the read at once with a message
that says what the limit is, so a 66 KB zip bomb or a 50,000-row list answers in a second instead
of holding a web worker until it is killed.

What is read is also made storable: characters XML 1.0 forbids (NUL and the other C0 controls
except tab and line breaks) cannot go into a workbook, so they are removed here and counted,
and the mail merge never meets them. A CSV is read as UTF-8 when it is; a row that is not valid
UTF-8 is read as Windows-1252 (what Excel on Windows writes) with a warning naming the row, so a
file that mixes the two keeps "Zoë" in both kinds of row and says which rows to check.

Messages name ``source``, the file name the user knows, never a server path.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.loader.errors import InstrumentError
from ..domain.loader.xlsform_reader import MAX_FILE_BYTES, _check_container

#: Contacts (rows with content, the header not counted) one file may hold.
MAX_CONTACT_ROWS = 20_000
#: Row elements a worksheet may hold, blank ones included: counted in the raw XML before openpyxl
#: opens the workbook, because opening a sheet without a stated size parses all of it.
MAX_SHEET_ROWS = 5 * MAX_CONTACT_ROWS
#: Columns one file may have (each column past email, id, name and organisation is an attribute).
MAX_COLUMNS = 100
#: Filled cells one file may have: each becomes a stored value, so this bounds the database work
#: (20,000 contacts with 20 columns; about five seconds of inserts on SQLite).
MAX_VALUES = 400_000
#: Seconds reading and checking a file may take before it is refused (a web worker has 30).
MAX_SECONDS = 10.0
#: Rows a message lists before it summarises the rest.
MAX_LISTED = 20

# XML 1.0 forbids these (openpyxl raises IllegalCharacterError on the C0 ones); tab, LF, CR are fine.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_clock = time.monotonic  # the tests replace it to simulate a slow file


class ContactImportError(ValueError):
    """The file cannot be imported; ``problems`` lists the reasons (summarised past
    :data:`MAX_LISTED` rows), each naming its row."""

    def __init__(self, source: str, problems: Sequence[str]):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(self.problems))


@dataclass
class Table:
    """A file's rows as text (header first), and what reading it changed or could not be sure of."""

    rows: list[list[str]]
    warnings: list[str] = field(default_factory=list)
    cleaned: int = 0  # values from which control characters were removed


class Deadline:
    """Refuses, naming the row reached, once :data:`MAX_SECONDS` have passed since it was made."""

    def __init__(self, source: str, seconds: float | None = None):
        self.source = source
        self.seconds = MAX_SECONDS if seconds is None else seconds
        self.end = _clock() + self.seconds

    def check(self, row: int) -> None:
        if _clock() > self.end:
            raise ContactImportError(
                self.source,
                [f"reading stopped at row {row:,}: the file took longer than {self.seconds:.0f} seconds to "
                 "read; split it into smaller lists and import each"],
            )  # fmt: skip


def summarise(problems: Sequence[str], limit: int = MAX_LISTED) -> list[str]:
    """At most ``limit`` problems, headed by how many there are when some are left out."""
    if len(problems) <= limit:
        return list(problems)
    return [f"{len(problems):,} rows with problems; the first {limit}:", *problems[:limit]]


def rows_text(numbers: Sequence[int], limit: int = MAX_LISTED) -> str:
    """Row numbers as a message gives them: "row 3", "rows 3 and 7", "25 rows (2, 3, ... and 5 more)"."""
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    if len(numbers) <= limit:
        return f"rows {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"
    shown = ", ".join(map(str, numbers[:limit]))
    return f"{len(numbers):,} rows ({shown} and {len(numbers) - limit:,} more)"


def _too_many_rows(
    source: str, found: str = f"more than {MAX_CONTACT_ROWS:,} contacts"
) -> ContactImportError:
    return ContactImportError(
        source,
        [f"too many rows (limit {MAX_CONTACT_ROWS:,}): the list has {found}; split it into smaller files "
         "and import each"],
    )  # fmt: skip


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id typed as 1042 in Excel arrives as 1042.0
    return str(value).strip()


def _limited(rows: Iterable[Sequence[object]], source: str, deadline: Deadline) -> Iterator[list[str]]:
    """Rows as text, refusing a header wider than :data:`MAX_COLUMNS`, more than
    :data:`MAX_CONTACT_ROWS` rows with content or :data:`MAX_VALUES` filled cells, or reading past
    the deadline. Cells right of the header are dropped: nothing reads them."""
    width = 0
    contacts = 0
    filled = 0
    for number, values in enumerate(rows, start=1):
        deadline.check(number)
        if number == 1:
            header = [_cell(v) for v in values]
            while header and not header[-1]:
                header.pop()
            if len(header) > MAX_COLUMNS:
                raise ContactImportError(
                    source, [f"row 1: {len(header):,} columns, more than the limit of {MAX_COLUMNS}"]
                )
            width = len(header)
            yield header
            continue
        cells = [_cell(v) for v in values[:width]]
        if any(cells):
            contacts += 1
            filled += sum(1 for c in cells if c)
            if contacts > MAX_CONTACT_ROWS:
                raise _too_many_rows(source)
            if filled > MAX_VALUES:
                raise ContactImportError(
                    source,
                    [f"too many values (limit {MAX_VALUES:,} filled cells): reached at row {number:,}; "
                     "remove the columns you do not need, or split the list"],
                )  # fmt: skip
        yield cells


def _clean(rows: list[list[str]]) -> tuple[int, list[str]]:
    """Remove XML-illegal characters in place; return how many values changed and the warning."""
    changed_rows: list[int] = []
    cleaned = 0
    for number, cells in enumerate(rows, start=1):
        dirty = 0
        for index, value in enumerate(cells):
            if _ILLEGAL.search(value):
                cells[index] = _ILLEGAL.sub("", value).strip()
                dirty += 1
        if dirty:
            cleaned += dirty
            changed_rows.append(number)
    if not cleaned:
        return 0, []
    values = "1 value" if cleaned == 1 else f"{cleaned:,} values"
    return cleaned, [
        f"{values} held control characters (such as NUL) that a workbook cannot store: removed "
        f"({rows_text(changed_rows)}); check the original file"
    ]


# --- .xlsx ------------------------------------------------------------------------------------


def _reason(exc: BaseException, path: Path, source: str) -> str:
    """An exception's first line without the server's path: openpyxl's "could not read worksheets
    from <path>" and an OSError both name the file they failed on."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return text.replace(str(path), source).replace(str(path.parent), "")


def _count_sheet_rows(path: Path, source: str, deadline: Deadline) -> None:
    """Refuse a worksheet with more than :data:`MAX_SHEET_ROWS` ``<row>`` elements, counted in the
    raw XML (a fraction of a second for the largest workbook the container check lets through;
    openpyxl would spend seconds opening it). Only called after the container check."""
    with zipfile.ZipFile(path) as archive:
        for member in archive.infolist():
            name = member.filename.lower()
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            count, tail = 0, b""
            with archive.open(member) as stream:
                while chunk := stream.read(1024 * 1024):
                    deadline.check(count)
                    window = tail + chunk
                    cut = window.rfind(b"<")  # a tag starting there may end in the next chunk
                    cut = len(window) if cut < 0 else cut
                    count += len(_ROW_TAG.findall(window, 0, cut))
                    tail = window[cut:][-256:]
                count += len(_ROW_TAG.findall(tail))
            if count > MAX_SHEET_ROWS:
                raise _too_many_rows(source, f"{count:,} rows in sheet part '{member.filename}'")


def _read_xlsx(path: Path, source: str, deadline: Deadline) -> list[list[str]]:
    try:
        _check_container(path, source)  # size, unpacked size, compression ratio, DOCTYPE: refused first
    except InstrumentError as exc:
        raise ContactImportError(source, [p.message for p in exc.problems]) from None
    _count_sheet_rows(path, source, deadline)
    from openpyxl import load_workbook

    with path.open("rb") as handle:  # ours to close, even when openpyxl fails half-way through opening
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True, keep_links=False)
        except Exception as exc:  # openpyxl raises many types for a damaged file; none may escape
            raise ContactImportError(
                source, [f"not a readable .xlsx workbook ({_reason(exc, path, source)})"]
            ) from None
        try:
            if not workbook.worksheets:
                raise ContactImportError(source, ["the workbook has no worksheet to read"])
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # read-only mode trusts the stored size; a hostile one pads every row
            return list(_limited(sheet.iter_rows(values_only=True), source, deadline))
        except ContactImportError:
            raise
        except Exception as exc:  # a damaged sheet part surfaces only when it is streamed
            raise ContactImportError(
                source, [f"the workbook is damaged and cannot be read ({_reason(exc, path, source)})"]
            ) from None
        finally:
            workbook.close()


# --- .csv -------------------------------------------------------------------------------------


def _decode(raw: bytes, source: str) -> tuple[str, set[int]]:
    """The text, and the physical lines (1-based) that were not UTF-8 and were read as
    Windows-1252. UTF-8 is decided line by line: a multi-byte UTF-8 sequence never holds a line
    break byte, so a line is valid UTF-8 or not on its own."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return raw.decode("utf-16"), set()
        except UnicodeDecodeError:
            raise ContactImportError(source, ["the file starts as UTF-16 but is not valid UTF-16"]) from None
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        return raw.decode("utf-8"), set()
    except UnicodeDecodeError:
        pass
    lines: list[str] = []
    windows: set[int] = set()
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))  # 5 bytes are undefined in cp1252
            windows.add(number)
    return "".join(lines), windows


def _read_csv(path: Path, source: str, deadline: Deadline) -> tuple[list[list[str]], list[str]]:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ContactImportError(source, [f"the file is larger than {MAX_FILE_BYTES // 1024 // 1024} MB"])
    text, windows = _decode(path.read_bytes(), source)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    spans: list[tuple[int, int]] = []  # the physical lines of each record, for the encoding warning

    def records() -> Iterator[list[str]]:
        first = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ContactImportError(
                    source, [f"row {len(spans) + 1}: not readable as CSV ({exc})"]
                ) from None
            spans.append((first, reader.line_num))
            first = reader.line_num + 1
            yield record

    rows = list(_limited(records(), source, deadline))
    return rows, _encoding_warning(rows, spans, windows)


def _encoding_warning(rows: list[list[str]], spans: list[tuple[int, int]], windows: set[int]) -> list[str]:
    """Which rows were read as Windows-1252 (and, in a mixed file, which as UTF-8), with a name to
    check: the reader decides per row, the user is the one who knows the names."""
    if not windows:
        return []
    as_windows, as_utf8 = [], []
    for number, (first, last) in enumerate(spans[: len(rows)], start=1):
        if any(line in windows for line in range(first, last + 1)):
            as_windows.append(number)
        elif any(not cell.isascii() for cell in rows[number - 1]):
            as_utf8.append(number)
    if not as_windows:
        return []
    verb = "is" if len(as_windows) == 1 else "are"
    message = f"{rows_text(as_windows)} {verb} not UTF-8: read as Windows-1252"
    sample = next((c for n in as_windows for c in rows[n - 1] if not c.isascii()), "")
    if sample:
        message += f"; check names such as '{sample[:60]}'"
    if as_utf8:
        verb = "is" if len(as_utf8) == 1 else "are"
        message += f" ({rows_text(as_utf8)} {verb} UTF-8 and read as such)"
    return [message]


# --- either -----------------------------------------------------------------------------------


def read_table(path: Path, source: str | None = None, deadline: Deadline | None = None) -> Table:
    """The file's rows as text (header first), cleaned of control characters, with warnings.

    ``source`` is the name messages give the file (the upload's own name; the path by default).
    Raises :class:`ContactImportError` for a file that is not a readable .xlsx or .csv, or that
    breaks a limit (size, compression, rows, columns, time).
    """
    source = source or str(path)
    deadline = deadline or Deadline(source)
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix == ".xlsx":
        rows = _read_xlsx(path, source, deadline)
    elif suffix == ".csv":
        rows, warnings = _read_csv(path, source, deadline)
    else:
        raise ContactImportError(
            source, [f"expected a .xlsx or .csv file, found '{path.suffix or 'no suffix'}'"]
        )
    cleaned, cleaning = _clean(rows)
    return Table(rows, [*warnings, *cleaning], cleaned)
