"""Drawing samples from a project's contacts, reproducibly and on the record.

Simple random or stratified random (proportional allocation, largest remainder) with a seed:
contacts are ordered by id and drawn with ``random.Random(seed)``, and each draw is recorded as a
:class:`~feedback.db.sampling.SampleDraw` (method, strata, n, seed, allocation), so a report can
say exactly how its sample was drawn and anyone can draw it again.

A draw only takes contacts who are not yet cases of the instrument (the *eligible* ones): a
contact drawn twice gets no second case, so counting them would report more new cases than were
made. The messages say how many were eligible and how many were already cases.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ..db import Instrument
from ..db.sampling import SampleDraw, contact_values, sampling_frame
from .contacts import create_cases, normalise_header, project_id_of

MISSING_STRATUM = "(missing)"


class SampleError(ValueError):
    pass


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Proportional allocation of ``n`` over strata by the largest-remainder method.

    Each stratum gets the whole part of ``n * size / total``; the seats left go to the largest
    remainders (ties: the stratum listed first, i.e. alphabetical), so the total is exactly ``n``
    and no stratum gets more than it holds.
    """
    total = sum(sizes.values())
    if not 0 <= n <= total:
        raise SampleError(f"cannot draw {n} from {total} contacts")
    shares = {k: divmod(n * size, total) for k, size in sizes.items()} if total else {}
    result = {k: q for k, (q, _r) in shares.items()}
    left = n - sum(result.values())
    for k in sorted(shares, key=lambda k: (-shares[k][1], list(sizes).index(k)))[:left]:
        result[k] += 1
    return result


@dataclass(frozen=True)
class SampleResult:
    """What a draw did: the draw recorded (None when nobody was eligible), the contacts drawn (each
    now has a new case), the project's contacts and how many of them could be drawn."""

    draw: SampleDraw | None
    contacts: int
    eligible: int
    chosen: list[int] = field(default_factory=list)

    @property
    def already(self) -> int:
        """Contacts left out because they already are cases of the instrument."""
        return self.contacts - self.eligible


def _contacts(n: int) -> str:
    return f"{n} contact" if n == 1 else f"{n} contacts"


def _already_cases(already: int, contacts: int) -> str:
    """E.g. "4 of the 16 are already cases", "1 of the 16 is already a case"."""
    verb = "is already a case" if already == 1 else "are already cases"
    return f"{already} of the {contacts} {verb}"


def nobody_eligible(contacts: int) -> str:
    """Why a draw took nobody, e.g. "all 16 of the project's contacts are already cases"."""
    if contacts == 0:
        return "the project has no contacts yet"
    if contacts == 1:
        return "the project's only contact is already a case"
    return f"all {contacts} of the project's contacts are already cases"


def describe_sample(result: SampleResult, title: str, seed: int) -> str:
    """The sentence staff read after a draw, e.g. "Drew 3 of 12 eligible contacts for Survey,
    seed 42 (4 of the 16 are already cases)." The number drawn is the number of new cases."""
    if result.draw is None:
        return f"No contacts were drawn for {title}: {nobody_eligible(result.contacts)}."
    strata = f", stratified by {result.draw.strata_column}" if result.draw.strata_column else ""
    if not result.already:
        return f"Drew {len(result.chosen)} of {_contacts(result.contacts)} for {title}{strata}, seed {seed}."
    return (
        f"Drew {len(result.chosen)} of {result.eligible} eligible "
        f"{'contact' if result.eligible == 1 else 'contacts'} for {title}{strata}, seed {seed} "
        f"({_already_cases(result.already, result.contacts)})."
    )


def draw_sample(
    session: Session,
    instrument: Instrument,
    n: int,
    seed: int,
    *,
    strata: str | None = None,
    drawn_by: str = "",
) -> SampleResult:
    """Draw ``n`` of the project's eligible contacts (not yet cases of the instrument) into its
    sample, reproducibly, and give each a case.

    Eligible contacts are ordered by id and drawn with ``random.Random(seed)``: the same contacts,
    cases, seed and options always give the same sample. ``population`` on the recorded draw is the
    number eligible, the frame actually drawn from. When nobody is eligible nothing is drawn or
    recorded and the result says so (``draw`` is None); raises :class:`SampleError` if ``n`` is not
    positive or larger than the number eligible.
    """
    if n <= 0:
        raise SampleError(f"the sample size must be at least 1 (got {n})")
    ids, contacts = sampling_frame(session, project_id_of(instrument), instrument.id)
    if not ids:
        return SampleResult(draw=None, contacts=contacts, eligible=0)
    if n > len(ids):
        raise SampleError(_too_many(n, len(ids), contacts, instrument.title))
    rng = random.Random(seed)
    if strata is None:
        chosen = sorted(rng.sample(ids, n))
        allocation: dict[str, dict[str, int]] = {"all": {"population": len(ids), "drawn": n}}
    else:
        chosen, allocation = _stratified(session, ids, n, normalise_header(strata), rng)
    draw = SampleDraw(
        instrument_id=instrument.id,
        method="simple" if strata is None else "stratified",
        strata_column=None if strata is None else normalise_header(strata),
        n=n,
        population=len(ids),
        seed=seed,
        allocation=allocation,
        drawn_by=drawn_by,
    )
    session.add(draw)
    create_cases(session, instrument, chosen)
    session.flush()
    return SampleResult(draw=draw, contacts=contacts, eligible=len(ids), chosen=chosen)


def _too_many(n: int, eligible: int, contacts: int, title: str) -> str:
    """E.g. "cannot draw 13 contacts: the project has 16, and 4 are already cases of Survey, so 12
    can be drawn"."""
    if eligible == contacts:
        return f"cannot draw {n} contacts: the project has {contacts}"
    already = contacts - eligible
    verb = "is already a case" if already == 1 else "are already cases"
    return (
        f"cannot draw {n} contacts: the project has {contacts}, "
        f"and {already} {verb} of {title}, so {eligible} can be drawn"
    )


def _stratified(
    session: Session, ids: list[int], n: int, key: str, rng: random.Random
) -> tuple[list[int], dict[str, dict[str, int]]]:
    """Proportional stratified draw of ``n`` from ``ids`` by the contact attribute ``key``."""
    values = contact_values(session, ids, key)
    groups: dict[str, list[int]] = {}
    for cid in ids:
        groups.setdefault(values.get(cid) or MISSING_STRATUM, []).append(cid)
    if set(groups) == {MISSING_STRATUM}:
        raise SampleError(f"no contact has a value in column '{key}' to stratify by")
    groups = dict(sorted(groups.items()))
    counts = allocate({k: len(v) for k, v in groups.items()}, n)
    chosen = sorted(cid for k, members in groups.items() for cid in rng.sample(members, counts[k]))
    return chosen, {k: {"population": len(groups[k]), "drawn": counts[k]} for k in groups}
