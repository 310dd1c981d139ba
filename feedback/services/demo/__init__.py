"""The Change Up demo: a programme, its five projects, their activities and synthetic responses.

``feedback demo`` (and ``feedback setup`` on an empty database) calls :func:`load_demo`, which
recreates the NOMS Change Up programme evaluated in 2007 so that every page of the tool has
something realistic to show. Everything it writes is marked demo (``Programme.is_demo`` and
``is_demo`` on contacts, cases and responses); the programme is called "Change Up (demo data)".
Static tables (projects, activities, counts, weights, free-text themes) are YAML files in
``data/``, read by :mod:`.tables`; each project's fieldwork has its own module.

What it creates, with the report's numbers (Table 2.1 unless stated):

* CRISP web survey: 710 contacts on the e-mail list, one case each. 189 responded (160 complete,
  29 partial: 26.6%); of the 521 others 12 invitations bounced, 3 opted out and 506 returned
  nothing. Respondents reproduce Table 2.2 as percentages of those answering each question:
  organisation 130/33/26 of 189 (68.8/17.5/13.8: the report's 13.7 fits no base of 189 or
  fewer), location 84/29/26/19 of 176 plus 18 elsewhere (exactly 47.7/16.5/14.8/10.8; 13
  partial respondents left it blank) and primary work 30/30/27/16/16/13 of 185 (16.2/16.2/14.6/
  8.6/8.6/7.0; the report's categories add to 94.0%, so the missing 6% sits in "other", 53).
  Section 4 findings: action learning usefulness 22/17/16 (base 55, of 78 set members);
  stereotypes 35 helpful (45%) and 17 no more effective (22%) of 78; skills 26 yes and 15 no
  (base 41: the report's 63% and n=26 agree on that base, its "27%" does not); replication 16 yes
  (46%) and 4 conditional (11%) of 35.
* CRISP action learning discussions: 4 (one per set, "data was collected from four sets").
* MOVE: 6 telephone interviews (2 Nacro staff, 4 VCOs).
* Step Up: 16 non-engaged interviews (15 telephone, 1 e-mail) of the 17 conference VCOs that did
  not sign up (1 not reached, NC); 13 organisations listed as taking part: 6 interviewed (face to
  face or telephone), 7 screened out (NE on that instrument) and given the brief interview; 3
  statutory interviews; 1 group interview covering the 2 team members (one response, one case,
  ``participants`` = 2); 1 observation of the November 2006 Working Lunch (7 VCOs).
* PiRR: 97 event feedback forms from 6 events (launch 31 of "over 150"; the other five with
  attendance assumed and marked so in ``attending_note``); steering group feedback from 6 of 10
  members (assumed: the report says "unknown").
* SEED4BME: 10 statutory and 40 VCO telephone surveys (16 of 40 said contestability was raised),
  8 steering group interviews, 7 case studies.

Interviewer instruments get a contact and case per interviewee, so every response has a
denominator. Answers respect each instrument's skip rules and constraints, are checked again by
``record_response``, and come from ``random.Random`` seeded per instrument and per response, so a
given seed gives the same answers whichever instruments are loaded. Case tokens and activity
short codes come from :mod:`secrets`: the seed is public, links must not be guessable.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...db import Programme
from .context import Demo
from .programme import run

__all__ = ["DemoRefused", "has_programmes", "load_demo"]


class DemoRefused(RuntimeError):
    """The database already has programmes: the demo only loads into an empty one."""


def has_programmes(session: Session) -> bool:
    return session.scalar(select(Programme.id).limit(1)) is not None


def load_demo(session: Session, progress: Callable[[str], None] = lambda s: None, seed: int = 2006) -> str:
    """Create the Change Up demo in ``session`` (flushed, not committed) and return a summary.

    Raises :class:`DemoRefused` if the database already has a programme (real or demo): the demo
    never mixes with real data.
    """
    if has_programmes(session):
        raise DemoRefused("the database already has programmes; the demo only loads into an empty database")
    return run(Demo(session, progress, seed))
