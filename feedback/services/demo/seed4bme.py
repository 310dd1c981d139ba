"""SEED4BME: 10 statutory and 40 VCO telephone surveys, 8 steering group interviews, 7 case studies.

16 of the 40 VCOs said contestability was raised; "every respondent attending a regional forum"
said their capacity to work with statutory agencies improved, so those answers are planned.
"""

from __future__ import annotations

import random
from datetime import date

from . import tables
from .answers import deal, organisation, weighted
from .context import Demo, Entry

PROJECT = "seed4bme"
_SEED = tables.FIELDWORK["seed4bme"]
_WINDOW = (date(2007, 1, 15), date(2007, 3, 16))


def fieldwork(demo: Demo) -> None:
    rng = demo.rng("seed4bme-people")
    _statutory_survey(demo, rng)
    _vco_survey(demo, rng)
    _steering_group(demo, rng)
    _case_studies(demo, rng)


def _regions(regions: list[str]) -> list[dict[str, str]]:
    return [{"region": r} for r in regions]


def _statutory_survey(demo: Demo, rng: random.Random) -> None:
    spec = _SEED["statutory_survey"]
    agencies = deal(spec["agencies"], rng)
    regions = deal(spec["regions"], rng)
    organisations = [spec["organisations"][a].format(p=rng.choice(tables.PLACES)) for a in agencies]
    people = demo.people(rng, "seed-stat", organisations, _regions(regions))
    entries = [
        Entry({"agency_type": a, "region": r}, person=p, minutes=12)
        for a, r, p in zip(agencies, regions, people, strict=True)
    ]
    demo.run_cases("seed4bme-statutory-phone-survey", PROJECT, entries, window=_WINDOW, text_rate=0.5)


def _vco_survey(demo: Demo, rng: random.Random) -> None:
    spec = _SEED["vco_survey"]
    regions = deal(spec["regions"], rng)
    contestability = deal(spec["contestability_raised"], rng)
    people = demo.people(rng, "seed-vco", [organisation(rng) for _ in regions], _regions(regions))
    entries = []
    for region, raised, person in zip(regions, contestability, people, strict=True):
        if region == "north_west":
            events = sorted({weighted(rng, spec["north_west_events"]) for _ in range(rng.randint(1, 3))})
            events += ["national_conference"] if rng.random() < 0.2 else []
        else:
            events = ["national_conference"] + (["lost_in_diversity"] if rng.random() < 0.1 else [])
        forum = any(e.startswith("forum") or e == "lost_in_diversity" for e in events)
        plan: dict[str, object] = {
            "region": region,
            "events_attended": events,
            "contestability_raised": raised,
            "events_networking": "yes",
        }
        if forum:  # "every respondent attending a regional forum" said their capacity improved
            plan["capacity_statutory"] = rng.choice(("a_lot", "a_little", "a_little"))
        entries.append(Entry(plan, person=person, minutes=15))
    demo.run_cases("seed4bme-vco-phone-survey", PROJECT, entries, window=_WINDOW, text_rate=0.5)


def _steering_group(demo: Demo, rng: random.Random) -> None:
    roles = ["NBBPSG (steering group)"] * 3 + [organisation(rng) for _ in range(5)]
    people = demo.people(rng, "seed-sg", roles)
    demo.run_cases(
        "seed4bme-steering-group-interview",
        PROJECT,
        [Entry({"consent_recording": "yes"}, mode="face_to_face", person=p, minutes=60) for p in people],
        window=_WINDOW,
    )


def _case_studies(demo: Demo, rng: random.Random) -> None:
    regions = deal(_SEED["case_studies"]["regions"], rng)
    names = [organisation(rng, tables.VCO_NAMES[-2:] + tables.VCO_NAMES[:4]) for _ in regions]
    people = demo.people(rng, "seed-case", names, _regions(regions))
    entries = [
        Entry(
            {
                "org_name": name,
                "region": region,
                "year_started": rng.randint(1982, 2004),
                "paid_staff": rng.randint(0, 12),
                "volunteers": rng.randint(3, 40),
            },
            mode="face_to_face",
            person=p,
            minutes=50,
        )
        for name, region, p in zip(names, regions, people, strict=True)
    ]
    demo.run_cases("seed4bme-case-study-questionnaire", PROJECT, entries, window=_WINDOW)
