"""What every summary table shares: the question it describes and the order of its answer rows.

Split out of :mod:`feedback.domain.summary` so that frequency tables there and cross-tabs in
:mod:`feedback.domain.crosstab` use the same rules without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["QuestionInfo", "ordered_codes"]


@dataclass(frozen=True)
class QuestionInfo:
    """What a table needs to know about a question; deliberately not the full instrument model.

    ``choices`` are ``(code, label)`` pairs in definition order, which is the order readers
    expect (scales run from one end to the other, not by popularity).
    """

    name: str
    label: str
    type: str
    choices: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        choices = tuple((code, label) for code, label in self.choices)
        codes = [code for code, _ in choices]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            # Rows are keyed by code, so a repeated code would silently merge two answers.
            raise ValueError(f"duplicate choice codes in {self.name!r}: {duplicates}")
        object.__setattr__(self, "choices", choices)

    def label_for(self, code: str) -> str:
        """The choice label, or the code itself for answers the current definition lacks."""
        return dict(self.choices).get(code, code)


def ordered_codes(question: QuestionInfo, seen: Mapping[str, int]) -> list[tuple[str, bool]]:
    """Defined codes in order, then codes only seen in the data (count > 0), sorted.

    Unlisted codes come from older versions of the form or free "other" answers; they are kept
    rather than dropped so the counts still reconcile with the base, and sorted because SQL
    gives no stable order.
    """
    for code in seen:
        if not isinstance(code, str):
            raise TypeError(f"answer codes must be str, got {code!r}; pass unanswered via missing=")
    defined = [code for code, _ in question.choices]
    known = set(defined)
    extra = sorted(code for code, count in seen.items() if code not in known and count > 0)
    return [(code, False) for code in defined] + [(code, True) for code in extra]
