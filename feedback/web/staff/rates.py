"""Response rates and the methodology table of a project (``staff.rates``, ``staff.methodology``).

Everything on these pages comes from :mod:`feedback.services.rates`, which counts dispositions
with grouped SQL, so the page costs a fixed handful of queries per instrument shown whatever the
size of the sample. Readers must be able to quote any figure safely, hence three rules the
templates keep: every percentage carries its base, a rate with a zero denominator reads
"undefined" (never 0 %), and every rate that uses e says which e and whether it was set or
defaulted.

The detail sections (all sixteen rates, waves, subgroups, representativeness) are for one
instrument chosen in a GET form, with a contact attribute for the subgroup table; a bad choice is
reported on the page rather than silently replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, render_template, request
from flask.typing import ResponseReturnValue

from ...db import Instrument, Project
from ...db.app import get_session
from ...domain.charts import BarChart, grouped_bar_chart
from ...domain.rates import RATE_DEFINITIONS, RATE_NAMES, RATES_USING_E, RateReport, format_rate
from ...services import rates as svc
from .access import require_project_role
from .blueprint import bp

#: A gap between respondents' and the sample's share at or beyond this many percentage points is
#: flagged: about the size at which the CRISP report itself commented on under-response.
LARGE_DIFFERENCE_PP = 5.0
#: The subgroup table shows these rates (RR4 for e, COOP2 and REF1 to tell refusals from non-contact).
GROUP_RATES = ("RR2", "RR4", "COOP2", "REF1")
E_NUMERATORS = {"RR3": ("I",), "RR4": ("I", "P"), "REF2": ("R",), "CON2": ("I", "P", "R", "O")}


@dataclass(frozen=True)
class RateLine:
    """One row of the detail table: the rate, its formula, the figure with its base, e if used."""

    name: str
    definition: str
    text: str
    e_text: str
    why_undefined: str


def e_text(report: RateReport) -> str:
    """ "e = 0.250 (set for this instrument)" or the default's source, or why it is undefined."""
    if report.e is None:
        return "e undefined: no case of known eligibility to estimate it from"
    source = "set for this instrument" if report.e_source == "set" else "default: AAPOR calculator's estimate"
    return f"e = {report.e:.3f} ({source})"


def rate_text(report: RateReport, name: str) -> str:
    """The rate with its base. Rates using e have a fractional base, printed with one decimal."""
    value = report.rates[name]
    if name not in RATES_USING_E or value is None:
        return report.formatted(name) if name not in RATES_USING_E else "undefined"
    c = report.counts
    numerator = sum(getattr(c, code) for code in E_NUMERATORS[name])
    known = c.I + c.P + c.R + c.NC + c.O
    unknown = c.UH + c.UO
    base = known + (report.e or 0) * unknown
    return f"{format_rate(value)} ({numerator}/{base:.1f}, base {known} + e × {unknown})"


def _why_undefined(report: RateReport, name: str) -> str:
    if report.rates[name] is not None:
        return ""
    if name in RATES_USING_E and report.e is None:
        return "e cannot be estimated"
    return "its denominator is 0"


def rate_lines(report: RateReport) -> list[RateLine]:
    return [
        RateLine(
            name,
            RATE_DEFINITIONS[name],
            rate_text(report, name),
            e_text(report) if name in RATES_USING_E else "",
            _why_undefined(report, name),
        )
        for name in RATE_NAMES
    ]


@dataclass(frozen=True)
class ProfileView:
    """A representativeness row as the page shows it, with the flag for a large gap."""

    value: str
    sample: str
    respondents: str
    difference: str
    large: bool


def profile_views(rows: list[svc.ProfileRow]) -> list[ProfileView]:
    result = []
    for row in rows:
        sample, respondents, difference = row.as_text()
        diff = row.difference_pp
        result.append(
            ProfileView(
                row.value,
                sample,
                respondents,
                difference,
                diff is not None and abs(diff) >= LARGE_DIFFERENCE_PP,
            )
        )
    return result


def _rr2_chart(results: list[svc.InstrumentRates]) -> BarChart | None:
    sampled = [(item, item.report) for item in results if item.report is not None]
    if not sampled:
        return None
    return grouped_bar_chart(
        "Response rate (RR2) per instrument",
        "Bars from 0 to 100 per cent. The same figures, with their bases and notes, are in the "
        "table 'Instruments' below.",
        [(item.title, [(report.rates["RR2"], item.rate_text("RR2"))]) for item, report in sampled],
        base="Base: each instrument's cases, not-eligible ones left out ("
        + "; ".join(f"{item.title}: {item.base}" for item, _report in sampled)
        + ")",
    )


def _profile_chart(attribute: str, rows: list[svc.ProfileRow]) -> BarChart:
    groups = [
        (
            row.value,
            [
                (None if row.sample_pct is None else row.sample_pct / 100, row.as_text()[0]),
                (None if row.respondent_pct is None else row.respondent_pct / 100, row.as_text()[1]),
            ],
        )
        for row in rows
    ]
    base = ""
    if rows:
        base = (
            f"Base: {rows[0].sample_base} cases in the sample (not-eligible ones left out) and "
            f"{rows[0].respondent_base} respondents (I and P)"
        )
    return grouped_bar_chart(
        f"Sample and respondents by {attribute}",
        f"For each value of {attribute}, its share of the sample and of the respondents. The same "
        f"figures, with the difference in percentage points, are in the table '{attribute}' below.",
        groups,
        series=("Sample", "Respondents"),
        base=base,
    )


def _wave_chart(waves: list[svc.GroupRates]) -> BarChart | None:
    if not waves:
        return None
    return grouped_bar_chart(
        "Cumulative response rate (RR2) after each wave",
        "The same figures, with their bases, are in the table 'Waves' below.",
        [(w.label, [(w.report.rates["RR2"], w.report.formatted("RR2"))]) for w in waves],
        base="Base: the cases invited by then, not-eligible ones left out (after each bar: responded/base)",
    )


def _choose(
    instruments: list[Instrument], results: list[svc.InstrumentRates]
) -> tuple[Instrument | None, str]:
    """The instrument named by ``?instrument=``, else the one with the largest sample; and an error."""
    wanted = request.args.get("instrument", "")
    by_slug = {i.slug: i for i in instruments}
    if wanted and wanted in by_slug:
        return by_slug[wanted], ""
    sampled = [r for r in results if r.report is not None]
    default = by_slug[max(sampled, key=lambda r: r.cases).slug] if sampled else None
    if wanted:
        return default, f"This project has no instrument '{wanted}': choose one from the list"
    return default, ""


@bp.get("/projects/<slug>/rates")
@require_project_role("viewer")
def rates(project: Project) -> ResponseReturnValue:
    session = get_session()
    _project, instruments = svc.project_instruments(session, project.slug)
    results = svc.instrument_rates(session, instruments)
    chosen, error = _choose(instruments, results)
    detail = next((r for r in results if chosen and r.slug == chosen.slug), None)
    profiles = svc.representativeness(session, chosen) if chosen and detail and detail.report else {}
    attribute = request.args.get("by", "")
    groups: list[svc.GroupRates] = []
    error_href = "#choose-instrument"
    if attribute and attribute not in profiles:
        known = ", ".join(profiles) or "none: import a contact list with more columns"
        if not error:
            error, error_href = (
                f"No contact attribute '{attribute}' in this sample; attributes: {known}",
                "#by",
            )
        attribute = ""
    if chosen and attribute:
        groups = svc.rates_by_attribute(session, chosen, attribute)
    waves = svc.rates_by_wave(session, chosen) if chosen else []
    events = svc.project_events(session, project.slug)
    chart_attribute = attribute or next(iter(profiles), "")
    return render_template(
        "staff/rates.html",
        project=project,
        access=g.access,
        results=results,
        instruments=instruments,
        chosen=chosen,
        detail=detail,
        lines=rate_lines(detail.report) if detail and detail.report else [],
        e_text=e_text,
        rate_text=rate_text,
        profiles={key: profile_views(rows) for key, rows in profiles.items()},
        attribute=attribute,
        groups=groups,
        group_rates=GROUP_RATES,
        waves=waves,
        events=events,
        rr2_chart=_rr2_chart(results),
        partial_rules=svc.partial_rules(results),
        profile_chart=_profile_chart(chart_attribute, profiles[chart_attribute]) if chart_attribute else None,
        wave_chart=_wave_chart(waves),
        large_pp=LARGE_DIFFERENCE_PP,
        error=error,
        error_href=error_href,
        page_title="Response rates",
    ), (400 if error else 200)


@bp.get("/projects/<slug>/methodology")
@require_project_role("viewer")
def methodology(project: Project) -> ResponseReturnValue:
    """The report's Table 2.1 from live data: method, mode, cases, responses and RR2 per instrument."""
    rows = svc.methodology_table(get_session(), project.slug)
    rules = svc.partial_rules([row.figures for row in rows if row.figures])
    return render_template(
        "staff/methodology.html", project=project, rows=rows, partial_rules=rules, page_title="Methodology"
    )
