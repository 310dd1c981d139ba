"""Reading the ``type`` cell: XLSForm's many spellings down to our few types.

XLSForm has accumulated aliases over the years (``select one from yes_no``, ``select all that
apply``, ``begin group``); workbooks from KoboToolbox and ODK use all of them, so we accept them
here and nowhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..instrument import QUESTION_TYPES

_SELECT = re.compile(
    r"^(?P<kind>select_one|select one|select1|add select one prompt using"
    r"|select_multiple|select all that apply|select multiple|add select multiple prompt using)"
    r"(?:\s+from)?\s+(?P<list>\S+)(?P<other>\s+or_other|\s+or specify other)?$",
    re.IGNORECASE,
)
_SIMPLE_ALIASES = {
    "begin group": "begin_group",
    "begin_group": "begin_group",
    "end group": "end_group",
    "end_group": "end_group",
    "end repeat": "end_repeat",
    "end_repeat": "end_repeat",
    "end loop": "end_repeat",
    "end_loop": "end_repeat",
    "string": "text",
    "int": "integer",
    "q_note": "note",
    "phone number": "text",  # pyxform: a text input (it adds a digits-only constraint; we do not)
}
#: Types that exist in XLSForm but that this tool does not collect, with a reason users understand.
UNSUPPORTED_REASONS = {
    "geopoint": "locations are not collected",
    "gps": "locations are not collected",
    "geotrace": "locations are not collected",
    "geoshape": "locations are not collected",
    "image": "photos and files are not collected",
    "photo": "photos and files are not collected",
    "audio": "recordings are not collected",
    "video": "recordings are not collected",
    "file": "photos and files are not collected",
    "barcode": "barcodes are not collected",
    "time": "times of day are not supported (use text)",
    "datetime": "date-times are not supported (use date)",
    "deviceid": "device metadata is not collected",
    "imei": "device metadata is not collected",
    "simserial": "device metadata is not collected",
    "subscriberid": "device metadata is not collected",
    "phonenumber": "device metadata is not collected",
    "uri:deviceid": "device metadata is not collected",
    "username": "device metadata is not collected",
    "email": "device metadata is not collected",
    "audit": "device metadata is not collected",
    "acknowledge": "acknowledge questions are not supported",
    "range": "range questions are not supported",
    "rank": "rank questions are not supported",
    "osm": "OpenStreetMap questions are not supported",
    "hidden": "hidden questions are not supported",
    "begin_repeat": "repeats are not supported (one answer per question per response)",
    "select_one_from_file": "choices from external files are not supported",
    "select_multiple_from_file": "choices from external files are not supported",
    "select_one_external": "choices from external files are not supported",
    "phone": "'phone' is not a question type (use text or integer)",
}


@dataclass(frozen=True)
class ParsedType:
    type: str
    list_name: str | None = None
    or_other: bool = False


def parse_type(cell: str) -> ParsedType | None:
    """Return the type a cell names, ``ParsedType("unsupported:<word>")`` for a known type we do
    not collect, or None for a word that is no type at all."""
    text = " ".join(cell.split())
    lowered = text.lower()
    match = _SELECT.match(text)
    if match:
        kind = "select_one" if "one" in match["kind"].lower() or "1" in match["kind"] else "select_multiple"
        return ParsedType(kind, match["list"], bool(match["other"]))
    first = lowered.split(" ")[0] if lowered else ""
    if first in ("select_one_from_file", "select_multiple_from_file", "select_one_external"):
        return ParsedType(f"unsupported:{first}")
    if lowered in _SIMPLE_ALIASES:
        return ParsedType(_SIMPLE_ALIASES[lowered])
    if lowered.startswith(("begin repeat", "begin_repeat", "begin loop", "begin_loop")):
        return ParsedType("unsupported:begin_repeat")
    if lowered in QUESTION_TYPES:
        return ParsedType(lowered)
    if first in UNSUPPORTED_REASONS:  # also with a parameter, e.g. ``osm building_tags``, ``rank fruits``
        return ParsedType(f"unsupported:{first}")
    if lowered in ("select_one", "select_multiple", "select one", "select all that apply"):
        return ParsedType(lowered.replace(" ", "_").replace("all_that_apply", "multiple"))  # list missing
    return None
