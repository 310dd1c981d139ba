"""Response rates as a report reads them: per instrument, event, wave and subgroup, the
representativeness of respondents, and the methodology table (the report's Table 2.1).

Counting happens in SQL (:mod:`feedback.db.rate_queries`); the arithmetic is the pure
:func:`feedback.domain.rates.compute_rates`, with the instrument's e (or the AAPOR default) carried
beside every rate. Wherever a denominator is missing the result says so in ``note`` and its rates
are undefined, so "unknown" never appears without its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Activity, Case, Instrument, Project
from ..db import rate_queries as q
from ..domain.rates import DISPOSITIONS, DispositionCounts, RateReport, format_rate
from .figures import (
    NO_RESPONDENTS,
    NO_SAMPLE_NOTE,
    InstrumentRates,
    instrument_rates,
    partial_rules,
    rates_for_counts,
)

__all__ = [
    "NO_RESPONDENTS",
    "NO_SAMPLE_NOTE",
    "InstrumentRates",
    "instrument_rates",
    "partial_rules",
    "rates_for_counts",
]


def project_instruments(session: Session, project_slug: str) -> tuple[Project, list[Instrument]]:
    project = session.scalar(select(Project).where(Project.slug == project_slug))
    if project is None:
        raise LookupError(f"no project called '{project_slug}'")
    instruments = list(
        session.scalars(
            select(Instrument).where(Instrument.project_id == project.id).order_by(Instrument.slug)
        )
    )
    return project, instruments


# --- subgroups, waves, events -----------------------------------------------------------------


@dataclass(frozen=True)
class GroupRates:
    label: str
    counts: DispositionCounts
    report: RateReport


def rates_by_attribute(session: Session, instrument: Instrument, key: str) -> list[GroupRates]:
    """Rates per value of a contact attribute (response rate by region, by organisation type)."""
    grouped = q.counts_by_attribute(session, instrument.id, key)
    return [
        GroupRates(value, DispositionCounts.from_mapping(c), rates_for_counts(c, instrument.eligibility_e))
        for value, c in grouped.items()
    ]


def rates_by_wave(session: Session, instrument: Instrument) -> list[GroupRates]:
    """Cumulative rates after each invitation wave, for the wave chart."""
    return [
        GroupRates(
            f"wave {w.number} ({w.kind}, {w.sent_on})",
            DispositionCounts.from_mapping(w.counts),
            rates_for_counts(w.counts, instrument.eligibility_e),
        )
        for w in q.counts_by_wave(session, instrument.id)
    ]


def rates_by_event(session: Session, instrument: Instrument) -> list[tuple[q.EventCounts, RateReport | None]]:
    """Per event: forms returned against the register or head count (None: no denominator).

    For an event feedback instrument with cases (a register imported with the instrument), the
    cases' dispositions per activity are used instead.
    """
    by_activity = q.counts_by_activity(session, instrument.id)
    if by_activity:
        titles: dict[int | None, str] = dict(session.execute(select(Activity.id, Activity.title)).all())
        return [
            (
                q.EventCounts(
                    aid or 0, titles.get(aid, "(no event)"), c["I"] + c["P"], sum(c.values()), None, c
                ),
                rates_for_counts(c, instrument.eligibility_e),
            )
            for aid, c in by_activity.items()
        ]
    return [
        (event, None if event.note else rates_for_counts(event.counts, instrument.eligibility_e))
        for event in q.event_counts(session, instrument.id)
    ]


# --- representativeness -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileRow:
    """One attribute value: its share of the sample and of respondents, in percentage points."""

    attribute: str
    value: str
    sample: int
    sample_base: int
    respondents: int
    respondent_base: int

    @property
    def sample_pct(self) -> float | None:
        return 100 * self.sample / self.sample_base if self.sample_base else None

    @property
    def respondent_pct(self) -> float | None:
        return 100 * self.respondents / self.respondent_base if self.respondent_base else None

    @property
    def difference_pp(self) -> float | None:
        """Respondents' share minus the sample's: negative means the group under-responded."""
        if self.sample_pct is None or self.respondent_pct is None:
            return None
        return self.respondent_pct - self.sample_pct

    def as_text(self) -> tuple[str, str, str]:
        diff = self.difference_pp
        return (
            format_rate(
                None if self.sample_pct is None else self.sample_pct / 100, self.sample, self.sample_base
            ),
            format_rate(
                None if self.respondent_pct is None else self.respondent_pct / 100,
                self.respondents,
                self.respondent_base,
            ),
            "undefined" if diff is None else f"{diff:+.1f} pp",
        )


def representativeness(session: Session, instrument: Instrument) -> dict[str, list[ProfileRow]]:
    """For each contact attribute, respondents' profile beside the sample's (NE cases left out)."""
    result: dict[str, list[ProfileRow]] = {}
    for key, values in q.attribute_profiles(session, instrument.id).items():
        sample_base = sum(n for n, _r in values.values())
        respondent_base = sum(r for _n, r in values.values())
        result[key] = [
            ProfileRow(key, value, n, sample_base, r, respondent_base) for value, (n, r) in values.items()
        ]
    return result


# --- methodology table ------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodologyRow:
    instrument: str
    title: str
    method: str
    modes: str
    cases: int | None
    responses: int
    rate: str
    note: str
    outside: int = 0  # responses outside the sample, never in the rate
    denominator: str = ""  # "sample", "head count"...: what ``cases`` counts
    partial_rule: str = ""
    figures: InstrumentRates | None = None  # the row's source, for pages that mark each figure


def methodology_table(session: Session, project_slug: str, rate: str = "RR2") -> list[MethodologyRow]:
    """The report's Table 2.1 from live data: every instrument of the project, its method,
    mode(s), sample, responses and rate, with a note wherever the denominator is missing."""
    _project, instruments = project_instruments(session, project_slug)
    rows = []
    for item in instrument_rates(session, instruments):
        rows.append(
            MethodologyRow(
                instrument=item.slug,
                title=item.title,
                method=item.kind.replace("_", " "),
                modes=", ".join(m.replace("_", " ") for m in item.modes) or "-",
                cases=item.cases if item.report is not None else None,
                responses=item.responses,
                rate=item.rate_text(rate),
                note="" if item.note == NO_RESPONDENTS else item.note,
                outside=item.outside,
                denominator=item.denominator_kind or "",
                partial_rule=item.partial_rule.describe() if item.report is not None else "",
                figures=item,
            )
        )
    return rows


def case_count(session: Session, instrument_id: int) -> int:
    return session.scalar(select(func.count()).where(Case.instrument_id == instrument_id)) or 0


@dataclass(frozen=True)
class ProjectEvents:
    """Every event of a project's event feedback forms, and the forms returned / attending summed
    over the events that have a denominator (``total`` is None when none has)."""

    events: list[tuple[str, q.EventCounts, RateReport | None]]
    total: RateReport | None
    note: str


def project_events(session: Session, project_slug: str) -> ProjectEvents:
    """Per event and summed per project, for the response-rates page's event progress bars."""
    _project, instruments = project_instruments(session, project_slug)
    events: list[tuple[str, q.EventCounts, RateReport | None]] = []
    total = dict.fromkeys(DISPOSITIONS, 0)
    left_out = []
    for instrument in instruments:
        if instrument.kind != "event_feedback":
            continue
        for event, report in rates_by_event(session, instrument):
            events.append((instrument.slug, event, report))
            if report is None:
                left_out.append(f"{event.title}: {event.note}")
                continue
            for code, n in event.counts.items():
                total[code] += n
    note = "left out (no denominator): " + "; ".join(left_out) if left_out else ""
    return ProjectEvents(events, rates_for_counts(total, None) if any(total.values()) else None, note)
