"""Response-rate commands: ``feedback rates`` and ``feedback methodology``.

Thin, like every command: open a read session, call :mod:`feedback.services.rates`, print text
or JSON. :func:`register` also adds the fieldwork commands of :mod:`feedback.cli_fieldwork`.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, NoReturn

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Instrument
from .db.app import get_db
from .domain.rates import RATE_NAMES, RATES_USING_E, RateReport

if TYPE_CHECKING:  # imported inside the commands at run time, as before; only their types are needed here
    from .db.rate_queries import EventCounts
    from .services.rates import GroupRates, ProfileRow


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _instrument(session: Session, slug: str) -> Instrument:
    instrument = session.scalar(select(Instrument).where(Instrument.slug == slug))
    if instrument is None:
        _fail(f"no instrument called '{slug}' (see 'feedback forms list')")
    return instrument


# --- rates ------------------------------------------------------------------------------------


def _print_report(title: str, report: RateReport) -> None:
    counts = "  ".join(f"{k}={v}" for k, v in report.counts.as_dict().items())
    click.echo(f"{title}\n  {counts}")
    e = "undefined" if report.e is None else f"{report.e:.3f} ({report.e_source})"
    click.echo(f"  e = {e}, used by {', '.join(sorted(RATES_USING_E))}")
    for name in RATE_NAMES:
        click.echo(f"  {name:<6} {report.formatted(name)}")


@click.command("rates", help="AAPOR response, cooperation, refusal and contact rates.")
@click.option("--instrument", "slug", help="One instrument.")
@click.option("--project", "project_slug", help="Every instrument of a project.")
@click.option("--by", "attribute", help="Also per value of this contact attribute (e.g. region).")
@click.option("--waves", is_flag=True, help="Also cumulative after each invitation wave.")
@click.option("--profile", is_flag=True, help="Also respondents' profile beside the sample's, per attribute.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_appcontext
def rates_command(
    slug: str | None,
    project_slug: str | None,
    attribute: str | None,
    waves: bool,
    profile: bool,
    as_json: bool,
) -> None:
    from .services import rates as svc

    if slug and project_slug:
        _fail("give --instrument or --project, not both")
    with get_db().read() as session:
        if slug:
            instruments = [_instrument(session, slug)]
        elif project_slug:
            try:
                instruments = svc.project_instruments(session, project_slug)[1]
            except LookupError as exc:
                _fail(str(exc))
        else:
            instruments = list(session.scalars(select(Instrument).order_by(Instrument.slug)))
        results = svc.instrument_rates(session, instruments)
        by_value = {
            i.slug: svc.rates_by_attribute(session, i, attribute) if attribute else [] for i in instruments
        }
        by_wave = {i.slug: svc.rates_by_wave(session, i) if waves else [] for i in instruments}
        events = {i.slug: svc.rates_by_event(session, i) for i in instruments if i.kind == "event_feedback"}
        profiles = {i.slug: svc.representativeness(session, i) if profile else {} for i in instruments}
    if as_json:
        objects = []
        for item in results:
            obj = item.as_json()
            if attribute:
                obj["by"] = {"attribute": attribute, "groups": [_group_json(g) for g in by_value[item.slug]]}
            if waves:
                obj["waves"] = [_group_json(g) for g in by_wave[item.slug]]
            if item.slug in events:
                obj["events"] = [_event_json(event, report) for event, report in events[item.slug]]
            if profile:
                obj["representativeness"] = {
                    key: [_profile_json(row) for row in rows] for key, rows in profiles[item.slug].items()
                }
            objects.append(obj)
        click.echo(json.dumps(objects[0] if slug else {"instruments": objects}, indent=2))
        return
    for item in results:
        if item.report is None:
            click.echo(f"{item.slug}: {item.rate_text()}" + (f" -- {item.note}" if item.note else ""))
            continue
        _print_report(f"{item.slug}: {item.sample_text()}", item.report)
        click.echo(f"  {item.partial_rule.describe()}")
        if item.note:
            click.echo(f"  note: {item.note}")
        for group in by_value[item.slug]:
            click.echo(f"  {attribute} = {group.label}: RR2 {group.report.formatted('RR2')}")
        for group in by_wave[item.slug]:
            click.echo(f"  after {group.label}: RR2 {group.report.formatted('RR2')}")
        for event, report in events.get(item.slug, []):
            rate = report.formatted("RR2") if report else f"undefined ({event.note})"
            click.echo(f"  event {event.title}: {event.returned} returned, RR2 {rate}")
        for key, rows in profiles[item.slug].items():
            click.echo(f"  {key}: sample / respondents / difference")
            for row in rows:
                sample, respondents, difference = row.as_text()
                click.echo(f"    {row.value:<24} {sample:<22} {respondents:<22} {difference}")


def _profile_json(row: ProfileRow) -> dict[str, object]:
    return {
        "value": row.value,
        "sample": row.sample,
        "sample_base": row.sample_base,
        "respondents": row.respondents,
        "respondent_base": row.respondent_base,
        "difference_pp": row.difference_pp,
    }


def _event_json(event: EventCounts, report: RateReport | None) -> dict[str, object]:
    return {
        "activity_id": event.activity_id,
        "title": event.title,
        "returned": event.returned,
        "sample": event.base,
        "counts": event.counts,
        "rates": report.rates if report else dict.fromkeys(RATE_NAMES),
        "note": event.note,
    }


def _group_json(group: GroupRates) -> dict[str, object]:
    return {
        "value": group.label,
        "cases": group.counts.total,
        "counts": group.counts.as_dict(),
        "e": group.report.e,
        "rates": group.report.rates,
    }


@click.command("methodology", help="The methodology table (Table 2.1) for a project, from live data.")
@click.option("--project", "project_slug", required=True)
@click.option("--rate", default="RR2", show_default=True, type=click.Choice(RATE_NAMES))
@with_appcontext
def methodology_command(project_slug: str, rate: str) -> None:
    from .services.rates import methodology_table

    with get_db().read() as session:
        try:
            rows = methodology_table(session, project_slug, rate)
        except LookupError as exc:
            _fail(str(exc))
    click.echo(f"{'instrument':<42} {'method':<20} {'mode':<24} {'cases':>6} {'responses':>9}  {rate}")
    for row in rows:
        cases = "-" if row.cases is None else str(row.cases)
        click.echo(
            f"{row.instrument:<42} {row.method:<20} {row.modes:<24} {cases:>6} {row.responses:>9}  {row.rate}"
        )
        if row.outside:
            click.echo(f"    outside the sample (in no rate): {row.outside}")
        if row.note:
            click.echo(f"    note: {row.note}")
    for rule in sorted({row.partial_rule for row in rows if row.partial_rule}):
        click.echo(rule)


def register(app: Flask) -> None:
    from .cli_fieldwork import FIELDWORK_COMMANDS

    for command in (*FIELDWORK_COMMANDS, rates_command, methodology_command):
        app.cli.add_command(command)
