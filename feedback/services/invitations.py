"""Invitation and reminder waves, the mail-merge workbook, optional SMTP sending, and the lists
of non-responders and partial responders a reminder goes to.

Most evaluators send invitations from their own mail system, so the main output is a mail-merge
workbook: one row per case with the contact's columns and their personal link. Sending through
SMTP is optional (``FEEDBACK_SMTP_HOST``) and happens *after* the wave is committed, as any side
effect should: a failed send is recorded against the invitation, never rolled back into silence.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, exists, func, insert, select, update
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import Case, Contact, ContactAttribute, Instrument, Response
from ..db.base import utcnow
from ..db.sampling import Invitation, InvitationWave

#: Characters that make a spreadsheet treat a cell as a formula (or, for tab and CR, that some
#: importers strip before doing so), per OWASP's CSV-injection guidance.


class InvitationError(ValueError):
    pass


def personal_link(base_url: str, slug: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/f/{slug}?t={token}"


def _open_cases(instrument_id: int) -> Any:
    """Cases still worth writing to: no disposition set, not opted out, not bounced."""
    return and_(
        Case.instrument_id == instrument_id,
        Case.disposition.is_(None),
        Case.opted_out.is_(False),
        Case.bounced.is_(False),
    )


def _responded(complete_only: bool) -> Any:
    condition = and_(Response.case_id == Case.id, Response.deleted_at.is_(None))
    if complete_only:
        condition = and_(condition, Response.status == "complete")
    return exists().where(condition)


def non_responders_query(instrument_id: int) -> Select[Case]:
    """The SELECT behind :func:`non_responders`, ordered, for pages that paginate it."""
    return select(Case).where(_open_cases(instrument_id), ~_responded(False)).order_by(Case.id)


def partial_responders_query(instrument_id: int) -> Select[Case]:
    """The SELECT behind :func:`partial_responders`, ordered, for pages that paginate it."""
    return (
        select(Case).where(_open_cases(instrument_id), _responded(False), ~_responded(True)).order_by(Case.id)
    )


def non_responders(session: Session, instrument_id: int) -> list[Case]:
    """Cases with nothing returned yet (and not opted out, bounced or closed by staff)."""
    return list(session.scalars(non_responders_query(instrument_id)))


def partial_responders(session: Session, instrument_id: int) -> list[Case]:
    """Cases that started but did not submit: a reminder can tell them their answers are kept."""
    return list(session.scalars(partial_responders_query(instrument_id)))


def create_wave(
    session: Session,
    instrument: Instrument,
    *,
    kind: str = "invitation",
    sent_on: date | None = None,
    note: str = "",
) -> tuple[InvitationWave, list[int]]:
    """Record a wave and the cases it goes to; return the wave and those case ids.

    An invitation goes to every case not yet invited (so cases added later get their own
    invitation); a reminder to the non-responders and partial responders among those invited.
    Raises :class:`InvitationError` when nobody would receive it.
    """
    if kind not in ("invitation", "reminder"):
        raise InvitationError(f"a wave is an invitation or a reminder, not '{kind}'")
    invited = exists().where(
        Invitation.case_id == Case.id,
        Invitation.wave_id.in_(
            select(InvitationWave.id).where(InvitationWave.instrument_id == instrument.id)
        ),
    )
    if kind == "invitation":
        query = select(Case.id).where(_open_cases(instrument.id), ~invited)
    else:
        query = select(Case.id).where(_open_cases(instrument.id), invited, ~_responded(True))
    case_ids = list(session.scalars(query.order_by(Case.id)))
    if not case_ids:
        who = "every case has been invited already" if kind == "invitation" else "nobody is left to remind"
        raise InvitationError(f"no cases for a new {kind} of '{instrument.slug}': {who}")
    number = (
        session.scalar(
            select(func.max(InvitationWave.number)).where(InvitationWave.instrument_id == instrument.id)
        )
        or 0
    ) + 1
    wave = InvitationWave(
        instrument_id=instrument.id, number=number, kind=kind, sent_on=sent_on or date.today(), note=note
    )
    session.add(wave)
    session.flush()
    session.execute(insert(Invitation), [{"wave_id": wave.id, "case_id": cid} for cid in case_ids])
    return wave, case_ids


def waves(session: Session, instrument_id: int) -> list[InvitationWave]:
    return list(
        session.scalars(
            select(InvitationWave)
            .where(InvitationWave.instrument_id == instrument_id)
            .order_by(InvitationWave.number)
        )
    )


# --- mail merge -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailMerge:
    headers: list[str]
    rows: list[list[str]]
    case_ids: list[int]


def mailmerge_rows(
    session: Session, instrument: Instrument, base_url: str, case_ids: Sequence[int] | None = None
) -> MailMerge:
    """One row per case (all, or ``case_ids``): contact columns, attributes, personal link."""
    query = (
        select(
            Case.id,
            Case.token,
            Contact.id,
            Contact.email,
            Contact.external_id,
            Contact.name,
            Contact.organisation,
        )
        .join(Contact, Contact.id == Case.contact_id)
        .where(Case.instrument_id == instrument.id)
        .order_by(Case.id)
    )
    if case_ids is not None:
        query = query.where(Case.id.in_(list(case_ids)))
    cases = session.execute(query).all()
    attributes: dict[int, dict[str, str]] = {}
    attribute_query = (
        select(ContactAttribute.contact_id, ContactAttribute.key, ContactAttribute.value)
        .join(Case, Case.contact_id == ContactAttribute.contact_id)
        .where(Case.instrument_id == instrument.id)
    )
    for contact_id, key, value in session.execute(attribute_query):
        attributes.setdefault(contact_id, {})[key] = value
    keys = sorted({k for values in attributes.values() for k in values})
    headers = ["email", "id", "name", "organisation", *keys, "link"]
    rows = [
        [
            email or "",
            external_id or "",
            name,
            organisation,
            *(attributes.get(contact_id, {}).get(k, "") for k in keys),
            personal_link(base_url, instrument.slug, token),
        ]
        for _case_id, token, contact_id, email, external_id, name, organisation in cases
    ]
    return MailMerge(headers, rows, [row[0] for row in cases])


def write_workbook(
    path: Path, headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "Invitations"
) -> None:
    """The mail merge workbook, through the one XLSX writer and its cell rule.

    Why not a writer of its own (as before): the export writer's rule is the stronger one. No
    cell becomes a formula (text that looks like one, including "\\n=..." and error values, is a
    quote-prefixed text cell, and stays text when edited in Excel), and characters a workbook
    cannot hold (NUL, other control characters, as in a contact imported before they were
    cleaned at import) are removed instead of failing the whole merge. Values are written as
    text, exactly as imported: an id or a phone number is not turned into a number.
    """
    from ..export.sheets import Sheet
    from ..export.xlsx import write_xlsx

    def text(value: object) -> str:
        return "" if value is None else str(value)

    cells = ([text(v) for v in row] for row in rows)
    sheet = Sheet(title, [text(h) for h in headers], cells, autofilter=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xlsx(path, [sheet])


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""
    starttls: bool = True


def smtp_config(settings: Settings, environ: dict[str, str] | None = None) -> SmtpConfig | None:
    """SMTP settings from ``settings.extra`` (``smtp_host``...) or ``FEEDBACK_SMTP_*``; None when
    no host is configured, in which case invitations go out by mail merge only."""
    env = os.environ if environ is None else environ
    extra = settings.extra

    def get(name: str, default: str = "") -> str:
        return str(extra.get(f"smtp_{name}") or env.get(f"FEEDBACK_SMTP_{name.upper()}") or default)

    host = get("host")
    if not host:
        return None
    return SmtpConfig(
        host=host,
        port=int(get("port", "587")),
        username=get("username"),
        password=get("password"),
        sender=get("sender", f"feedback@{host}"),
        starttls=get("starttls", "true").lower() in {"1", "true", "yes", "on"},
    )


def build_messages(merge: MailMerge, sender: str, subject: str, body: str) -> list[tuple[int, EmailMessage]]:
    """One message per row with an e-mail address; ``body`` may use {name}, {organisation}, {link}."""
    index = {h: i for i, h in enumerate(merge.headers)}
    messages = []
    for case_id, row in zip(merge.case_ids, merge.rows, strict=True):
        email = row[index["email"]]
        if not email:
            continue
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, email, subject
        message.set_content(
            body.format(
                name=row[index["name"]], organisation=row[index["organisation"]], link=row[index["link"]]
            )
        )
        messages.append((case_id, message))
    return messages


def send_messages(
    config: SmtpConfig,
    messages: Sequence[tuple[int, EmailMessage]],
    smtp_factory: Callable[..., smtplib.SMTP] | None = None,
) -> dict[int, str]:
    """Send over one SMTP connection; return case id -> error for the messages refused.

    A connection or login failure raises (``OSError``/``smtplib.SMTPException``): nothing was
    sent, and the wave's invitations stay unmarked so the caller can say so.
    """
    errors: dict[int, str] = {}
    factory = smtp_factory or smtplib.SMTP  # looked up at call time, so tests can swap it
    with factory(config.host, config.port, timeout=30) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.username:
            smtp.login(config.username, config.password)
        for case_id, message in messages:
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                errors[case_id] = str(exc) or type(exc).__name__
    return errors


def record_sending(session: Session, wave_id: int, sent: Sequence[int], errors: dict[int, str]) -> None:
    """Mark the wave's invitations as sent, or with their error."""
    now = utcnow()
    ok = [cid for cid in sent if cid not in errors]
    if ok:
        session.execute(
            update(Invitation)
            .where(Invitation.wave_id == wave_id, Invitation.case_id.in_(ok))
            .values(sent_at=now)
        )
    for case_id, error in errors.items():
        session.execute(
            update(Invitation)
            .where(Invitation.wave_id == wave_id, Invitation.case_id == case_id)
            .values(error=error)
        )
