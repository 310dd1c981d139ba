"""Drawing samples from a project's contacts, reproducibly and on the record.

Simple random or stratified random (proportional allocation, largest remainder) with a seed:
contacts are ordered by id and drawn with ``random.Random(seed)``, and each draw is recorded as a
:class:`~feedback.db.sampling.SampleDraw` (method, strata, n, seed, allocation), so a report can
say exactly how its sample was drawn and anyone can draw it again.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Contact, ContactAttribute, Instrument
from ..db.sampling import SampleDraw
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


def draw_sample(
    session: Session,
    instrument: Instrument,
    n: int,
    seed: int,
    *,
    strata: str | None = None,
    drawn_by: str = "",
) -> tuple[SampleDraw, list[int]]:
    """Draw ``n`` of the project's contacts into the instrument's sample, reproducibly.

    Contacts are ordered by id and drawn with ``random.Random(seed)``: the same contacts, seed and
    options always give the same sample. Contacts drawn get a case (one they have already is
    kept). Raises :class:`SampleError` if ``n`` is larger than the list or not positive.
    """
    project_id = project_id_of(instrument)
    if n <= 0:
        raise SampleError(f"the sample size must be at least 1 (got {n})")
    ids = list(
        session.scalars(
            select(Contact.id)
            .where(Contact.project_id == project_id, Contact.erased_at.is_(None))
            .order_by(Contact.id)
        )
    )
    if n > len(ids):
        raise SampleError(f"cannot draw {n} contacts: the project has {len(ids)}")
    rng = random.Random(seed)
    if strata is None:
        chosen = sorted(rng.sample(ids, n))
        allocation: dict[str, dict[str, int]] = {"all": {"population": len(ids), "drawn": n}}
    else:
        key = normalise_header(strata)
        values = dict(
            session.execute(
                select(ContactAttribute.contact_id, ContactAttribute.value).where(ContactAttribute.key == key)
            ).all()
        )
        groups: dict[str, list[int]] = {}
        for cid in ids:
            groups.setdefault(values.get(cid) or MISSING_STRATUM, []).append(cid)
        if set(groups) == {MISSING_STRATUM}:
            raise SampleError(f"no contact has a value in column '{key}' to stratify by")
        groups = dict(sorted(groups.items()))
        counts = allocate({k: len(v) for k, v in groups.items()}, n)
        chosen = sorted(cid for k, members in groups.items() for cid in rng.sample(members, counts[k]))
        allocation = {k: {"population": len(groups[k]), "drawn": counts[k]} for k in groups}
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
    return draw, chosen
