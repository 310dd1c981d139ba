"""Responses do not name the server software: gunicorn's ``Server: gunicorn`` becomes ``Server: feedback``.

A probe of a running server (issue 16, item 8) read ``Server: gunicorn``, which tells an attacker
which software and which list of known faults to try. Why it is done this way:

* gunicorn has no setting for the header; its maintainers declined one (benoitc/gunicorn#825,
  #1384, #1617). It writes ``Server: <gunicorn.http.wsgi.SERVER>`` itself, before the app's
  headers, so a ``Server`` header set by the app (an ``after_request``) would be sent twice.
  ``gunicorn.http.wsgi`` copies ``gunicorn.SERVER`` when it is imported (so the usual recipe,
  setting ``gunicorn.SERVER`` in a config file, works only while config files are read first) and
  reads its copy for every response (``Response.__init__``): replacing the copy in the worker
  covers every response the worker sends.
* It is done from the app, which gunicorn builds in each worker (``feedback serve`` passes no
  ``--preload``; with one it is built in the master and inherited), not from a gunicorn config
  file: that would replace a deployment's own ``gunicorn.conf.py`` or ``-c``, change the command
  the README says ``feedback serve`` runs, and miss ``gunicorn 'feedback:create_app()'`` run
  directly. Nothing is imported: outside gunicorn (``feedback run``, tests) this does nothing.
* gunicorn's own error replies (a malformed request line) send no ``Server`` header at all.

``tests/cli/test_server_header.py`` checks this against the pinned gunicorn with a real server;
a gunicorn upgrade that moves the header would fail there, not silently.
"""

from __future__ import annotations

import sys

from flask import Flask

SERVER = "feedback"  # no version either: the version would say which faults apply


def hide_server_software() -> bool:
    """Make the gunicorn running this process (if any) send ``Server: feedback``; True if it did."""
    responses = sys.modules.get("gunicorn.http.wsgi")
    if responses is None or not isinstance(getattr(responses, "SERVER", None), str):
        return False
    responses.SERVER = SERVER  # type: ignore[attr-defined]  # a module found at run time, not imported
    return True


def init_app(app: Flask) -> None:
    hide_server_software()
