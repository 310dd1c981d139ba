"""Which questions make an instrument's respondent profile (the report's Table 2.2).

A profile table stacks the questions that describe *who* answered (type of organisation, main
work, location), each adding up to 100% of those who answered it. The instrument model has no
"profile" flag on a question, so the choice is made here, in this order:

1. the instrument's ``profile_questions`` setting, when it has one: question names separated by
   spaces or commas (the loader keeps settings it does not interpret, so an XLSForm or YAML
   instrument can state its profile without a change to the format);
2. otherwise, the single-choice questions of the first page, when that page is a group (a
   titled section). Every instrument in ``forms/`` opens with an "About you / your
   organisation" group (CRISP's is exactly Table 2.2), which is where a questionnaire asks about
   the respondent. A form without groups is one long page: its first page is the whole
   questionnaire, not a profile, so it has none unless the setting names one.

Only ``select_one`` questions qualify: a multiple-choice question does not add up to 100%, so it
cannot sit in a table whose sections each do. A profile needs at least two questions; a single
one would only repeat its own frequency table.
"""

from __future__ import annotations

import re

from .instrument import Instrument

__all__ = ["MIN_PROFILE_QUESTIONS", "PROFILE_SETTING", "profile_question_names", "profile_title"]

PROFILE_SETTING = "profile_questions"
MIN_PROFILE_QUESTIONS = 2


def _select_one(instrument: Instrument) -> dict[str, str]:
    """Name -> the page title, for every select_one question, in definition order."""
    out: dict[str, str] = {}
    for page in instrument.pages():
        for question in page.questions():
            if question.type.split()[:1] == ["select_one"]:
                out[question.name] = page.title
    return out


def profile_question_names(instrument: Instrument) -> tuple[str, ...]:
    """The profile's questions in the order they are asked; empty when there is no profile.

    Names in the setting that are not single-choice questions of the instrument are left out
    rather than failing the whole export.
    """
    closed = _select_one(instrument)
    setting = dict(instrument.settings).get(PROFILE_SETTING, "")
    if setting:
        wanted = {name for name in re.split(r"[\s,]+", setting) if name}
        names = tuple(name for name in closed if name in wanted)
    else:
        pages = instrument.pages()
        first = {q.name for q in pages[0].questions()} if pages and pages[0].group else set()
        names = tuple(name for name in closed if name in first)
    return names if len(names) >= MIN_PROFILE_QUESTIONS else ()


def profile_title(instrument: Instrument) -> str:
    """ "Profile of respondents: About you and your organisation" (the first page's title)."""
    pages = instrument.pages()
    heading = pages[0].title if pages and not dict(instrument.settings).get(PROFILE_SETTING) else ""
    return f"Profile of respondents: {heading}" if heading else "Profile of respondents"
