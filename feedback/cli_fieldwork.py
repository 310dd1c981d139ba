"""Fieldwork commands: ``feedback contacts``, ``invitations``, ``dispositions`` and ``calls``.

Thin, like every command: parse, open one transaction, call a service, print. Errors a user can
cause (a bad row, an unknown slug, code or token) exit non-zero with the message and write nothing.
Registered with the rates commands by :func:`feedback.cli_rates.register`.
"""

from __future__ import annotations

import secrets
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Instrument
from .db.app import get_db

if TYPE_CHECKING:
    from .services.sampling import SampleResult


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def _instrument(session: Session, slug: str) -> Instrument:
    instrument = session.scalar(select(Instrument).where(Instrument.slug == slug))
    if instrument is None:
        _fail(f"no instrument called '{slug}' (see 'feedback forms list')")
    return instrument


# --- contacts ---------------------------------------------------------------------------------


@click.group("contacts", help="Contact lists, attendance registers and samples.")
def contacts_group() -> None:
    pass


@contacts_group.command("import", help="Import a contact list (.xlsx or .csv) into an instrument's sample.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instrument", "slug", required=True, help="The instrument whose sample this is.")
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and list the bad ones.")
@click.option(
    "--sample",
    "n",
    type=int,
    help="Instead of taking everyone, draw N of the project's contacts not yet cases of the instrument.",
)
@click.option("--seed", type=int, help="Random seed for the sample (printed, so the draw can be repeated).")
@click.option("--strata", help="Contact column to stratify the sample by (proportional allocation).")
@click.option("--activity", "activity_id", type=int, help="Also record the list as this activity's register.")
@with_appcontext
def contacts_import(
    file: Path,
    slug: str,
    skip_invalid: bool,
    n: int | None,
    seed: int | None,
    strata: str | None,
    activity_id: int | None,
) -> None:
    from .services.contacts import ContactImportError, import_contacts
    from .services.sampling import SampleError, draw_sample

    if (seed is not None or strata) and n is None:
        _fail("--seed and --strata only apply with --sample N")
    if n is not None and seed is None:
        seed = secrets.randbelow(2**31)
    try:
        with get_db().write() as session:
            instrument = _instrument(session, slug)
            report = import_contacts(
                session,
                file,
                instrument,
                skip_invalid=skip_invalid,
                create_case=n is None,
                activity_id=activity_id,
            )
            drawn = draw_sample(session, instrument, n, seed or 0, strata=strata) if n is not None else None
    except ContactImportError as exc:
        click.echo("\n".join(f"{exc.source}: {p}" for p in exc.problems), err=True)
        sys.exit(1)
    except SampleError as exc:
        _fail(f"sample: {exc}; nothing was imported")
    for problem in report.skipped_summary():  # the first 20 and how many, not one line per row
        click.echo(f"skipped {problem}", err=True)
    for warning in report.warnings:  # encodings guessed, control characters removed
        click.echo(f"warning: {file}: {warning}", err=True)
    click.echo(f"contacts: {report.created} new, {report.updated} updated, {len(report.skipped)} skipped")
    if report.attendance_added:
        click.echo(f"register: {report.attendance_added} added to activity {activity_id}")
    if drawn is not None:
        click.echo(f"sample: {_sample_line(drawn, slug, seed or 0)}")
    else:
        click.echo(f"cases: {report.cases_created} new for {slug}")


def _sample_line(result: SampleResult, slug: str, seed: int) -> str:
    """E.g. "3 of 12 eligible drawn, seed 42 (4 of the 16 contacts are already cases of s)": the
    number drawn is the number of new cases, and those left out are counted, not hidden."""
    if result.draw is None:
        from .services.sampling import nobody_eligible

        return f"none drawn: {nobody_eligible(result.contacts)}"
    by = f" stratified by {result.draw.strata_column}" if result.draw.strata_column else ""
    if not result.already:
        return f"{len(result.chosen)} of {result.contacts} drawn{by}, seed {seed}"
    verb = "is already a case" if result.already == 1 else "are already cases"
    return (
        f"{len(result.chosen)} of {result.eligible} eligible drawn{by}, seed {seed} "
        f"({result.already} of the {result.contacts} contacts {verb} of {slug})"
    )


@contacts_group.command("attending", help="Record how many attended ACTIVITY_ID (its head count).")
@click.argument("activity_id", type=int)
@click.argument("number", type=int)
@click.option("--note", default="", help="Where the number comes from (e.g. 'sign-in sheet').")
@with_appcontext
def contacts_attending(activity_id: int, number: int, note: str) -> None:
    from .services.contacts import ContactImportError, set_attending

    try:
        with get_db().write() as session:
            set_attending(session, activity_id, number, note)
    except ContactImportError as exc:
        _fail(str(exc))
    click.echo(f"activity {activity_id}: {number} attending")


# --- invitations ------------------------------------------------------------------------------


@click.group("invitations", help="Invitation and reminder waves, mail merge, non-responders.")
def invitations_group() -> None:
    pass


@invitations_group.command(
    "wave", help="Record an invitation (or --reminder) wave; optionally --send by SMTP."
)
@click.option("--instrument", "slug", required=True)
@click.option("--reminder", is_flag=True, help="Remind the non-responders and partial responders.")
@click.option("--on", "sent_on", type=click.DateTime(["%Y-%m-%d"]), help="Date sent (default today).")
@click.option("--note", default="")
@click.option("--send", is_flag=True, help="Send the e-mails now through FEEDBACK_SMTP_HOST.")
@click.option("--subject", default="An invitation to give your feedback")
@click.option("--body", default="Dear {name},\n\nPlease give your feedback here:\n{link}\n")
@with_appcontext
def invitations_wave(
    slug: str, reminder: bool, sent_on: datetime | None, note: str, send: bool, subject: str, body: str
) -> None:
    from .services import invitations as inv

    settings = current_app.config["FEEDBACK_SETTINGS"]
    config = inv.smtp_config(settings) if send else None
    if send and config is None:
        _fail("--send needs FEEDBACK_SMTP_HOST; without it, export a mail-merge workbook instead")
    try:
        body.format(name="", organisation="", link="")
    except (KeyError, IndexError, ValueError) as exc:
        _fail(f"--body may use {{name}}, {{organisation}} and {{link}} only (problem: {exc})")
    kind = "reminder" if reminder else "invitation"
    try:
        with get_db().write() as session:
            instrument = _instrument(session, slug)
            wave, case_ids = inv.create_wave(
                session, instrument, kind=kind, sent_on=sent_on.date() if sent_on else None, note=note
            )
            merge = inv.mailmerge_rows(session, instrument, settings.base_url, case_ids) if config else None
            wave_id, number = wave.id, wave.number
    except inv.InvitationError as exc:
        _fail(str(exc))
    click.echo(f"wave {number} ({kind}): {len(case_ids)} cases")
    if config is not None and merge is not None:
        messages = inv.build_messages(merge, config.sender, subject, body)
        try:
            errors = inv.send_messages(config, messages)
        except (OSError, inv.smtplib.SMTPException) as exc:
            _fail(f"wave {number} is recorded but nothing was sent: {config.host}: {exc}")
        with get_db().write() as session:
            inv.record_sending(session, wave_id, [cid for cid, _m in messages], errors)
        click.echo(f"sent {len(messages) - len(errors)}, failed {len(errors)}")


@invitations_group.command(
    "mailmerge", help="Write the mail-merge workbook: contact columns and personal links."
)
@click.option("--instrument", "slug", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--wave", "wave_number", type=int, help="Only the cases in this wave (e.g. a reminder).")
@with_appcontext
def invitations_mailmerge(slug: str, output: Path, wave_number: int | None) -> None:
    from .db.sampling import Invitation, InvitationWave
    from .services import invitations as inv

    settings = current_app.config["FEEDBACK_SETTINGS"]
    with get_db().read() as session:
        instrument = _instrument(session, slug)
        case_ids = None
        if wave_number is not None:
            case_ids = list(
                session.scalars(
                    select(Invitation.case_id)
                    .join(InvitationWave, InvitationWave.id == Invitation.wave_id)
                    .where(
                        InvitationWave.instrument_id == instrument.id, InvitationWave.number == wave_number
                    )
                )
            )
            if not case_ids:
                _fail(f"'{slug}' has no wave {wave_number}")
        merge = inv.mailmerge_rows(session, instrument, settings.base_url, case_ids)
    inv.write_workbook(output, merge.headers, merge.rows)
    click.echo(f"wrote {output}: {len(merge.rows)} rows")


@invitations_group.command("nonresponders", help="List non-responders and, separately, partial responders.")
@click.option("--instrument", "slug", required=True)
@with_appcontext
def invitations_nonresponders(slug: str) -> None:
    from .services import invitations as inv

    with get_db().read() as session:
        instrument = _instrument(session, slug)
        for title, cases in (
            ("non-responders", inv.non_responders(session, instrument.id)),
            ("partial responders", inv.partial_responders(session, instrument.id)),
        ):
            click.echo(f"{title}: {len(cases)}")
            for case in cases:
                contact = case.contact
                who = (contact.email or contact.external_id or "") if contact else ""
                name = f" ({contact.name})" if contact and contact.name else ""
                click.echo(f"  {who}{name}")


# --- dispositions and calls -------------------------------------------------------------------


@click.group("dispositions", help="Final dispositions of cases.")
def dispositions_group() -> None:
    pass


@dispositions_group.command("set", help="Set a case's disposition (I P R NC O UH UO NE, or 'derive').")
@click.argument("token")
@click.argument("code")
@click.option("--reason", required=True, help="Why (kept with the case).")
@click.option("--by", "changed_by", default="", help="Who is setting it.")
@with_appcontext
def dispositions_set(token: str, code: str, reason: str, changed_by: str) -> None:
    from .services.dispositions import DispositionError, case_by_token, case_disposition, set_disposition

    try:
        with get_db().write() as session:
            case = case_by_token(session, token)
            new = None if code.lower() == "derive" else code
            change = set_disposition(session, case, new, reason, changed_by=changed_by)
            final = case_disposition(session, case.id)
    except DispositionError as exc:
        _fail(str(exc))
    click.echo(
        f"case {change.case_id}: {change.previous or 'derived'} -> {change.new or 'derived'} (now {final})"
    )


@click.group("calls", help="Call attempts for telephone and face-to-face methods.")
def calls_group() -> None:
    pass


@calls_group.command("log", help="Record a call attempt: OUTCOME is no_answer, busy, appointment, ...")
@click.argument("token")
@click.argument("outcome")
@click.option("--interviewer", default="")
@click.option("--at", "attempted_at", type=click.DateTime(), help="When (default now, UTC).")
@click.option("--next", "next_appointment", type=click.DateTime(), help="Appointment date and time.")
@click.option("--note", default="")
@with_appcontext
def calls_log(
    token: str,
    outcome: str,
    interviewer: str,
    attempted_at: datetime | None,
    next_appointment: datetime | None,
    note: str,
) -> None:
    from .services.dispositions import DispositionError, case_by_token, case_disposition, log_call

    try:
        with get_db().write() as session:
            case = case_by_token(session, token)
            log_call(
                session,
                case,
                outcome,
                attempted_at=attempted_at,
                interviewer=interviewer,
                note=note,
                next_appointment=next_appointment,
            )
            final = case_disposition(session, case.id)
    except DispositionError as exc:
        _fail(str(exc))
    click.echo(f"logged {outcome}; case disposition now {final}")


FIELDWORK_COMMANDS = (contacts_group, invitations_group, dispositions_group, calls_group)
