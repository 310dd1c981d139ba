"""CRISP: the 710-contact list, the web survey (Tables 2.1 and 2.2, section 4) and the four
action learning discussions.

Respondents are planned first (:func:`_profiles`: completes, then partials), so that the counts
of ``data/crisp.yaml`` come out exactly; the rest of each answer set is drawn. A partial response
answers pages in order up to a break-off, chosen so it passes the instrument's partial threshold.
"""

from __future__ import annotations

import random
from datetime import date

from ...domain.answers import applicable_inputs, check_answers
from . import tables
from .answers import assign, deal, draw_answers, email_local, moment, organisation, weighted
from .context import Demo, Entry

_SURVEY = tables.CRISP["survey"]
_PROFILE = tables.CRISP["profile"]
_FINDINGS = tables.CRISP["findings"]
SLUG = "crisp-web-survey"


def survey(demo: Demo) -> None:
    """Contacts and cases for the whole e-mail list, then the 189 web responses."""
    contacts, complete, partial = _SURVEY["contacts"], _SURVEY["complete"], _SURVEY["partial"]
    bounced_n, opted_out_n = _SURVEY["bounced"], _SURVEY["opted_out"]
    rng_contacts, rng = demo.rng("crisp-contacts"), demo.rng(SLUG)
    n_resp = complete + partial
    profiles = _profiles(rng, n_resp)
    positions = rng_contacts.sample(range(contacts), n_resp)  # respondent i -> list position
    respondent_at = {pos: i for i, pos in enumerate(positions)}
    contact_ids = demo.insert_contacts(
        demo.projects["crisp"], _contact_list(rng_contacts, profiles, respondent_at)
    )
    form = demo.form(SLUG)
    if form is None:
        return
    others = [pos for pos in range(contacts) if pos not in respondent_at]
    flagged = rng_contacts.sample(others, bounced_n + opted_out_n)
    bounced, opted_out = set(flagged[:bounced_n]), set(flagged[bounced_n:])
    case_ids = demo.insert_cases(
        form,
        [
            {"contact_id": cid, "bounced": pos in bounced, "opted_out": pos in opted_out}
            for pos, cid in enumerate(contact_ids)
        ],
    )
    window = (date(2006, 11, 6), date(2006, 12, 8))
    threshold = form.instrument.partial_threshold or 0.5
    n_pages = len(form.model.pages())
    for i, profile in enumerate(profiles):
        pos = positions[i]
        when = moment(rng, *window)
        plan = dict(profile)
        status, minutes = "complete", 0
        if i < complete:
            values = draw_answers(form, demo.rng(f"{SLUG}:{i}"), plan, window=window, text_rate=0.45)
            minutes = rng.randint(9, 35)
        else:
            # A partial response: pages in order up to a break-off, enough to pass the threshold.
            status, k = "partial", rng.choice((3, 4, 5))
            while True:
                values = draw_answers(
                    form, demo.rng(f"{SLUG}:{i}"), plan, window=window, text_rate=0.45, pages=range(k)
                )
                checked = check_answers(form.model, values, enforce_required=False)
                applicable = applicable_inputs(form.model, checked)
                if k >= n_pages or (applicable and checked.answered / applicable >= threshold):
                    break
                k += 1
        demo.record(
            form,
            values,
            status=status,
            mode="web",
            when=when,
            minutes=minutes,
            contact_id=contact_ids[pos],
            case_id=case_ids[pos],
        )
    done = demo.responses.get(SLUG, 0)
    demo.crisp_line = (
        f"CRISP web survey: {contacts} contacts and cases; {done} responded "
        f"({complete} complete, {partial} partial, "
        f"{100 * done / contacts:.1f}%); {bounced_n} bounced, {opted_out_n} "
        f"opted out, {contacts - done - len(flagged)} returned nothing"
    )


def _contact_list(
    rng: random.Random, profiles: list[dict[str, object]], respondent_at: dict[int, int]
) -> list[dict[str, object]]:
    """Everyone on the e-mail list, respondents with the profile they will answer with."""
    mix = tables.CRISP["nonrespondent_mix"]
    first_names, last_names = tables.FIRST_NAMES, tables.LAST_NAMES
    names = rng.sample(range(len(first_names) * len(last_names)), _SURVEY["contacts"])
    people: list[dict[str, object]] = []
    for pos in range(_SURVEY["contacts"]):
        profile = profiles[respondent_at[pos]] if pos in respondent_at else {}
        attrs = {
            "org_type": profile.get("org_type") or weighted(rng, mix["org_type"]),
            "primary_work": profile.get("primary_work") or weighted(rng, mix["primary_work"]),
            "region": profile.get("location") or weighted(rng, mix["region"]),
        }
        first = first_names[names[pos] // len(last_names)]
        last = last_names[names[pos] % len(last_names)]
        templates = {"vco": tables.VCO_NAMES, "statutory": tables.STATUTORY_NAMES}.get(
            str(attrs["org_type"]), tables.OTHER_NAMES
        )
        people.append(
            {
                "external_id": f"crisp-{pos + 1:04d}",
                "name": f"{first} {last}",
                "email": f"{email_local(first, last)}.{pos + 1:04d}@example.org",
                "organisation": organisation(rng, templates),
                "attributes": attrs,
            }
        )
    return people


def _profiles(rng: random.Random, n: int) -> list[dict[str, object]]:
    """The plan for each CRISP respondent: completes first, then partials (see the package doc)."""
    complete = _SURVEY["complete"]
    org = deal(_PROFILE["org_type"], rng)
    work = iter(deal(_PROFILE["primary_work"], rng))
    location = iter(deal(_PROFILE["location"], rng))
    no_work = n - sum(_PROFILE["primary_work"].values())
    no_location = n - sum(_PROFILE["location"].values())
    members = sorted(rng.sample(range(complete), _FINDINGS["action_learning_members"]))
    useful = assign(rng, members, _FINDINGS["useful_action_learning"])
    stereotypes = dict(zip(members, deal(_FINDINGS["al_stereotypes"], rng), strict=True))
    skills = assign(rng, members, _FINDINGS["al_skills"])
    replicate = assign(rng, range(complete), _FINDINGS["replicate"])
    conditions = iter(tables.REPLICATE_CONDITIONS * 2)
    probs = tables.WEIGHTS[SLUG]["activities"]
    profiles: list[dict[str, object]] = []
    for i in range(n):
        activities = [a for a, p in probs.items() if rng.random() < p]
        if i in stereotypes:
            activities.append("action_learning")
        if not activities:
            activities = ["light_lunch"]
        profile: dict[str, object] = {
            "org_type": org[i],
            "primary_work": None if complete <= i < complete + no_work else next(work),
            "location": None if complete <= i < complete + no_location else next(location),
            "activities": activities,
            "useful_action_learning": useful.get(i),
            "al_stereotypes": stereotypes.get(i),
            "al_skills": skills.get(i),
            "replicate": replicate.get(i),
        }
        if replicate.get(i) == "yes_conditions":
            profile["replicate_conditions"] = next(conditions)
        profiles.append(profile)
    return profiles


def discussions(demo: Demo) -> None:
    """One observed discussion per action learning set ("data was collected from four sets")."""
    rng = demo.rng("crisp-action-learning-discussion")
    window = (date(2006, 9, 11), date(2006, 11, 24))
    entries = []
    for spec in tables.CRISP["discussions"]:
        activity = demo.activities[spec["activity"]]
        when = moment(rng, *window)
        sectors = ["vco", "statutory"] + (["private"] if rng.random() < 0.3 else [])
        plan = {
            "set_id": activity.title,
            "region": spec["region"],
            "discussion_date": when.date(),
            "participants": rng.randint(3, 7),
            "sectors_present": sectors,
            "set_functioning": spec["functioning"],
        }
        entries.append(Entry(plan, mode="face_to_face", when=when, activity_id=activity.id, minutes=45))
    demo.run_cases("crisp-action-learning-discussion", "crisp", entries, window=window)
