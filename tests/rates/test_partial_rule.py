"""The partial rule (defect 9): it can be set, in a form's settings and as ``any``, and every rate
output states it; answers without a case are outside the sample and in no rate."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from flask.testing import FlaskCliRunner
from rates_support import add_contacts, add_responses, make_instrument
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.db import Instrument
from feedback.db.session import Database
from feedback.domain.partial import PartialRule, PartialRuleError
from feedback.services.figures import instrument_rates


@pytest.mark.parametrize(
    ("text", "threshold", "setting"),
    [
        ("0.5", Fraction(1, 2), "0.5"),
        (".25", Fraction(1, 4), "0.25"),
        ("1", Fraction(1), "1"),
        ("ANY", None, "any"),
    ],
)
def test_a_rule_reads_as_an_evaluator_types_it(text: str, threshold: Fraction | None, setting: str) -> None:
    rule = PartialRule.parse(text)
    assert rule.threshold == threshold and rule.setting == setting
    assert PartialRule.from_stored(rule.stored) == rule


@pytest.mark.parametrize("text", ["0", "-0.5", "1.5", "half", "", "1/0"])
def test_a_rule_outside_zero_to_one_is_refused_with_what_was_found(text: str) -> None:
    with pytest.raises(PartialRuleError, match="found"):
        PartialRule.parse(text)


def test_the_rule_states_itself_in_words() -> None:
    assert (
        PartialRule()
        .describe()
        .startswith("Partial (P): a response not submitted that answers at least 50% of the questions shown")
    )
    assert PartialRule().describe().endswith("Rule: partial_threshold = 0.5")
    assert "answers at least one question" in PartialRule(None).describe()


def _one_each(session: Session, threshold: float) -> None:
    survey = make_instrument(session, "crisp-web-survey", partial_threshold=threshold)
    cases = add_contacts(session, survey, 4)
    add_responses(
        session,
        survey,
        [
            {"case_id": cases[0]},
            {"case_id": cases[1], "status": "partial", "answered": 1, "applicable": 10},
            {"case_id": cases[2], "status": "partial", "answered": 0, "applicable": 10},
            {"status": "complete"},  # an open link's answer: no case
        ],
    )


def test_any_answer_makes_a_partial_when_the_rule_is_any(session: Session) -> None:
    _one_each(session, 0.0)
    (figures,) = instrument_rates(session, [make_instrument_lookup(session)])
    assert (figures.counts.I, figures.counts.P, figures.counts.R) == (1, 1, 1)
    assert figures.progress_text() == "2 of 4 (50.0%)"
    assert (figures.responses, figures.outside) == (3, 1)


def test_half_the_questions_are_needed_by_default(session: Session) -> None:
    _one_each(session, 0.5)
    (figures,) = instrument_rates(session, [make_instrument_lookup(session)])
    assert (figures.counts.I, figures.counts.P, figures.counts.R) == (1, 0, 2)
    assert figures.progress_text() == "1 of 4 (25.0%)"
    assert (
        figures.sample_text()
        == "4 cases in the sample; 3 responses from the sample, 1 outside it (in no rate)"
    )


def make_instrument_lookup(session: Session) -> Instrument:
    return session.scalar(select(Instrument).where(Instrument.slug == "crisp-web-survey"))


def test_rates_on_the_cli_state_the_rule(runner: FlaskCliRunner, db: Database) -> None:
    with db.write() as session:
        _one_each(session, 0.0)
    data = json.loads(runner.invoke(args=["rates", "--instrument", "crisp-web-survey", "--json"]).output)
    item = data  # one instrument asked for: one object
    assert item["partial_threshold"] == "any"
    assert item["responses"] == 3 and item["responses_outside_sample"] == 1
    assert item["counts"]["P"] == 1
    table = runner.invoke(args=["rates", "--instrument", "crisp-web-survey"]).output
    assert "Rule: partial_threshold = any" in table
    assert "1 outside it (in no rate)" in table
