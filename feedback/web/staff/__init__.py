"""The staff face: evaluators, interviewers and administrators under ``/staff``.

Closed by default (see :mod:`.blueprint`): every page needs a signed-in user, project pages check
the user's role through :func:`.access.require_project_role`. To add a page, write it in a module
here and add one import line below; then give it a rule in ``tests/web/test_staff_authz.py``.
"""

from __future__ import annotations

from flask import Flask

from . import admin, auth, views  # noqa: F401 -- importing a module registers its routes on bp
from . import analysis as _analysis  # noqa: F401 -- summaries, charts, cross-tabs
from . import attendance as _attendance  # noqa: F401 -- activities, events and attendance by region
from . import audit as _audit  # noqa: F401 -- the audit trail, response deletion, erasure
from . import cases as _cases  # noqa: F401 -- non-responders, a case's disposition
from . import coding as _coding  # noqa: F401 -- free-text answers and their themes
from . import exports as _exports  # noqa: F401 -- workbook exports in the background
from . import fieldwork as _fieldwork  # noqa: F401 -- contact upload, samples, waves, mail merge
from . import instrument_rules as _instrument_rules  # noqa: F401 -- who may answer, the partial rule
from . import instruments as _instruments  # noqa: F401 -- upload, preview, publish, close
from . import interviews as _interviews  # noqa: F401 -- interviewer case lists, calls, interviews
from . import paper as _paper  # noqa: F401 -- paper data entry and double keying
from . import rates as _rates  # noqa: F401 -- response rates and the methodology table
from . import report_jobs as _report_jobs  # noqa: F401 -- the Word report, built in the background
from .blueprint import bp
from .login import init_app as _init_login


def init_app(app: Flask) -> None:
    _init_login(app)
    app.register_blueprint(bp)
