"""The small amount of arithmetic behind the summary tables, kept apart so it can be checked alone.

Everything here is standard library only and works on counts that were already aggregated
elsewhere (SQL ``GROUP BY``); nothing here knows about questions or tables.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

#: Two-sided 95% normal quantile, to full precision so published intervals reproduce exactly.
Z_95 = 1.959963984540054


def check_count(name: str, value: int) -> int:
    """Reject negative or non-integer counts: they can only come from a bug upstream."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion, as fractions in [0, 1].

    Wilson rather than the textbook ``p ± z·se`` because evaluation samples are small and answers
    are often lopsided: the simple interval collapses to zero width at 0% or 100% and runs past
    the ends of [0, 1], while Wilson stays inside and keeps sensible coverage.

    Returns ``None`` when ``n == 0`` because there is no proportion to estimate, and callers
    should show a dash rather than a misleading ``0–100%``.
    """
    check_count("successes", successes)
    check_count("n", n)
    if successes > n:
        raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive finite number, got {z!r}")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # Exact ends at 0 and n (rounding otherwise gives e.g. 0.9999999999999999), and the bounds
    # are forced around p so a table never shows an estimate outside its own interval.
    low = 0.0 if successes == 0 else max(0.0, min(centre - half_width, p))
    high = 1.0 if successes == n else min(1.0, max(centre + half_width, p))
    return low, high


def percent_of(count: int, base: int) -> float | None:
    """``count`` as a percentage (0–100, unrounded) of ``base``; ``None`` when the base is empty.

    ``None`` and not ``0.0``: "0% of nobody" reads as a finding, whereas there is no finding.
    Rounding is left to presentation so that sums and re-derived figures stay exact.
    """
    check_count("count", count)
    check_count("base", base)
    if count > base:
        raise ValueError(f"count ({count}) cannot exceed its base ({base})")
    if base == 0:
        return None
    return count * 100 / base


@dataclass(frozen=True)
class PercentWithInterval:
    """A percentage and its 95% Wilson interval, all on the 0–100 scale (``None`` for base 0)."""

    percent: float | None
    ci_low: float | None
    ci_high: float | None


def percent_with_interval(count: int, base: int) -> PercentWithInterval:
    """Percentage plus interval, guaranteed ``ci_low <= percent <= ci_high`` after scaling."""
    percent = percent_of(count, base)
    interval = wilson_interval(count, base)
    if percent is None or interval is None:
        return PercentWithInterval(None, None, None)
    low, high = interval
    return PercentWithInterval(percent, min(low * 100, percent), max(high * 100, percent))


@dataclass(frozen=True)
class Description:
    """Count, mean, median, minimum and maximum of numeric answers (stats ``None`` when n is 0)."""

    n: int
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None


def describe(values: Sequence[float]) -> Description:
    """Describe raw numeric answers with :mod:`statistics`.

    Non-finite values are refused: a NaN silently poisons the mean and an infinity is never a
    real answer, so either means the data needs fixing before it reaches a report.
    """
    numbers = [float(v) for v in values]
    if any(not math.isfinite(v) for v in numbers):
        raise ValueError("values must be finite numbers")
    if not numbers:
        return Description(0, None, None, None, None)
    return Description(
        n=len(numbers),
        mean=statistics.fmean(numbers),
        median=float(statistics.median(numbers)),
        minimum=min(numbers),
        maximum=max(numbers),
    )
