"""What every part of the demo writes through: contacts, cases and responses, in bulk, marked demo.

:class:`Demo` holds the session, the seed and what has been created so far (projects, activities,
loaded instruments, counts for the closing summary). Each project module takes it and calls
:meth:`Demo.run_cases` (interviewer-style instruments: a contact and case per interviewee) or
:meth:`Demo.record` directly. A response ``record_response`` refuses (an instrument edited since
the demo was written) is reported through ``progress`` and left out, never raised.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ...db import Activity, Case, Contact, ContactAttribute, Project
from ..responses import InvalidAnswers, record_response
from . import tables
from .answers import Form, draw_answers, email_local, moment


@dataclass
class Entry:
    """One case of an interviewer-style instrument, with the response to record (if any)."""

    plan: Mapping[str, object] | None
    mode: str = "telephone"
    when: datetime | None = None
    person: Mapping[str, object] | None = None
    contact_id: int | None = None
    activity_id: int | None = None
    disposition: str | None = None
    reason: str = ""
    minutes: int = 40


def _attributes(person: Mapping[str, object]) -> Mapping[str, object]:
    """A demo person's contact attributes (key -> value), empty when they have none."""
    given = person.get("attributes")
    return given if isinstance(given, Mapping) else {}


class Demo:
    """One load of the demo: the session it writes to, its seed, and what it has created so far."""

    def __init__(self, session: Session, progress: Callable[[str], None], seed: int):
        self.session = session
        self.progress = progress
        self.seed = seed
        self.projects: dict[str, Project] = {}
        self.activities: dict[str, Activity] = {}
        self.forms: dict[str, Form] = {}
        self.responses: dict[str, int] = {}
        self.cases: dict[str, int] = {}
        self.skipped: list[str] = []
        self.contacts = 0
        self.crisp_line = ""

    def rng(self, name: str) -> random.Random:
        """A generator seeded by the demo's seed and ``name``: the same answers whatever else loads."""
        return random.Random(f"{self.seed}:{name}")

    def form(self, slug: str) -> Form | None:
        """The loaded instrument, or None (noted once in the summary) when it is not loaded."""
        found = self.forms.get(slug)
        if found is None:
            self.skipped.append(slug)
            self.progress(f"  {slug}: instrument not loaded, its responses are skipped")
        return found

    # ------------------------------------------------------------------ writing
    def insert_contacts(self, project: Project, people: Sequence[Mapping[str, object]]) -> list[int]:
        if not people:
            return []
        rows = [
            {
                "project_id": project.id,
                "external_id": p.get("external_id"),
                "email": p.get("email"),
                "name": p.get("name") or "",
                "organisation": p.get("organisation") or "",
                "is_demo": True,
            }
            for p in people
        ]
        ids = list(
            self.session.scalars(insert(Contact).returning(Contact.id, sort_by_parameter_order=True), rows)
        )
        attributes = [
            {"contact_id": cid, "key": key, "value": value}
            for cid, p in zip(ids, people, strict=True)
            for key, value in _attributes(p).items()
        ]
        if attributes:
            self.session.execute(insert(ContactAttribute), attributes)
        self.contacts += len(ids)
        return ids

    def insert_cases(self, form: Form, rows: Sequence[Mapping[str, object]]) -> list[int]:
        full = [
            {
                "instrument_id": form.instrument.id,
                "contact_id": r.get("contact_id"),
                "activity_id": r.get("activity_id"),
                "token": secrets.token_urlsafe(32),
                "disposition": r.get("disposition"),
                "disposition_reason": r.get("reason") or "",
                "disposition_set_at": r.get("set_at"),
                "bounced": bool(r.get("bounced")),
                "opted_out": bool(r.get("opted_out")),
                "is_demo": True,
            }
            for r in rows
        ]
        ids = list(self.session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True), full))
        self.cases[form.instrument.slug] = self.cases.get(form.instrument.slug, 0) + len(ids)
        return ids

    def record(
        self,
        form: Form,
        values: Mapping[str, object],
        *,
        status: str = "complete",
        mode: str,
        when: datetime,
        minutes: int,
        contact_id: int | None = None,
        case_id: int | None = None,
        activity_id: int | None = None,
    ) -> None:
        try:
            record_response(
                self.session,
                form.instrument,
                values,
                status=status,
                mode=mode,
                contact_id=contact_id,
                case_id=case_id,
                activity_id=activity_id,
                started_at=when,
                submitted_at=when + timedelta(minutes=minutes) if status == "complete" else None,
                is_demo=True,
                model=form.model,
                version=form.version,
                ids=form.ids,
            )
        except InvalidAnswers as exc:  # an instrument edited since this demo was written
            self.progress(f"  {form.instrument.slug}: a demo response was refused ({exc}); left out")
            return
        self.responses[form.instrument.slug] = self.responses.get(form.instrument.slug, 0) + 1

    def people(
        self,
        rng: random.Random,
        prefix: str,
        organisations: Sequence[str],
        attributes: Sequence[Mapping[str, str]] | None = None,
    ) -> list[dict[str, object]]:
        """Invented people, one per organisation, with example.org addresses."""
        result: list[dict[str, object]] = []
        for i, organisation in enumerate(organisations, start=1):
            first, last = rng.choice(tables.FIRST_NAMES), rng.choice(tables.LAST_NAMES)
            result.append(
                {
                    "external_id": f"{prefix}-{i:03d}",
                    "name": f"{first} {last}",
                    "email": f"{email_local(first, last)}.{prefix}{i}@example.org",
                    "organisation": organisation,
                    "attributes": dict(attributes[i - 1]) if attributes else {},
                }
            )
        return result

    def run_cases(
        self,
        slug: str,
        project: str,
        entries: Sequence[Entry],
        *,
        window: tuple[date, date],
        text_rate: float = 1.0,
    ) -> None:
        """Contacts (for entries with a ``person``), one case each, and the planned responses."""
        form = self.form(slug)
        if form is None:
            return
        rng = self.rng(slug)
        new = [(e, e.person) for e in entries if e.person is not None and e.contact_id is None]
        ids = self.insert_contacts(self.projects[project], [person for _entry, person in new])
        for (entry, _person), cid in zip(new, ids, strict=True):
            entry.contact_id = cid
        set_at = datetime.combine(window[1], time(17), UTC)
        case_ids = self.insert_cases(
            form,
            [
                {
                    "contact_id": e.contact_id,
                    "activity_id": e.activity_id,
                    "disposition": e.disposition,
                    "reason": e.reason,
                    "set_at": set_at if e.disposition else None,
                }
                for e in entries
            ],
        )
        for i, (entry, case_id) in enumerate(zip(entries, case_ids, strict=True)):
            if entry.plan is None:
                continue
            values = draw_answers(
                form, self.rng(f"{slug}:{i}"), entry.plan, window=window, text_rate=text_rate
            )
            when = entry.when or moment(rng, *window)
            self.record(
                form,
                values,
                mode=entry.mode,
                when=when,
                minutes=entry.minutes,
                contact_id=entry.contact_id,
                case_id=case_id,
                activity_id=entry.activity_id,
            )

    def summary(self, programme_name: str) -> str:
        """What was loaded, per instrument, for the CLI to print."""
        total = sum(self.responses.values())
        lines = [
            f"Loaded '{programme_name}' (seed {self.seed}): {len(self.projects)} projects, "
            f"{len(self.activities)} activities, {self.contacts} contacts, {sum(self.cases.values())} cases, "
            f"{total} responses. Every contact, case and response is synthetic and marked demo.",
        ]
        if self.crisp_line:
            lines.append(self.crisp_line)
        lines += [
            f"  {slug}: {n} responses, {self.cases.get(slug, 0)} cases"
            for slug, n in sorted(self.responses.items())
        ]
        if self.skipped:
            lines.append("Skipped (instrument not loaded): " + ", ".join(self.skipped))
        return "\n".join(lines)
