"""Variable names and byte-limited text for SPSS and Stata files (:mod:`.statfiles`).

Each format has its own rules: SPSS names up to 64 bytes, Stata up to 32 characters; both want
ASCII letters, digits and ``_``, a letter first, and no reserved word (Stata also refuses
``str1``…``str2045``, its type names). Names must be unique ignoring case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

SPSS_RESERVED = frozenset({"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"})
STATA_RESERVED = frozenset(
    {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_pi"}
    | {"_pred", "_rc", "_se", "_skip", "strl", "using", "with"}
)
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_]")
_STATA_STR = re.compile(r"str\d+")


def cut_bytes(text: str, limit: int) -> str:
    """The longest start of ``text`` that is at most ``limit`` bytes of UTF-8."""
    encoded = text.encode("utf-8")
    return text if len(encoded) <= limit else encoded[:limit].decode("utf-8", "ignore")


def _reserved(name: str, reserved: frozenset[str]) -> bool:
    lowered = name.lower()
    return lowered in reserved or (reserved is STATA_RESERVED and bool(_STATA_STR.fullmatch(lowered)))


def valid_name(wanted: str, limit: int, reserved: frozenset[str]) -> str:
    """``wanted`` as a name the format accepts (not yet made unique)."""
    ascii_name = unicodedata.normalize("NFKD", wanted).encode("ascii", "ignore").decode()
    name = _NOT_IN_NAME.sub("_", ascii_name)
    if not name[:1].isalpha():
        name = "v" + name
    if _reserved(name, reserved):
        name += "_"
    return name[:limit]


def unique_names(wanted: Sequence[str], limits: Sequence[int], reserved: frozenset[str]) -> list[str]:
    """Valid names, unique ignoring case, in order: a clash gets ``_2``, ``_3``... within the limit."""
    taken: set[str] = set()
    out: list[str] = []
    for name, limit in zip(wanted, limits, strict=True):
        base = valid_name(name, limit, reserved)
        candidate, number = base, 1
        while candidate.lower() in taken or _reserved(candidate, reserved):
            number += 1
            suffix = f"_{number}"
            candidate = base[: limit - len(suffix)] + suffix
        taken.add(candidate.lower())
        out.append(candidate)
    return out
