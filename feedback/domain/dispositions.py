"""Rules that turn what the tool knows about a case into its final AAPOR disposition.

Rates are only as honest as the dispositions they count, and the same facts must always give the
same code, whoever runs the report. So the rules live here, pure and table-driven, with the
AAPOR *Standard Definitions* codes they follow (see ``shared/reference/aapor.md``).

Telephone cases (:func:`disposition_from_attempts`)
---------------------------------------------------
Each call attempt has a :class:`CallOutcome`. :data:`OUTCOME_RULES` says, for each outcome, the
disposition it points to and its *tier*. The case's disposition comes from the highest tier among
its attempts; within that tier the *last* attempt wins (the most recent news about the case).

=====  ===================  =====  =============================================================
tier   outcome              code   why
=====  ===================  =====  =============================================================
4      ineligible           NE     4.x: not in the target population, whatever else happened
3      complete             I      1.1 (P when the interview only reached the partial threshold)
2      hard_refusal         R      2.11: a firm "no" is final; later no-answers do not undo it
1      soft_refusal         R      2.11: a refusal that was never converted
1      appointment          R      implicit refusal: a callback arranged with the person but never
                                   kept (queXS "broken appointment", AAPOR refusal family). It is
                                   *not* NC: the person was reached, which contact rates must show
1      language_barrier     O      2.33: eligible, reached, but could not be interviewed
0      no_answer            UH     3.13: eligibility never confirmed
0      busy                 UH     3.12
0      answering_machine    UH     3.14: voicemail does not confirm who the number reaches
0      wrong_number         UO     like a bounced e-mail: the invitation never reached the person
=====  ===================  =====  =============================================================

No attempts at all is UH (3.11, not attempted). Two flags adjust the result:

* ``partial=True`` says the interview recorded reached the instrument's partial threshold but was
  not finished; a complete *or* a break-off then becomes P (1.2), unless the case is NE.
* ``eligible_known=True`` says the sample frame itself establishes eligibility (an attendance
  register, a list of funded agencies). Unknown-eligibility codes (UH, UO) then become NC (2.20):
  the person is known to be eligible and was simply never reached. Off by default, as AAPOR's
  telephone codes assume eligibility is unknown until someone answers.

Web cases (:func:`disposition_for_web_case`)
--------------------------------------------
Precedence, first match wins: out of scope -> NE; submitted -> I; started (answered anything, or
logged on) -> P at or above the partial threshold, else R (2.12 break-off, 2.112 logged on and
answered nothing); opted out -> R; bounced -> UO; otherwise nothing returned -> UH (3.19).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType


class CallOutcome(StrEnum):
    """What happened on one call attempt, as an interviewer records it."""

    no_answer = "no_answer"
    busy = "busy"
    answering_machine = "answering_machine"
    wrong_number = "wrong_number"
    appointment = "appointment"
    soft_refusal = "soft_refusal"
    hard_refusal = "hard_refusal"
    language_barrier = "language_barrier"
    ineligible = "ineligible"
    complete = "complete"


@dataclass(frozen=True)
class OutcomeRule:
    """Where one call outcome points: its disposition, precedence tier and AAPOR detail code."""

    code: str
    tier: int
    aapor: str


#: The single table of telephone rules; change a mapping here and everything follows.
OUTCOME_RULES: Mapping[CallOutcome, OutcomeRule] = MappingProxyType(
    {
        CallOutcome.ineligible: OutcomeRule("NE", 4, "4.10"),
        CallOutcome.complete: OutcomeRule("I", 3, "1.1"),
        CallOutcome.hard_refusal: OutcomeRule("R", 2, "2.11"),
        CallOutcome.soft_refusal: OutcomeRule("R", 1, "2.11"),
        CallOutcome.appointment: OutcomeRule("R", 1, "2.11"),
        CallOutcome.language_barrier: OutcomeRule("O", 1, "2.33"),
        CallOutcome.no_answer: OutcomeRule("UH", 0, "3.13"),
        CallOutcome.busy: OutcomeRule("UH", 0, "3.12"),
        CallOutcome.answering_machine: OutcomeRule("UH", 0, "3.14"),
        CallOutcome.wrong_number: OutcomeRule("UO", 0, "3.90"),
    }
)

#: Disposition of a case nobody tried to call (3.11 not attempted).
NOT_ATTEMPTED = "UH"
_UNKNOWN_ELIGIBILITY = frozenset({"UH", "UO"})


def disposition_from_attempts(
    outcomes: Sequence[CallOutcome | str],
    partial: bool = False,
    *,
    eligible_known: bool = False,
) -> str:
    """Final disposition of a telephone case from its call attempts, oldest first.

    See the module docstring for the table and the reasons behind each mapping. Outcomes may be
    given as :class:`CallOutcome` members or their string values (as stored in the database);
    anything else is a ``ValueError``.
    """
    rules = [OUTCOME_RULES[CallOutcome(outcome)] for outcome in outcomes]
    if rules:
        top = max(rule.tier for rule in rules)
        code = [rule for rule in rules if rule.tier == top][-1].code
    else:
        code = NOT_ATTEMPTED
    if partial and code != "NE":
        return "P"
    if eligible_known and code in _UNKNOWN_ELIGIBILITY:
        return "NC"
    return code


def _exact_threshold(threshold: float) -> Fraction:
    """0 is the stored form of ``any`` (at least one answer, see :mod:`feedback.domain.partial`)."""
    # Fraction(str(...)) so that a threshold of 0.1 is exactly 1/10 and 1 answer out of 10 meets it.
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | Fraction):
        raise TypeError(f"threshold must be a number, not {type(threshold).__name__}")
    exact = threshold if isinstance(threshold, Fraction) else Fraction(str(threshold))
    if not 0 <= exact <= 1:
        raise ValueError(f"threshold must be from 0 (any answer) to 1 (got {threshold})")
    return exact


def disposition_for_web_case(
    *,
    submitted: bool,
    answered: int,
    applicable: int,
    threshold: float = 0.5,
    opted_out: bool = False,
    bounced: bool = False,
    out_of_scope: bool = False,
    started: bool = False,
) -> str:
    """Final disposition of a web (or e-mailed link) survey case, following the CRISP mapping.

    ``answered`` and ``applicable`` count the questions answered and the questions that applied
    to this respondent after skips; the partial threshold compares their ratio. Precedence, first
    match wins, and why:

    1. ``out_of_scope`` -> NE: someone outside the target population never belongs in a rate,
       even if they filled the form in.
    2. ``submitted`` -> I: the respondent said they were done.
    3. started (``started`` or any answer) -> P if ``answered / applicable >= threshold``, else R.
       A break-off above the threshold stays P even if the person later opted out, because their
       answers are usable; logging on and answering nothing is R (2.112).
    4. ``opted_out`` -> R: an explicit refusal.
    5. ``bounced`` -> UO: the invitation never arrived, which says more than silence does.
    6. otherwise -> UH: nothing returned (3.19).
    """
    if answered < 0 or applicable < 0:
        raise ValueError("answered and applicable must not be negative")
    if answered > applicable:
        raise ValueError(f"answered ({answered}) cannot exceed applicable questions ({applicable})")
    limit = _exact_threshold(threshold)
    if out_of_scope:
        return "NE"
    if submitted:
        return "I"
    if started or answered > 0:
        if applicable and answered > 0 and Fraction(answered, applicable) >= limit:
            return "P"
        return "R"
    if opted_out:
        return "R"
    if bounced:
        return "UO"
    return "UH"
