"""Summary tables, bar charts and the cross-tab builder of one project's instruments.

Everything is read through :mod:`feedback.services.summaries` (SQL aggregates, a fixed number of
queries whatever the number of responses) and :func:`feedback.services.coding.theme_tables`.
Filters are a GET form, so a filtered page can be bookmarked and shared.

URL: ``/staff/projects/<slug>/summaries?instrument=<slug>&status=...``. The instrument is a query
argument rather than a path segment so the filter form, the cross-tab builder and the links all
build the same URL, and the authorisation matrix can open the page without knowing an
instrument (it then lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, g, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import Activity, Contact, ContactAttribute, Instrument, Project
from ...db.app import get_session
from ...db.summary_queries import STATUSES, ResponseFilter
from ...domain.charts import BarChart, bar_chart
from ...domain.crosstab import PercentBase
from ...domain.instrument import MODES
from ...domain.summary import CrossTab, FrequencyTable
from ...services.coding import theme_tables
from ...services.summaries import (
    CLOSED,
    UnknownQuestion,
    attribute_crosstab,
    invitation_waves,
    question_crosstab,
    question_infos,
    summarise,
    summary_sections,
)
from ..ids import db_id, whole_number
from .access import require_project_role
from .blueprint import bp

ATTRIBUTE_PREFIX = "attr:"
MAX_EVENTS = 500


@dataclass
class Filters:
    """The filter form as read from the query string, with the problems found in it."""

    statuses: list[str] = field(default_factory=list)
    mode: str = ""
    event: str = ""
    since: str = ""
    until: str = ""
    wave: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def scope(self) -> ResponseFilter:
        return ResponseFilter(
            statuses=tuple(self.statuses),
            modes=(self.mode,) if self.mode else (),
            activity_ids=(int(self.event),) if self.event else (),
            since=_day(self.since),
            until=_day_after(self.until),
            wave=int(self.wave) if self.wave else None,
        )

    def args(self) -> dict[str, Any]:
        """The filters as URL arguments (for links that keep them)."""
        out: dict[str, Any] = {"status": self.statuses}
        for key in ("mode", "event", "since", "until", "wave"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


def _day(text: str) -> datetime | None:
    return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC) if text else None


def _day_after(text: str) -> datetime | None:
    """The end of the form's "to" day: it is inclusive and the filter half-open, so the next
    midnight. The calendar's last day has no next one: "to 9999-12-31" is no end at all."""
    day = date.fromisoformat(text) if text else date.max
    if day == date.max:
        return None
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)


def _valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def read_filters(event_ids: set[int], wave_numbers: set[int] | None = None) -> Filters:
    """Read and check the filter arguments; anything unusable is dropped with a message.

    ``wave_numbers`` are the instrument's invitation waves: a reminder's number is refused like
    an unknown one, because a response belongs to the wave that first invited its case."""
    args = request.args
    filters = Filters(statuses=[s for s in args.getlist("status") if s in STATUSES])
    mode = args.get("mode", "")
    if mode and mode not in MODES:
        filters.errors["mode"] = f"Unknown mode '{mode}'; choose one from the list"
    else:
        filters.mode = mode
    event = args.get("event", "")
    if event and db_id(event) not in event_ids:
        filters.errors["event"] = "That event is not one of this project's; choose one from the list"
    else:
        filters.event = event
    wave = args.get("wave", "")
    if wave and whole_number(wave) not in (wave_numbers or set()):
        filters.errors["wave"] = (
            "That is not one of this instrument's invitation waves (a response belongs to the "
            "invitation that first reached its case, not to a reminder); choose one from the list"
        )
    else:
        filters.wave = wave
    for key, name in (("since", "From"), ("until", "To")):
        value = args.get(key, "").strip()
        if value and not _valid_date(value):
            filters.errors[key] = f"{name} date: expected a date like 2026-03-01, got '{value}'"
        else:
            setattr(filters, key, value)
    if filters.since and filters.until and filters.since > filters.until:
        filters.errors["until"] = "The 'to' date is before the 'from' date"
        filters.until = ""
    return filters


def project_instruments(session: Session, project: Project) -> list[Instrument]:
    return list(
        session.scalars(
            select(Instrument)
            .where(Instrument.project_id == project.id, Instrument.current_version_id.is_not(None))
            .order_by(Instrument.title, Instrument.id)
        )
    )


def chosen_instrument(session: Session, project: Project, slug: str | None) -> Instrument | None:
    """The project's instrument called ``slug`` (404 for another project's), or None if unnamed."""
    if not slug:
        return None
    instrument = session.scalar(
        select(Instrument).where(Instrument.slug == slug, Instrument.project_id == project.id)
    )
    if instrument is None or instrument.current_version_id is None:
        abort(404)
    return instrument


def project_events(session: Session, project: Project) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Activity.id, Activity.title, Activity.starts_on)
        .where(Activity.project_id == project.id)
        .order_by(Activity.starts_on.desc().nulls_last(), Activity.id)
        .limit(MAX_EVENTS)
    )
    return [(aid, f"{title} ({day:%-d %b %Y})" if day else title) for aid, title, day in rows]


def attribute_keys(session: Session, project: Project) -> list[str]:
    """Contact attributes used in the project (region, org_type...): cross-tab columns."""
    return list(
        session.scalars(
            select(ContactAttribute.key)
            .join(Contact, Contact.id == ContactAttribute.contact_id)
            .where(Contact.project_id == project.id)
            .distinct()
            .order_by(ContactAttribute.key)
        )
    )


def _crosstab(
    session: Session, instrument: Instrument, scope: ResponseFilter, attributes: list[str]
) -> tuple[CrossTab | None, str | None]:
    row = request.args.get("row", "")
    column = request.args.get("column", "")
    percent: PercentBase = "row" if request.args.get("percent") == "row" else "column"
    if not row or not column:
        return None, None
    try:
        if column.startswith(ATTRIBUTE_PREFIX):
            key = column[len(ATTRIBUTE_PREFIX) :]
            if key not in attributes:
                return None, f"No contact attribute called '{key}' in this project"
            table = attribute_crosstab(session, instrument.slug, row, key, percent, scope)
        else:
            table = question_crosstab(session, instrument.slug, row, column, percent, scope)
    except UnknownQuestion as problem:
        return None, f"{problem}: choose questions from the lists"
    return table, None


def chart_of(table: FrequencyTable, counted: tuple[str, str] = ("respondent", "who answered")) -> BarChart:
    """The table's rows as bars, in the table's order, captioned with the table's own base.

    ``counted`` names what the base counts, singular and after the noun: respondents who
    answered a question; for theme tables, answers coded ("answer", "coded").
    """
    noun, after = counted
    return bar_chart(
        f"Bar chart of {table.label}",
        [(row.label, row.percent, row.n) for row in table.rows],
        "Bars run from 0 to 100%. The table above gives the same figures with their 95% intervals.",
        base=f"Base: {table.base} {noun}{'' if table.base == 1 else 's'} {after}",
    )


@bp.get("/projects/<slug>/summaries")
@require_project_role("viewer")
def summaries(project: Project) -> str:
    """Summary tables of one instrument (``?instrument=``), or the list of instruments."""
    session = get_session()
    instruments = project_instruments(session, project)
    instrument = chosen_instrument(session, project, request.args.get("instrument"))
    if instrument is None:
        return render_template(
            "staff/summaries.html",
            project=project,
            instruments=instruments,
            instrument=None,
            page_title=f"Summaries – {project.name}",
        )
    events = project_events(session, project)
    waves = invitation_waves(session, instrument)
    filters = read_filters({aid for aid, _ in events}, {number for number, _ in waves})
    scope = filters.scope()
    summary = summarise(session, instrument.slug, scope)
    themes = theme_tables(session, instrument.slug, scope)
    attributes = attribute_keys(session, project)
    table, crosstab_error = _crosstab(session, instrument, scope, attributes)
    closed = [info for info in question_infos(session, instrument).values() if info.type in CLOSED]
    profile, others = summary_sections(session, summary)
    return render_template(
        "staff/summaries.html",
        project=project,
        access=g.access,
        instruments=instruments,
        instrument=instrument,
        summary=summary,
        profile=profile,
        others=others,
        themes=themes,
        charts={t.name: chart_of(t) for t in summary.tables if isinstance(t, FrequencyTable)},
        theme_charts={t.name: chart_of(t, ("answer", "coded")) for t in themes},
        filters=filters,
        statuses=STATUSES,
        modes=MODES,
        events=events,
        waves=waves,
        closed=closed,
        attributes=attributes,
        crosstab=table,
        crosstab_error=crosstab_error,
        crosstab_args={k: request.args.get(k, "") for k in ("row", "column", "percent")},
        page_title=f"Summary – {instrument.title}",
    )
