"""Which questions make an instrument's respondent profile (the report's Table 2.2).

A profile table stacks the questions that describe *who* answered (type of organisation, main
work, location), each adding up to 100% of those who answered it. The evaluator chooses them;
nothing is guessed from the layout (the first page of a form is not always about the
respondent). In this order:

1. the instrument's ``profile_questions`` setting, when it has one: question names separated by
   spaces or commas (a settings key, so a profile can be chosen without touching the survey
   sheet);
2. otherwise the questions marked ``profile: yes``, and the questions of a group marked
   ``profile: yes`` (the instrument's profile section, e.g. "About you and your
   organisation"), in the order they are asked;
3. otherwise there is no profile.

Only ``select_one`` questions qualify: a multiple-choice question does not add up to 100%, so it
cannot sit in a table whose sections each do. A profile needs at least two questions; a single
one would only repeat its own frequency table.
"""

from __future__ import annotations

import re

from .instrument import Group, Instrument, Item

__all__ = ["MIN_PROFILE_QUESTIONS", "PROFILE_SETTING", "profile_question_names", "profile_title"]

PROFILE_SETTING = "profile_questions"
MIN_PROFILE_QUESTIONS = 2


def _select_one(instrument: Instrument) -> list[str]:
    """Every select_one question's name, in definition order."""
    return [q.name for q in instrument.input_questions() if q.type == "select_one"]


def _marked(items: tuple[Item, ...], inherited: bool = False) -> list[str]:
    """Names marked ``profile: yes`` themselves or through an enclosing profile group."""
    names: list[str] = []
    for item in items:
        if isinstance(item, Group):
            names.extend(_marked(item.children, inherited or item.profile))
        elif inherited or item.profile:
            names.append(item.name)
    return names


def _profile_groups(items: tuple[Item, ...]) -> list[Group]:
    found: list[Group] = []
    for item in items:
        if isinstance(item, Group):
            found.extend([item] if item.profile else _profile_groups(item.children))
    return found


def profile_question_names(instrument: Instrument) -> tuple[str, ...]:
    """The profile's questions in the order they are asked; empty when there is no profile.

    Names in the setting that are not single-choice questions of the instrument are left out
    rather than failing the whole export.
    """
    setting = dict(instrument.settings).get(PROFILE_SETTING, "")
    wanted = (
        {name for name in re.split(r"[\s,]+", setting) if name} if setting else set(_marked(instrument.items))
    )
    names = tuple(name for name in _select_one(instrument) if name in wanted)
    return names if len(names) >= MIN_PROFILE_QUESTIONS else ()


def profile_title(instrument: Instrument) -> str:
    """ "Profile of respondents: About you and your organisation" (the profile section's title,
    when one group holds the profile and no setting chose other questions)."""
    groups = [] if dict(instrument.settings).get(PROFILE_SETTING) else _profile_groups(instrument.items)
    heading = groups[0].label if len(groups) == 1 else ""
    return f"Profile of respondents: {heading}" if heading else "Profile of respondents"
