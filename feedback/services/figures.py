"""The figures of an instrument, defined once: its sample and denominator, what its responses
count for, its disposition counts and rates, and the partial rule behind them.

Every surface that shows how an instrument is doing (the dashboards, the response-rates and
methodology pages, the workbook's Response rates sheet, ``feedback rates --json``) takes its
figures from :func:`instrument_rates`, so one survey cannot show three numbers.

The definitions, with their reasons:

* **Sample and denominator.** An instrument with cases has a sample: its denominator is the
  cases (AAPOR's, so not-eligible cases are left out of every rate). Event feedback without
  cases is counted per event against the event's register or, failing that, its head count;
  events with neither have no denominator. Anything else has no sample and no rate.
* **Responses in the sample** are those that can enter a rate: a case's response, or a form
  returned at an event that has a denominator. **Responses outside the sample** (an open
  link's anonymous answers, forms from an event without a head count) are never in a rate's
  numerator or denominator and are shown on their own line wherever responses are counted.
* **Responded** is I + P, RR2's numerator, and the dashboards' progress is RR2 itself, so the
  dashboard and the rates page agree by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ..db import Instrument
from ..db import rate_queries as q
from ..db.figure_queries import ResponseGroup, response_groups
from ..domain.instrument import NO_RESPONDENT_KINDS
from ..domain.partial import PartialRule
from ..domain.rates import RATE_NAMES, DispositionCounts, RateReport, compute_rates, format_rate

NO_SAMPLE_NOTE = (
    "no sample recorded: import the contact list (feedback contacts import) to give it a denominator"
)
NO_RESPONDENTS = "no respondents"
NO_EVENT_DENOMINATOR = "no attendance register or head count for any event: the denominator is missing"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def rates_for_counts(counts: dict[str, int], e: float | None) -> RateReport:
    return compute_rates(DispositionCounts.from_mapping(counts), e)


@dataclass(frozen=True)
class ResponseTally:
    """An instrument's live responses: by status, and by whether they can enter a rate."""

    complete: int = 0
    partial: int = 0  # not submitted (partials and break-offs alike)
    in_sample: int = 0
    outside: int = 0
    modes: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.complete + self.partial


def tally(groups: Sequence[ResponseGroup], counts_response: Any) -> ResponseTally:
    """Add up response groups; ``counts_response(group)`` says whether a group is in the sample."""
    complete = sum(g.n for g in groups if g.status == "complete")
    inside = sum(g.n for g in groups if counts_response(g))
    total = sum(g.n for g in groups)
    modes = tuple(sorted({g.mode for g in groups}))
    return ResponseTally(complete, total - complete, inside, total - inside, modes)


@dataclass(frozen=True)
class InstrumentRates:
    """One instrument's figures (``report`` is None when there is no denominator)."""

    slug: str
    title: str
    kind: str
    cases: int  # the sample: cases, or forms handed out (register or head count) for events
    denominator_kind: str | None  # "sample", "register", "head count", "register or head count"
    tally: ResponseTally
    counts: DispositionCounts
    report: RateReport | None
    partial_rule: PartialRule = field(default_factory=PartialRule)
    note: str = ""

    @property
    def responses(self) -> int:
        """Responses that can enter a rate (see the module docstring); the others are ``outside``."""
        return self.tally.in_sample if self.denominator_kind else self.tally.total

    @property
    def outside(self) -> int:
        return self.tally.outside if self.denominator_kind else 0

    @property
    def modes(self) -> tuple[str, ...]:
        return self.tally.modes

    @property
    def responded(self) -> int:
        """I + P: the numerator of RR2, the dashboards' progress."""
        return self.counts.I + self.counts.P

    @property
    def base(self) -> int:
        """RR2's denominator: every case of known or unknown eligibility (NE left out)."""
        return self.counts.total - self.counts.NE

    def sample_text(self) -> str:
        """ "710 cases in the sample; 189 responses from the sample, 1 outside it (in no rate)"."""
        if self.denominator_kind is None:
            return _plural(self.tally.total, "response") + " (no sample to compare with)"
        if self.denominator_kind == "sample":
            sample = f"{_plural(self.cases, 'case')} in the sample"
        else:
            sample = f"{_plural(self.cases, 'form')} handed out ({self.denominator_kind})"
        text = f"{sample}; {_plural(self.responses, 'response')} from the sample"
        if self.outside:
            text += f", {self.outside} outside it (in no rate)"
        return text

    def progress_text(self) -> str:
        """ "189 of 710 (26.6%)", or why there is no rate."""
        if self.report is None:
            return self.rate_text()
        return f"{self.responded} of {self.base} ({self.rate_percent})"

    @property
    def rate_percent(self) -> str:
        """RR2 alone, "26.6%" ("undefined" without a rate): the progress figure's percentage."""
        return format_rate(self.report.rates["RR2"]) if self.report else "undefined"

    def rate_text(self, name: str = "RR2") -> str:
        if self.kind in NO_RESPONDENT_KINDS:
            return NO_RESPONDENTS
        if self.report is None:
            return "undefined"
        return self.report.formatted(name)

    def as_json(self) -> dict[str, Any]:
        """The ``feedback rates --json`` object: rates as fractions, undefined as null."""
        rates = self.report.rates if self.report else dict.fromkeys(RATE_NAMES)
        return {
            "instrument": self.slug,
            "title": self.title,
            "kind": self.kind,
            "cases": self.cases,
            "denominator": self.denominator_kind,
            "responses": self.responses,
            "responses_outside_sample": self.outside,
            "responses_complete": self.tally.complete,
            "responses_not_submitted": self.tally.partial,
            "responded": self.responded,
            "base": self.base,
            "counts": self.counts.as_dict(),
            "partial_threshold": self.partial_rule.setting,
            "partial_rule": self.partial_rule.describe(),
            "e": self.report.e if self.report else None,
            "e_source": self.report.e_source if self.report else None,
            "rates": {name: rates[name] for name in RATE_NAMES},
            "note": self.note,
        }


def _event_figures(events: list[q.EventCounts]) -> tuple[dict[str, int], set[int], str, str]:
    """Event feedback without cases: the events' counts summed over the events with a
    denominator, the ids of those events, the kind of denominator, and a note on the rest."""
    total: dict[str, int] = {}
    counted = [e for e in events if not e.note]
    for event in counted:
        for code, n in event.counts.items():
            total[code] = total.get(code, 0) + n
    notes = []
    missing = [e for e in events if e.note]
    if missing:
        forms = sum(e.returned for e in missing)
        listed = "; ".join(f"{e.title}: {e.note}" for e in missing)
        notes.append(f"{forms} form(s) from {len(missing)} event(s) left out of the rate: {listed}")
    assumed = [e for e in counted if e.attending_note]
    if assumed:
        notes.append(
            "head counts: " + "; ".join(f"{e.title}: {e.attending} ({e.attending_note})" for e in assumed)
        )
    kinds = {"register" if e.register else "head count" for e in counted}
    kind = " or ".join(sorted(kinds, reverse=True)) if kinds else ""
    return total, {e.activity_id for e in counted}, kind, ". ".join(notes)


def _figures(
    instrument: Instrument,
    counts: dict[str, int] | None,
    groups: list[ResponseGroup],
    events: list[q.EventCounts],
) -> InstrumentRates:
    rule = PartialRule.from_stored(instrument.partial_threshold)
    kind: str | None = None
    note = ""
    if instrument.kind in NO_RESPONDENT_KINDS:
        counts, note, responses = None, NO_RESPONDENTS, tally(groups, lambda g: False)
    elif counts is not None:
        kind, responses = "sample", tally(groups, lambda g: g.has_case)
    elif instrument.kind == "event_feedback":
        counts, counted, kind, note = _event_figures(events)
        responses = tally(groups, lambda g: g.activity_id in counted)
        if not counted:
            counts, kind, note = None, None, note or NO_EVENT_DENOMINATOR
    else:
        note, responses = NO_SAMPLE_NOTE, tally(groups, lambda g: False)
    if counts and counts.get("NE"):
        left_out = f"{counts['NE']} not eligible (NE), left out of every denominator"
        note = f"{note}. {left_out}" if note else left_out
    report = rates_for_counts(counts, instrument.eligibility_e) if counts else None
    dc = DispositionCounts.from_mapping(counts or {})
    return InstrumentRates(
        instrument.slug, instrument.title, instrument.kind, dc.total, kind, responses, dc, report, rule, note
    )


def instrument_rates(session: Session, instruments: Sequence[Instrument]) -> list[InstrumentRates]:
    """The figures of each instrument in three grouped queries however many there are: the
    dispositions of cases, the responses, and the events of event feedback without cases."""
    ids = [i.id for i in instruments]
    by_instrument = q.counts_by_instrument(session, instrument_ids=ids)
    groups = response_groups(session, ids)
    event_forms = [i.id for i in instruments if i.kind == "event_feedback" and i.id not in by_instrument]
    events = q.event_counts_by_instrument(session, event_forms)
    return [
        _figures(i, by_instrument.get(i.id), groups.get(i.id, []), events.get(i.id, [])) for i in instruments
    ]


def partial_rules(items: Sequence[InstrumentRates]) -> list[str]:
    """The partial rule(s) behind these rates, as every rate output states them: one sentence
    when the instruments share a rule, else one per instrument, named."""
    rated = [item for item in items if item.report is not None]
    rules = {item.partial_rule for item in rated}
    if len(rules) <= 1:
        return [rule.describe() for rule in rules]
    return [f"{item.title}: {item.partial_rule.describe()}" for item in rated]
