"""MOVE: six telephone interviews, two with Nacro staff and four with VCOs (Table 2.1)."""

from __future__ import annotations

from datetime import date

from . import tables
from .context import Demo, Entry


def interviews(demo: Demo) -> None:
    rng = demo.rng("move-people")
    interviewees = tables.FIELDWORK["move"]["interviewees"]
    organisations = [row["organisation"].format(p=rng.choice(tables.PLACES)) for row in interviewees]
    people = demo.people(rng, "move", organisations)
    entries = [
        Entry(
            {
                "interviewee_role": row["role"],
                "org_type": row["org_type"],
                "worked_with_offenders_before": row["before"],
            },
            person=person,
            minutes=45,
        )
        for row, person in zip(interviewees, people, strict=True)
    ]
    demo.run_cases(
        "move-telephone-interview", "move", entries, window=(date(2006, 11, 20), date(2007, 1, 19))
    )
