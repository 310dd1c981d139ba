"""The CSV writer: one sheet to one UTF-8 file (with a byte-order mark, so Excel reads accents).

Safety as in :mod:`feedback.export.cells`: text that a spreadsheet would read as a formula gets a
leading single quote (OWASP's advice for CSV injection), control characters are removed, and
nothing is truncated (CSV has no cell limit). Numbers are written plainly, dates in ISO 8601,
timezone-aware datetimes in UTC.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from typing import IO

from .cells import csv_text
from .sheets import Sheet


def _value(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_csv(handle: IO[str], sheet: Sheet) -> int:
    """Write ``sheet`` (header then rows) to a text handle opened with ``newline=""``; returns
    the number of data rows written."""
    writer = csv.writer(handle)
    writer.writerow([_value(str(h)) for h in sheet.headers])
    count = 0
    for values in sheet.rows:
        writer.writerow([_value(v) for v in values])
        count += 1
    return count
