"""``feedback summary``, ``feedback export``, ``feedback attendance`` and ``feedback responses import``.

Thin commands: parse options into a :class:`ResponseFilter`, call the services, print. Errors a
user can cause (unknown instrument, bad file) end with a message and exit status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from .db import Instrument
from .db.app import get_db
from .db.summary_queries import STATUSES, ResponseFilter
from .domain.instrument import MODES
from .domain.summary import (
    BASE_LABEL,
    MISSING_LABEL,
    NOT_SHOWN_LABEL,
    FrequencyTable,
    NumericSummary,
    format_percent,
)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _date(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        message = f"expected a date like 2026-03-01, got '{value}'"
        raise click.BadParameter(message, param_hint=option) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_Command = TypeVar("_Command", bound=Callable[..., Any])


def filter_options(command: _Command) -> _Command:
    """The options every analysis command shares, turned into a ``scope`` argument."""
    options = [
        click.option(
            "--status",
            "statuses",
            multiple=True,
            type=click.Choice(STATUSES),
            help="Only responses with this status (repeat for several; default: all).",
        ),
        click.option("--mode", "modes", multiple=True, type=click.Choice(MODES), help="Only this mode."),
        click.option("--event", "events", multiple=True, type=int, help="Only this activity id."),
        click.option("--since", help="Submitted on or after this date (YYYY-MM-DD)."),
        click.option("--until", help="Submitted before this date (YYYY-MM-DD)."),
        click.option(
            "--wave",
            type=click.IntRange(min=1),
            help="Only responses of cases first invited in this invitation wave (its number).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def make_filter(
    statuses: tuple[str, ...],
    modes: tuple[str, ...],
    events: tuple[int, ...],
    since: str | None,
    until: str | None,
    wave: int | None = None,
) -> ResponseFilter:
    return ResponseFilter(
        statuses=statuses,
        modes=modes,
        activity_ids=events,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        wave=wave,
    )


def _wave_problem(session: Session, instruments: list[Instrument], wave: int | None) -> str | None:
    """Why ``--wave`` selects nothing, or None. One instrument must have that invitation wave;
    a project's export needs it in at least one instrument (waves are numbered per instrument)."""
    from .services.summaries import UnknownWave, check_wave

    if wave is None:
        return None
    problems = []
    for instrument in instruments:
        try:
            check_wave(session, instrument, wave)
        except UnknownWave as problem:
            problems.append(str(problem))
        else:
            return None
    return "--wave: " + "; ".join(problems)


def _print_table(table: FrequencyTable | NumericSummary) -> None:
    click.echo("")
    click.echo(f"{table.label}  [{table.name}, {table.type}]")
    if isinstance(table, NumericSummary):
        if table.n == 0:
            click.echo("  no answers")
        else:
            click.echo(
                f"  n={table.n}  mean={table.mean:.2f}  median={table.median:g}  "
                f"min={table.minimum:g}  max={table.maximum:g}"
            )
        click.echo(f"  {MISSING_LABEL}: {table.missing}   {NOT_SHOWN_LABEL}: {table.not_shown}")
        return
    width = max([len(r.label) for r in table.rows] + [20])
    click.echo(f"  {'Answer':<{width}} {'n':>6} {'%':>7}  95% CI")
    for row in table.rows:
        ci = "" if row.ci_low is None else f"{row.ci_low:.1f}-{row.ci_high:.1f}"
        percent = format_percent(row.percent, None, table.base)
        click.echo(f"  {row.label:<{width}} {row.n:>6} {percent:>7}  {ci}")
    click.echo(
        f"  {BASE_LABEL}: {table.base}   {MISSING_LABEL}: {table.missing}   "
        f"{NOT_SHOWN_LABEL}: {table.not_shown}"
    )
    for note in (table.note, table.warning):
        if note:
            click.echo(f"  note: {note}")


@click.command("summary", help="Print an instrument's summary tables (n, % and base), or --json.")
@click.option("--instrument", "slug", required=True, help="The instrument's slug (form_id).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@filter_options
@with_appcontext
def summary_command(slug: str, as_json: bool, **filters: object) -> None:
    from .services.instruments import UnknownInstrument, get_instrument
    from .services.summaries import summarise

    scope = make_filter(**filters)  # type: ignore[arg-type]
    with get_db().read() as session:
        try:
            problem = _wave_problem(session, [get_instrument(session, slug)], scope.wave)
            summary = summarise(session, slug, scope)
        except UnknownInstrument:
            _fail(f"no instrument called '{slug}' (see 'feedback forms list')")
            return
        if problem:
            _fail(problem)
    if as_json:
        click.echo(json.dumps(summary.to_json_dict(), indent=2, ensure_ascii=False))
        return
    counts = ", ".join(f"{status} {n}" for status, n in summary.responses.items())
    click.echo(f"{summary.title} ({summary.slug}): {counts}")
    for table in summary.tables:
        _print_table(table)


def _default_output(slug: str, file_format: str) -> Path:
    settings = current_app.config["FEEDBACK_SETTINGS"]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.exports_path) / f"{slug}-{stamp}.{file_format}"


@click.command(
    "export",
    help="Write responses, codebook, summary, rates and free text to a workbook, "
    "or the responses to CSV, SPSS (.sav) or Stata (.dta) files.",
)
@click.option("--instrument", "instrument_slug", help="Export this instrument.")
@click.option("--project", "project_slug", help="Export every instrument of this project.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (default: a dated file in the exports folder).",
)
@click.option(
    "--values",
    type=click.Choice(["labels", "codes"]),
    default="labels",
    show_default=True,
    help="Choice answers as their labels or their codes.",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["xlsx", "csv", "sav", "dta"]),
    default="xlsx",
    show_default=True,
    help="csv writes FILE-responses.csv and FILE-codebook.csv; sav (SPSS) and dta (Stata) write the "
    "responses as labelled variables (codes with value labels, whatever --values says), never identified.",
)
@click.option(
    "--identified",
    is_flag=True,
    help="Add a Respondents sheet with names and e-mail addresses (needs --as; logged).",
)
@click.option(
    "--as",
    "as_email",
    metavar="EMAIL",
    help="The staff account an identified export is for: an admin, or an evaluator allowed to identify.",
)
@filter_options
@with_appcontext
def export_command(
    instrument_slug: str | None,
    project_slug: str | None,
    output: Path | None,
    values: str,
    file_format: str,
    identified: bool,
    as_email: str | None,
    **filters: object,
) -> None:
    from .services.exports import UnknownProject, count_in_scope, export_csv, export_xlsx, instruments_of
    from .services.instruments import UnknownInstrument
    from .services.stat_exports import STAT_FORMATS, export_stat

    statistical = file_format in STAT_FORMATS
    if identified and statistical:
        _fail("SPSS and Stata files are never identified: use --format xlsx or csv for names and e-mails")
    if identified and not as_email:
        _fail("an identified export names who it is for: add --as EMAIL (an account allowed to see names)")

    if bool(instrument_slug) == bool(project_slug):
        _fail("give either --instrument SLUG or --project SLUG")
    scope = make_filter(**filters)  # type: ignore[arg-type]
    settings = current_app.config["FEEDBACK_SETTINGS"]
    target = output or _default_output(instrument_slug or project_slug or "export", file_format)
    with get_db().read() as session:
        try:
            instruments = instruments_of(session, instrument_slug, project_slug)
        except UnknownInstrument:
            _fail(f"no instrument called '{instrument_slug}' (see 'feedback forms list')")
            return
        except UnknownProject:
            _fail(f"no project called '{project_slug}'")
            return
        if not instruments:
            _fail(f"project '{project_slug}' has no instruments")
        problem = _wave_problem(session, instruments, scope.wave)
        if problem:
            _fail(problem)
        if identified:
            _authorise_identified(instruments, as_email or "")
        total = count_in_scope(session, instruments, scope)
        write = export_xlsx if file_format == "xlsx" else export_csv
        with click.progressbar(length=total, label="responses", file=sys.stderr) as bar:
            if statistical:
                result = export_stat(
                    session, instruments, target, scope, settings.secret_key, file_format, bar.update
                )
            else:
                result = write(
                    session, instruments, target, scope, settings.secret_key, values, bar.update,  # type: ignore[arg-type]
                    identified=identified,
                )  # fmt: skip
    for path in result.paths:
        click.echo(f"wrote {path}")
    sheets = ", ".join(f"{name} {n}" for name, n in result.rows.items())
    click.echo(f"rows: {sheets}")
    if result.long_texts and statistical:
        click.echo(
            f"note: {result.long_texts} answer(s) longer than an SPSS string (32,767 bytes) continue "
            "in the variables NAME_p2, NAME_p3..."
        )
    elif result.long_texts:
        click.echo(
            f"note: {result.long_texts} answer(s) longer than an Excel cell continue on the 'Long text' sheet"
        )


def _authorise_identified(instruments: Sequence[Instrument], email: str) -> None:
    """Check and log (in its own committed transaction, before any file is written)."""
    from .services.identified import NotAllowed, authorise_identified_export, user_for_identified_export

    try:
        with get_db().write() as session:
            user = user_for_identified_export(session, email)
            authorise_identified_export(session, user, instruments, channel="cli export")
    except NotAllowed as problem:
        _fail(str(problem))


@click.group("responses", help="Responses: import them from a workbook or CSV.")
def responses_group() -> None:
    pass


@responses_group.command("import", help="Import FILE (.xlsx or .csv in the layout of our Responses sheet).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instrument", "slug", required=True, help="The instrument the responses answer.")
@click.option(
    "--skip-invalid", is_flag=True, help="Leave out bad rows (listed) instead of importing nothing."
)
@with_appcontext
def responses_import(file: Path, slug: str, skip_invalid: bool) -> None:
    from .services.instruments import UnknownInstrument
    from .services.response_import import ImportProblem, import_responses

    try:
        with get_db().write() as session:
            result = import_responses(session, slug, file, skip_invalid=skip_invalid)
    except UnknownInstrument:
        _fail(f"no instrument called '{slug}' (see 'feedback forms list')")
        return
    except ImportProblem as problem:
        _fail(f"{problem}\nnothing was imported")
        return
    for skipped in result.skipped:
        click.echo(f"skipped: {skipped}", err=True)
    click.echo(f"imported {result.imported} response(s) into {slug}; skipped {len(result.skipped)}")


@click.command("attendance", help="Print a project's activities: events and attendance by region.")
@click.option("--project", "slug", required=True, help="The project's slug.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@with_appcontext
def attendance_command(slug: str, as_json: bool) -> None:
    from .services.attendance import UnknownProject, project_attendance

    with get_db().read() as session:
        try:
            table = project_attendance(session, slug)
        except UnknownProject:
            _fail(f"no project called '{slug}'")
            return
    if as_json:
        click.echo(json.dumps(table.to_json_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(table.title)
    for group in table.groups:
        click.echo("")
        if group.output:
            click.echo(f"{group.series}  [output, not an event]")
            for item in group.activities:
                click.echo(f"  {item.title}")
            continue
        click.echo(f"{group.series}: {group.events} event(s), attending {group.attending_text}")
        for line in group.regions:
            click.echo(
                f"  {line.region or '(no region)'}: {line.events} event(s), attending {line.attending_text}"
            )
    click.echo("")
    click.echo(f"All activities: {table.events} event(s), attending {table.attending_text}")
    click.echo(table.base_text)


def register(app: Flask) -> None:
    """Add the commands to the app's CLI (called from ``feedback.cli.init_app``)."""
    app.cli.add_command(summary_command)
    app.cli.add_command(export_command)
    app.cli.add_command(attendance_command)
    app.cli.add_command(responses_group)
