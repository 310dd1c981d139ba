"""Importing contact lists and attendance registers (samples are drawn in :mod:`.sampling`).

A contact list is an .xlsx or .csv file with a header row. ``email`` or ``id`` identifies a
contact (``id`` when the file has that column, so a list without e-mails still re-imports
cleanly); ``name`` and ``organisation`` are kept on the contact; every other column becomes a
contact attribute (``region``, ``org_type``...) for rates by subgroup and representativeness.

Importing is all-or-nothing: the whole file is checked first, and any bad row stops the import
with its row number and reason (``skip_invalid=True`` imports the good rows and reports the
others; a message lists the first 20 bad rows and how many there are). Reading the file, with
its limits, encodings and control characters, is :mod:`.contact_files`. Re-importing a list
updates the contacts it already knows. Nothing is committed here: the caller owns the transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..db import Case, Contact, ContactAttribute, Instrument
from ..db.sampling import AttendanceEntry
from .contact_files import ContactImportError as ContactImportError  # re-exported: callers catch it here
from .contact_files import Deadline, read_table, summarise

#: Columns kept on the contact itself; every other column is an attribute.
CONTACT_COLUMNS = frozenset({"email", "id", "name", "organisation"})
_ALIASES = {"e-mail": "email", "email_address": "email", "organization": "organisation"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_VALUE = 500
_CHUNK = 500


@dataclass(frozen=True)
class ContactRow:
    row: int  # the row number a spreadsheet shows (the header is row 1)
    key: str  # "email" or "id": which column identifies the contact
    identity: str
    email: str | None
    external_id: str | None
    name: str
    organisation: str
    attributes: dict[str, str]


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    cases_created: int = 0
    attendance_added: int = 0
    skipped: list[str] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    #: What reading the file changed or could not be sure of (encoding, control characters).
    warnings: list[str] = field(default_factory=list)
    cleaned: int = 0  # values from which control characters were removed

    def skipped_summary(self) -> list[str]:
        """The skipped rows as a message lists them: all of them, or a count and the first few."""
        return summarise(self.skipped)


def normalise_header(name: object) -> str:
    text = re.sub(r"\s+", "_", str(name or "").strip().lower())
    return _ALIASES.get(text, text)


def parse_rows(
    source: str, table: list[list[str]], deadline: Deadline | None = None
) -> tuple[list[ContactRow], list[str]]:
    """Check every row; return the good rows and one message per bad row.

    A file-level problem (no header, no ``email``/``id`` column, repeated column) raises at once,
    and so does running past ``deadline``.
    """
    if not table or not any(table[0]):
        raise ContactImportError(source, ["row 1: expected a header row, found an empty row"])
    headers = [normalise_header(h) for h in table[0]]
    seen: dict[str, int] = {}
    for col, name in enumerate(headers, start=1):
        if name and name in seen:
            raise ContactImportError(
                source, [f"row 1: column '{name}' appears twice (columns {seen[name]} and {col})"]
            )
        seen[name] = col
    key = "id" if "id" in seen else "email" if "email" in seen else None
    if key is None:
        found = ", ".join(h for h in headers if h) or "none"
        raise ContactImportError(source, [f"row 1: expected an 'email' or 'id' column, found {found}"])
    good: list[ContactRow] = []
    problems: list[str] = []
    first_seen: dict[str, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        if deadline is not None:
            deadline.check(number)
        values = {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h}
        if not any(values.values()):
            continue
        email = values.get("email", "").lower() or None
        external_id = values.get("id") or None
        identity = external_id if key == "id" else email
        if not identity:
            problems.append(f"row {number}: no {'id' if key == 'id' else 'e-mail'} (column '{key}' is empty)")
            continue
        if email and not _EMAIL.match(email):
            problems.append(f"row {number}: '{values['email']}' is not an e-mail address")
            continue
        too_long = [h for h, v in values.items() if len(v) > _MAX_VALUE]
        if too_long:
            problems.append(f"row {number}: column '{too_long[0]}' is longer than {_MAX_VALUE} characters")
            continue
        for label, value in (("e-mail", email), ("id", external_id)):
            if value is None:
                continue
            earlier = first_seen.setdefault(f"{label}:{value}", number)
            if earlier != number:
                problems.append(f"row {number}: {label} '{value}' is also on row {earlier}")
                break
        else:
            attrs = {h: v for h, v in values.items() if h not in CONTACT_COLUMNS and v != ""}
            good.append(
                ContactRow(number, key, identity, email, external_id, values.get("name", ""),
                           values.get("organisation", ""), attrs)
            )  # fmt: skip
    return good, problems


def project_id_of(instrument: Instrument) -> int:
    if instrument.project_id is None:
        raise ContactImportError(
            instrument.slug, [f"instrument '{instrument.slug}' belongs to no project, so it has no contacts"]
        )
    return instrument.project_id


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def upsert_contacts(session: Session, project_id: int, rows: Sequence[ContactRow]) -> tuple[list[int], int]:
    """Insert new contacts, update known ones (matched by e-mail or id); return ids and how many
    were new. Attributes named in the file are replaced; other attributes are kept."""
    column = Contact.external_id if rows and rows[0].key == "id" else Contact.email
    known = dict(session.execute(select(column, Contact.id).where(Contact.project_id == project_id)).all())
    new = [r for r in rows if r.identity not in known]
    if new:
        session.execute(
            insert(Contact),
            [{"project_id": project_id, "email": r.email, "external_id": r.external_id, "name": r.name,
              "organisation": r.organisation} for r in new],
        )  # fmt: skip
        known = dict(
            session.execute(select(column, Contact.id).where(Contact.project_id == project_id)).all()
        )
    new_identities = {r.identity for r in new}
    old = [r for r in rows if r.identity not in new_identities]
    if old:
        # Core executemany: the ORM's bulk UPDATE wants primary keys by name
        table = cast(Table, Contact.__table__)
        session.execute(
            update(table)
            .where(table.c.id == bindparam("cid"))
            .values(
                email=func.coalesce(bindparam("e"), table.c.email),  # a list without e-mails keeps them
                external_id=func.coalesce(bindparam("x"), table.c.external_id),
                name=bindparam("n"),
                organisation=bindparam("o"),
            ),
            [
                {"cid": known[r.identity], "e": r.email, "x": r.external_id, "n": r.name, "o": r.organisation}
                for r in old
            ],
        )
    ids = [known[r.identity] for r in rows]
    keys = sorted({k for r in rows for k in r.attributes})
    old_ids = [known[r.identity] for r in old]
    if keys and old_ids:
        for chunk in _chunks(old_ids):
            session.execute(
                delete(ContactAttribute).where(
                    and_(ContactAttribute.contact_id.in_(chunk), ContactAttribute.key.in_(keys))
                )
            )
    attribute_rows = [
        {"contact_id": known[r.identity], "key": k, "value": v} for r in rows for k, v in r.attributes.items()
    ]
    if attribute_rows:
        session.execute(insert(ContactAttribute), attribute_rows)
    session.expire_all()
    return ids, len(new)


def create_cases(session: Session, instrument: Instrument, contact_ids: Iterable[int]) -> int:
    """Give each contact a case (with a fresh 256-bit link token) unless it has one already."""
    existing = set(session.scalars(select(Case.contact_id).where(Case.instrument_id == instrument.id)))
    wanted = [cid for cid in dict.fromkeys(contact_ids) if cid not in existing]
    if wanted:
        session.execute(
            insert(Case),
            [
                {"instrument_id": instrument.id, "contact_id": cid, "token": secrets.token_urlsafe(32)}
                for cid in wanted
            ],
        )
    return len(wanted)


def _clashes(session: Session, project_id: int, rows: Sequence[ContactRow]) -> dict[int, str]:
    """Rows matched by id whose e-mail already belongs to another contact of the project: row
    number -> message. Caught here so the user gets the row, not a database constraint error.
    (Rows matched by e-mail carry no id: a file with an ``id`` column is matched by id.)"""
    known = session.execute(
        select(Contact.external_id, Contact.email).where(Contact.project_id == project_id)
    ).all()
    by_email = {email: ext for ext, email in known if email}
    clashes = {}
    for r in rows:
        if r.key == "id" and r.email and r.email in by_email and by_email[r.email] != r.external_id:
            other = by_email[r.email] or "no id"
            clashes[r.row] = f"row {r.row}: e-mail '{r.email}' already belongs to another contact ({other})"
    return clashes


def import_contacts(
    session: Session,
    path: Path,
    instrument: Instrument,
    *,
    skip_invalid: bool = False,
    create_case: bool = True,
    activity_id: int | None = None,
    name: str | None = None,
) -> ImportReport:
    """Import a contact list into the instrument's project (and, unless sampling, its sample).

    ``activity_id`` also records everyone on the list as attending that activity (an attendance
    register). ``name`` is what messages call the file (an upload's own name, so a message never
    shows the server's temporary path); the path by default. Raises :class:`ContactImportError`
    with the bad rows (the first :data:`~.contact_files.MAX_LISTED` and how many there are), and
    writes nothing, unless ``skip_invalid`` is set; a file past a limit (size, compression, rows,
    columns, time: see :mod:`.contact_files`) is refused either way.
    """
    project_id = project_id_of(instrument)
    source = name or str(path)
    deadline = Deadline(source)
    table = read_table(path, source, deadline)
    rows, problems = parse_rows(source, table.rows, deadline)
    clashes = _clashes(session, project_id, rows)
    if clashes:
        problems = [*problems, *clashes.values()]
        rows = [r for r in rows if r.row not in clashes]
    if problems and not skip_invalid:
        raise ContactImportError(source, [*summarise(problems), "nothing was imported"])
    report = ImportReport(skipped=problems, warnings=table.warnings, cleaned=table.cleaned)
    if not rows:
        return report
    ids, created = upsert_contacts(session, project_id, rows)
    report.created, report.updated, report.contact_ids = created, len(rows) - created, ids
    if create_case:
        report.cases_created = create_cases(session, instrument, ids)
    if activity_id is not None:
        report.attendance_added = add_attendance(session, activity_id, ids)
    session.flush()
    return report


def add_attendance(session: Session, activity_id: int, contact_ids: Iterable[int]) -> int:
    """Put contacts on an activity's attendance register (once each)."""
    present = set(
        session.scalars(select(AttendanceEntry.contact_id).where(AttendanceEntry.activity_id == activity_id))
    )
    wanted = [cid for cid in dict.fromkeys(contact_ids) if cid not in present]
    if wanted:
        session.execute(
            insert(AttendanceEntry), [{"activity_id": activity_id, "contact_id": c} for c in wanted]
        )
    return len(wanted)


def set_attending(session: Session, activity_id: int, attending: int | None, note: str = "") -> None:
    """Record an activity's head count (the denominator of its feedback forms when there is no
    register) and where it came from. Raises :class:`ContactImportError` for an unknown activity
    or a negative count."""
    from ..db import Activity

    activity = session.get(Activity, activity_id)
    if activity is None:
        raise ContactImportError(f"activity {activity_id}", ["no such activity"])
    if attending is not None and attending < 0:
        raise ContactImportError(
            activity.title, [f"the number attending cannot be negative (got {attending})"]
        )
    activity.attending, activity.attending_note = attending, note
    session.flush()
