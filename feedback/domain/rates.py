"""AAPOR outcome rates (response, cooperation, refusal, contact) from final disposition counts.

Evaluators quote these rates in reports that funders compare across programmes, so the tool must
compute them exactly as AAPOR's *Standard Definitions* do (see ``shared/reference/aapor.md``):
the formulas below match ropensci/outcomerate, leeper/responserates and queXS term for term.

Two rules matter more than the arithmetic:

* A rate whose denominator is zero is *undefined* and is reported as ``None`` ("undefined"), never
  as 0 -- a 0% response rate and "nobody was in the sample" are different findings.
* RR3, RR4, REF2 and CON2 depend on ``e`` (the estimated eligible share of the unknown-eligibility
  cases); a report must say which ``e`` was used, so :class:`RateReport` carries it and its source.

Arithmetic is done with :class:`fractions.Fraction` so that the published figure does not depend
on float rounding; floats are produced only at the end, for display.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import Literal

#: The eight final disposition symbols, in AAPOR's order (interviews, eligible non-interviews,
#: unknown eligibility, not eligible).
DISPOSITIONS: tuple[str, ...] = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")

#: Every rate this module computes, in the order reports list them.
RATE_NAMES: tuple[str, ...] = (
    "RR1", "RR2", "RR3", "RR4", "RR5", "RR6",
    "COOP1", "COOP2", "COOP3", "COOP4",
    "REF1", "REF2", "REF3",
    "CON1", "CON2", "CON3",
)  # fmt: skip

#: Rates whose denominator includes e(UH+UO): the e used must be stated next to them.
RATES_USING_E: frozenset[str] = frozenset({"RR3", "RR4", "REF2", "CON2"})

_ALL_UNKNOWN = "(I+P) + (R+NC+O) + (UH+UO)"
_E_UNKNOWN = "(I+P) + (R+NC+O) + e(UH+UO)"
_KNOWN = "(I+P) + (R+NC+O)"

#: Human-readable formula of each rate, for workbook notes and web pages.
RATE_DEFINITIONS: dict[str, str] = {
    "RR1": f"I / ({_ALL_UNKNOWN})",
    "RR2": f"(I+P) / ({_ALL_UNKNOWN})",
    "RR3": f"I / ({_E_UNKNOWN})",
    "RR4": f"(I+P) / ({_E_UNKNOWN})",
    "RR5": f"I / ({_KNOWN})",
    "RR6": f"(I+P) / ({_KNOWN})",
    "COOP1": "I / ((I+P) + R + O)",
    "COOP2": "(I+P) / ((I+P) + R + O)",
    "COOP3": "I / ((I+P) + R)",
    "COOP4": "(I+P) / ((I+P) + R)",
    "REF1": f"R / ({_ALL_UNKNOWN})",
    "REF2": f"R / ({_E_UNKNOWN})",
    "REF3": f"R / ({_KNOWN})",
    "CON1": f"((I+P) + R + O) / ({_ALL_UNKNOWN})",
    "CON2": f"((I+P) + R + O) / ({_E_UNKNOWN})",
    "CON3": f"((I+P) + R + O) / ({_KNOWN})",
}


@dataclass(frozen=True)
class DispositionCounts:
    """How many cases ended with each final disposition.

    Field names are the AAPOR symbols themselves so that code reads like the formulas.
    """

    I: int = 0  # noqa: E741 -- AAPOR's symbol for completes; renaming it would obscure the formulas
    P: int = 0
    R: int = 0
    NC: int = 0
    O: int = 0  # noqa: E741 -- AAPOR's symbol for other eligible non-interviews
    UH: int = 0
    UO: int = 0
    NE: int = 0

    def __post_init__(self) -> None:
        # Counts come from databases and spreadsheets; a negative or fractional count is a bug
        # upstream and would silently produce rates outside [0, 1].
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{f.name} must be an int, not {type(value).__name__}")
            if value < 0:
                raise ValueError(f"{f.name} must not be negative (got {value})")

    @classmethod
    def from_mapping(cls, m: Mapping[str, int]) -> DispositionCounts:
        """Build counts from ``{"I": 5, ...}``; missing codes count 0, unknown codes are an error.

        Unknown keys are rejected rather than ignored because a typo ("NR", "i") would otherwise
        drop cases from every denominator without anyone noticing.
        """
        unknown = sorted(str(k) for k in m if k not in DISPOSITIONS)
        if unknown:
            raise ValueError(
                f"unknown disposition code(s): {', '.join(unknown)}; expected {', '.join(DISPOSITIONS)}"
            )
        return cls(**{k: m[k] for k in DISPOSITIONS if k in m})

    @property
    def total(self) -> int:
        """Every case in the sample, including the not-eligible ones."""
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        """The counts keyed by code, in :data:`DISPOSITIONS` order."""
        return {code: getattr(self, code) for code in DISPOSITIONS}


def _default_e_exact(counts: DispositionCounts) -> Fraction | None:
    known_eligible = counts.I + counts.P + counts.R + counts.NC + counts.O
    denominator = known_eligible + counts.NE
    return Fraction(known_eligible, denominator) if denominator else None


def default_e(counts: DispositionCounts) -> float | None:
    """The AAPOR calculator's e: the eligible share among cases whose eligibility is known.

    ``e = (I+P+R+NC+O) / (I+P+R+NC+O+NE)``. ``None`` when no case has a known eligibility, since
    there is then nothing to estimate from.
    """
    exact = _default_e_exact(counts)
    return None if exact is None else float(exact)


def _exact_e(e: float | Fraction) -> Fraction:
    """Validate e and turn it into an exact fraction of what the evaluator typed.

    ``Fraction(str(e))`` rather than ``Fraction(e)`` so that 0.3 means 3/10, not the binary float
    nearest to it.
    """
    if isinstance(e, bool) or not isinstance(e, int | float | Fraction):
        raise TypeError(f"e must be a number, not {type(e).__name__}")
    if isinstance(e, float) and not math.isfinite(e):
        raise ValueError(f"e must be between 0 and 1 (got {e})")
    exact = e if isinstance(e, Fraction) else Fraction(str(e))
    if not 0 <= exact <= 1:
        raise ValueError(f"e must be between 0 and 1 (got {e})")
    return exact


def _ratio(numerator: int, denominator: Fraction | int) -> Fraction | None:
    return Fraction(numerator) / denominator if denominator else None


def _exact_rates(c: DispositionCounts, e: Fraction | None) -> dict[str, Fraction | None]:
    interviews = c.I + c.P
    eligible_non = c.R + c.NC + c.O
    unknown = c.UH + c.UO
    contacted = interviews + c.R + c.O
    all_cases = interviews + eligible_non + unknown
    known = interviews + eligible_non
    # With no unknown-eligibility cases the e term vanishes, so an undefined e does not matter.
    if unknown == 0:
        estimated: Fraction | None = Fraction(known)
    elif e is None:
        estimated = None
    else:
        estimated = known + e * unknown

    def with_e(numerator: int) -> Fraction | None:
        return None if estimated is None else _ratio(numerator, estimated)

    return {
        "RR1": _ratio(c.I, all_cases),
        "RR2": _ratio(interviews, all_cases),
        "RR3": with_e(c.I),
        "RR4": with_e(interviews),
        "RR5": _ratio(c.I, known),
        "RR6": _ratio(interviews, known),
        "COOP1": _ratio(c.I, interviews + c.R + c.O),
        "COOP2": _ratio(interviews, interviews + c.R + c.O),
        "COOP3": _ratio(c.I, interviews + c.R),
        "COOP4": _ratio(interviews, interviews + c.R),
        "REF1": _ratio(c.R, all_cases),
        "REF2": with_e(c.R),
        "REF3": _ratio(c.R, known),
        "CON1": _ratio(contacted, all_cases),
        "CON2": with_e(contacted),
        "CON3": _ratio(contacted, known),
    }


def _integer_terms(c: DispositionCounts) -> dict[str, tuple[int, int]]:
    """Numerator and denominator (as counts) of the rates whose base is a whole number of cases."""
    interviews = c.I + c.P
    known = interviews + c.R + c.NC + c.O
    all_cases = known + c.UH + c.UO
    contacted = interviews + c.R + c.O
    return {
        "RR1": (c.I, all_cases), "RR2": (interviews, all_cases),
        "RR5": (c.I, known), "RR6": (interviews, known),
        "COOP1": (c.I, contacted), "COOP2": (interviews, contacted),
        "COOP3": (c.I, interviews + c.R), "COOP4": (interviews, interviews + c.R),
        "REF1": (c.R, all_cases), "REF3": (c.R, known),
        "CON1": (contacted, all_cases), "CON3": (contacted, known),
    }  # fmt: skip


@dataclass(frozen=True)
class RateReport:
    """Every AAPOR rate for one set of counts, with the e that was used to get them.

    ``rates`` holds floats for display and export; ``exact`` holds the same values as fractions
    for tests and for anyone re-deriving a figure. ``None`` means undefined (zero denominator, or
    an e-based rate when e could not be determined).
    """

    counts: DispositionCounts
    e: float | None
    e_source: Literal["default", "set"]
    rates: dict[str, float | None]
    exact: dict[str, Fraction | None]
    e_exact: Fraction | None = None

    def formatted(self, name: str) -> str:
        """The rate as a report would print it, with its base where the base is a count of cases.

        Rates using e have a fractional base, so they are printed with the e instead.
        """
        value = self.rates[name]
        if name in RATES_USING_E:
            text = format_rate(value)
            return text if self.e is None else f"{text} (e = {self.e:.3f})"
        numerator, base = _integer_terms(self.counts)[name]
        return format_rate(value, numerator, base)


def compute_rates(counts: DispositionCounts, e: float | Fraction | None = None) -> RateReport:
    """Compute all sixteen AAPOR rates for ``counts``.

    ``e=None`` uses :func:`default_e` (reported as ``e_source="default"``); any other value must
    lie in [0, 1] and is reported as ``"set"``. If e is needed (there are UH/UO cases) but cannot
    be determined, RR3, RR4, REF2 and CON2 are ``None`` rather than a guess.
    """
    if e is None:
        e_exact = _default_e_exact(counts)
        source: Literal["default", "set"] = "default"
    else:
        e_exact = _exact_e(e)
        source = "set"
    exact = _exact_rates(counts, e_exact)
    return RateReport(
        counts=counts,
        e=None if e_exact is None else float(e_exact),
        e_source=source,
        rates={name: None if value is None else float(value) for name, value in exact.items()},
        exact=exact,
        e_exact=e_exact,
    )


def format_rate(value: float | None, numerator: int | None = None, base: int | None = None) -> str:
    """Format a rate as a percentage to one decimal place, e.g. ``"26.6% (189/710)"``.

    ``None`` prints as ``"undefined"`` so a zero denominator is never mistaken for 0%. The base is
    shown whenever it is known because a percentage of 7 people and of 700 are different claims;
    with only ``base`` the text is ``"26.6% (n=710)"``.
    """
    if value is None:
        return "undefined"
    text = f"{value * 100:.1f}%"
    if numerator is not None and base is None:
        raise ValueError("a numerator needs its base")
    if base is None:
        return text
    if numerator is None:
        return f"{text} (n={base})"
    return f"{text} ({numerator}/{base})"
