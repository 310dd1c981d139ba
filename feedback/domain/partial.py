"""The partial rule: when a started, unsubmitted response counts as a partial (P) rather than a
break-off (R).

AAPOR leaves the line to the researcher but requires it to be reported with the rates, so the
rule is one object that both decides and describes itself, and every rate output prints
:meth:`PartialRule.describe`. Two forms:

* a fraction in (0, 1] of the questions shown to that respondent (after skips): 0.5, AAPOR's own
  example, is the default;
* ``any``: at least one answer, which is how the CRISP report counted everyone "answering some or
  all of the questions".

In the database the rule is one float (``instruments.partial_threshold``), with 0 for ``any``, so
SQL can apply it as ``answered > 0 AND answered >= threshold * applicable``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

ANY = "any"
DEFAULT_THRESHOLD = Fraction(1, 2)


class PartialRuleError(ValueError):
    """A partial threshold that is neither ``any`` nor a fraction in (0, 1]."""


@dataclass(frozen=True)
class PartialRule:
    """``threshold`` is the share of shown questions a response must answer; None means any."""

    threshold: Fraction | None = DEFAULT_THRESHOLD

    @classmethod
    def parse(cls, text: str) -> PartialRule:
        """Read a setting as an evaluator types it: ``any``, ``0.5``, ``1``, ``.25``."""
        value = text.strip().lower()
        if value == ANY:
            return cls(None)
        try:
            exact = Fraction(value)
        except (ValueError, ZeroDivisionError):
            raise PartialRuleError(
                f"expected a fraction above 0 and at most 1 (such as 0.5) or 'any', found '{text}'"
            ) from None
        if not 0 < exact <= 1:
            raise PartialRuleError(f"expected a fraction above 0 and at most 1 (such as 0.5), found '{text}'")
        return cls(exact)

    @classmethod
    def from_stored(cls, stored: float | None) -> PartialRule:
        if stored is None:
            return cls()
        if stored <= 0:
            return cls(None)
        return cls(Fraction(str(stored)).limit_denominator(10_000))

    @property
    def stored(self) -> float:
        """The database's float: 0 for ``any``."""
        return 0.0 if self.threshold is None else float(self.threshold)

    @property
    def setting(self) -> str:
        """As a form's settings would write it (``any``, ``0.5``)."""
        if self.threshold is None:
            return ANY
        return format(float(self.threshold), "g")

    def counts_as_partial(self, answered: int, applicable: int) -> bool:
        """Whether a started response with these counts is P (else it is a break-off, R)."""
        if answered <= 0 or applicable <= 0:
            return False
        return self.threshold is None or Fraction(answered, applicable) >= self.threshold

    def short(self) -> str:
        """For table cells and sheet notes: "at least 50% of the questions shown"."""
        if self.threshold is None:
            return "at least one answer"
        return f"at least {float(self.threshold) * 100:.4g}% of the questions shown"

    def describe(self) -> str:
        """The sentence every rate output states (AAPOR requires the definition to be reported)."""
        what = (
            "answers at least one question"
            if self.threshold is None
            else f"answers {self.short()} to that respondent"
        )
        return (
            f"Partial (P): a response not submitted that {what}; one started with fewer answers is a "
            f"break-off (R). Rule: partial_threshold = {self.setting}"
        )
