"""PiRR: 97 paper event feedback forms from six events, and the steering group's feedback.

The launch's 31 returns are the report's ("over 150" attended); the other five events' returns
and attendance are assumed and marked so in the activities' ``attending_note``. Six of the ten
steering group members returned their form (assumed: the report says "unknown"); the other four
have a case and no response.
"""

from __future__ import annotations

from datetime import date, timedelta

from . import tables
from .answers import draw_answers, moment, organisation
from .context import Demo, Entry

_PIRR = tables.FIELDWORK["pirr"]


def feedback(demo: Demo) -> None:
    _event_feedback(demo)
    _steering_group(demo)


def _event_feedback(demo: Demo) -> None:
    slug = "pirr-event-feedback"
    form = demo.form(slug)
    if form is None:
        return
    rng = demo.rng(slug)
    for key, returns in _PIRR["returns"].items():
        activity = demo.activities[key]
        day = moment(rng, date(2006, 2, 1), date(2006, 11, 30))
        for j in range(returns):
            event_type = _PIRR["event_types"][key]
            plan = {"event_type": event_type, "event_date": activity.starts_on}
            if rng.random() < 0.6:
                plan["most_useful"] = rng.choice(_PIRR["most_useful"][event_type])
            values = draw_answers(
                form,
                demo.rng(f"{slug}:{key}:{j}"),
                plan,
                window=(day.date(), day.date()),
                text_rate=0.4,
            )
            demo.record(
                form,
                values,
                mode="paper",
                when=day + timedelta(minutes=j),
                minutes=4,
                activity_id=activity.id,
            )


def _steering_group(demo: Demo) -> None:
    rng = demo.rng("pirr-people")
    members = _PIRR["steering_group"]
    organisations = [
        organisation(rng, tables.VCO_NAMES if m["member_type"] == "cbg" else tables.STATUTORY_NAMES)
        for m in members
    ]
    people = demo.people(rng, "pirr-sg", organisations)
    entries = [
        Entry(
            {"member_type": m["member_type"], "cbg": m["cbg"], "meetings_attended": rng.randint(2, 4)}
            if i < 6
            else None,
            mode="paper",
            person=person,
            minutes=10,
        )
        for i, (m, person) in enumerate(zip(members, people, strict=True))
    ]
    demo.run_cases(
        "pirr-steering-group-feedback",
        "pirr",
        entries,
        window=(date(2006, 11, 1), date(2006, 12, 15)),
        text_rate=0.6,
    )
