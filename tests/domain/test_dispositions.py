"""Final disposition rules for telephone and web cases, table-driven."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.domain.dispositions import (
    OUTCOME_RULES,
    CallOutcome,
    disposition_for_web_case,
    disposition_from_attempts,
)
from feedback.domain.rates import DISPOSITIONS

NA = CallOutcome.no_answer
BUSY = CallOutcome.busy
AM = CallOutcome.answering_machine
WRONG = CallOutcome.wrong_number
APPT = CallOutcome.appointment
SOFT = CallOutcome.soft_refusal
HARD = CallOutcome.hard_refusal
LANG = CallOutcome.language_barrier
INEL = CallOutcome.ineligible
DONE = CallOutcome.complete


@pytest.mark.parametrize(
    ("attempts", "partial", "expected"),
    [
        ([], False, "UH"),
        ([DONE], False, "I"),
        ([NA, BUSY, DONE], False, "I"),
        ([DONE], True, "P"),
        ([SOFT, NA, DONE], False, "I"),
        ([INEL], False, "NE"),
        ([NA, INEL, NA], False, "NE"),
        ([DONE, INEL], False, "NE"),
        ([INEL], True, "NE"),
        ([HARD], False, "R"),
        ([HARD, NA, NA, BUSY], False, "R"),
        ([SOFT, APPT, LANG, HARD], False, "R"),
        ([NA, SOFT], False, "R"),
        ([SOFT, NA, NA], False, "R"),
        ([APPT], False, "R"),
        ([NA, APPT, NA, NA], False, "R"),
        ([LANG], False, "O"),
        ([SOFT, LANG], False, "O"),
        ([LANG, SOFT], False, "R"),
        ([HARD], True, "P"),
        ([NA], False, "UH"),
        ([NA, BUSY, AM], False, "UH"),
        ([WRONG], False, "UO"),
        ([NA, WRONG], False, "UO"),
        ([WRONG, NA], False, "UH"),
    ],
)
def test_disposition_from_attempts(attempts: list[CallOutcome], partial: bool, expected: str) -> None:
    assert disposition_from_attempts(attempts, partial) == expected


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [([], "NC"), ([NA, BUSY], "NC"), ([WRONG], "NC"), ([SOFT], "R"), ([INEL], "NE"), ([DONE], "I")],
)
def test_known_eligible_frame_turns_unknown_into_non_contact(
    attempts: list[CallOutcome], expected: str
) -> None:
    assert disposition_from_attempts(attempts, eligible_known=True) == expected


def test_outcomes_may_be_stored_strings() -> None:
    assert disposition_from_attempts(["no_answer", "hard_refusal"]) == "R"
    with pytest.raises(ValueError):
        disposition_from_attempts(["hung_up"])


def test_every_outcome_has_a_rule_with_a_real_code() -> None:
    assert set(OUTCOME_RULES) == set(CallOutcome)
    assert all(rule.code in DISPOSITIONS for rule in OUTCOME_RULES.values())


@given(st.lists(st.sampled_from(list(CallOutcome)), max_size=12), st.booleans(), st.booleans())
def test_attempts_always_give_a_disposition(
    attempts: list[CallOutcome], partial: bool, eligible_known: bool
) -> None:
    code = disposition_from_attempts(attempts, partial, eligible_known=eligible_known)
    assert code in DISPOSITIONS
    if CallOutcome.ineligible in attempts:
        assert code == "NE"
    elif partial:
        assert code == "P"
    elif CallOutcome.complete in attempts:
        assert code == "I"
    elif CallOutcome.hard_refusal in attempts:
        assert code == "R"


WEB_CASES = [
    # (kwargs, expected)
    ({"submitted": True, "answered": 10, "applicable": 10}, "I"),
    ({"submitted": True, "answered": 2, "applicable": 10}, "I"),
    ({"submitted": False, "answered": 5, "applicable": 10}, "P"),
    ({"submitted": False, "answered": 9, "applicable": 10}, "P"),
    ({"submitted": False, "answered": 4, "applicable": 10}, "R"),
    ({"submitted": False, "answered": 1, "applicable": 10, "threshold": 0.1}, "P"),
    ({"submitted": False, "answered": 2, "applicable": 10, "threshold": 0.3}, "R"),
    ({"submitted": False, "answered": 0, "applicable": 10, "started": True}, "R"),
    # threshold 0 is the stored form of partial_threshold: any (at least one answer)
    ({"submitted": False, "answered": 1, "applicable": 40, "threshold": 0}, "P"),
    ({"submitted": False, "answered": 0, "applicable": 40, "threshold": 0, "started": True}, "R"),
    ({"submitted": False, "answered": 0, "applicable": 0, "started": True}, "R"),
    ({"submitted": False, "answered": 0, "applicable": 10, "opted_out": True}, "R"),
    ({"submitted": False, "answered": 6, "applicable": 10, "opted_out": True}, "P"),
    ({"submitted": False, "answered": 0, "applicable": 10}, "UH"),
    ({"submitted": False, "answered": 0, "applicable": 10, "bounced": True}, "UO"),
    ({"submitted": False, "answered": 0, "applicable": 10, "bounced": True, "opted_out": True}, "R"),
    ({"submitted": True, "answered": 10, "applicable": 10, "bounced": True}, "I"),
    ({"submitted": True, "answered": 10, "applicable": 10, "out_of_scope": True}, "NE"),
    ({"submitted": False, "answered": 0, "applicable": 10, "bounced": True, "out_of_scope": True}, "NE"),
    ({"submitted": False, "answered": 0, "applicable": 10, "opted_out": True, "out_of_scope": True}, "NE"),
]


@pytest.mark.parametrize(("kwargs", "expected"), WEB_CASES)
def test_disposition_for_web_case(kwargs: dict[str, object], expected: str) -> None:
    assert disposition_for_web_case(**kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"answered": -1, "applicable": 10},
        {"answered": 11, "applicable": 10},
        {"answered": 1, "applicable": 10, "threshold": -0.1},
        {"answered": 1, "applicable": 10, "threshold": 1.5},
    ],
)
def test_web_case_rejects_impossible_inputs(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        disposition_for_web_case(submitted=False, **kwargs)  # type: ignore[arg-type]
