"""Step Up: the three stages of interviews, the project team and the Working Lunch observation.

Stage two: 16 of the 17 conference VCOs that did not sign up were interviewed (15 by telephone,
1 by e-mail); the 17th was never reached (NC). Stage three: of 13 organisations listed as taking
part, 6 had (interviewed) and 7 had not (screened out, NE on that instrument, and given the brief
interview). Then 3 statutory interviews, one group interview of the 2-member project team (one
response, one case) and one observation of the November 2006 Working Lunch.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, date, datetime, time

from . import tables
from .answers import deal, organisation
from .context import Demo, Entry

PROJECT = "step-up"


def fieldwork(demo: Demo) -> None:
    rng = demo.rng("step-up-people")
    _not_engaged(demo, rng)
    _listed(demo, rng)
    _statutory(demo, rng)
    _project_team(demo)
    _working_lunch(demo)


def _vcos(rng: random.Random, n: int) -> list[str]:
    return [organisation(rng) for _ in range(n)]


def _not_engaged(demo: Demo, rng: random.Random) -> None:
    """Stage two: the 17 conference VCOs that did not sign up; 16 interviewed, 1 never reached."""
    people = demo.people(rng, "stepup-ne", _vcos(rng, 17))
    modes = ["telephone"] * 15 + ["email"]
    entries = [Entry({}, mode=modes[i], person=p, minutes=30) for i, p in enumerate(people[:16])]
    entries.append(
        Entry(
            None,
            person=people[16],
            disposition="NC",
            reason="On the conference register (eligible) but never reached (demo assumption)",
        )
    )
    demo.run_cases(
        "stepup-conference-nonengaged-interview",
        PROJECT,
        entries,
        window=(date(2006, 9, 4), date(2006, 10, 13)),
    )


def _listed(demo: Demo, rng: random.Random) -> None:
    """Stage three: 13 organisations listed as taking part; 6 had, 7 had not."""
    listed = demo.people(rng, "stepup-listed", _vcos(rng, 13))
    listed_ids = demo.insert_contacts(demo.projects[PROJECT], listed)
    window = (date(2006, 11, 13), date(2006, 12, 15))
    relationships = deal({"yes": 2, "no": 3, "dont_know": 1}, rng)
    probs = tables.WEIGHTS["stepup-engaged-interview"]["activities"]
    engaged = [
        Entry(
            {
                "activities": ["conference"] + [a for a, p in probs.items() if rng.random() < p],
                "new_working_relationships": relationships[i],
            },
            mode=("face_to_face", "telephone")[i % 2],
            contact_id=listed_ids[i],
            minutes=50,
        )
        for i in range(6)
    ]
    engaged += [
        Entry(
            None,
            contact_id=cid,
            disposition="NE",
            reason="Screened out by the brief call: did not take part beyond the conference",
        )
        for cid in listed_ids[6:]
    ]
    demo.run_cases("stepup-engaged-interview", PROJECT, engaged, window=window)
    brief = [Entry({"participated_beyond": "no"}, contact_id=cid, minutes=6) for cid in listed_ids[6:]]
    demo.run_cases("stepup-brief-followup-interview", PROJECT, brief, window=window)


def _statutory(demo: Demo, rng: random.Random) -> None:
    """The Regional Offender Manager's office and two probation areas."""
    areas = [f"{rng.choice(tables.PLACES)} Probation Area" for _ in range(2)]
    statutory = demo.people(rng, "stepup-stat", ["NOMS West Midlands (Regional Offender Manager)", *areas])
    plans = [
        {"role": "rom"},
        {"role": "probation", "probation_area": areas[0]},
        {"role": "probation", "probation_area": areas[1]},
    ]
    demo.run_cases(
        "stepup-statutory-interview",
        PROJECT,
        [Entry(plan, person=p, minutes=30) for plan, p in zip(plans, statutory, strict=True)],
        window=(date(2006, 12, 4), date(2006, 12, 20)),
    )


def _project_team(demo: Demo) -> None:
    """One group interview covering the 2 team members: one response, one case."""
    when = datetime(2006, 12, 12, 10, 30, tzinfo=UTC)
    team: dict[str, object] = {
        "external_id": "stepup-team-001",
        "name": "Step Up project team (2 members)",
        "email": None,
        "organisation": "Crime Concern",
        "attributes": {},
    }
    demo.run_cases(
        "stepup-project-team-group-interview",
        PROJECT,
        [
            Entry(
                {"interview_date": when.date(), "participants": 2},
                mode="face_to_face",
                when=when,
                person=team,
                minutes=70,
            )
        ],
        window=(when.date(), when.date()),
    )


def _working_lunch(demo: Demo) -> None:
    """The evaluation team's observation of the Working Lunch (``data/fieldwork.yaml``)."""
    lunch = demo.activities["stepup.working_lunch"]
    if lunch.starts_on is None:
        raise RuntimeError("the demo's activity stepup.working_lunch has no date: the demo data is broken")
    when = datetime.combine(lunch.starts_on, time(12), UTC)
    plan = {"event_date": lunch.starts_on, **copy.deepcopy(tables.FIELDWORK["step_up"]["working_lunch"])}
    demo.run_cases(
        "stepup-working-lunch-observation",
        PROJECT,
        [Entry(plan, mode="face_to_face", when=when, activity_id=lunch.id, minutes=120)],
        window=(lunch.starts_on, lunch.starts_on),
    )
