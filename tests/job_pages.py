"""Background jobs seen through their pages (exports, stat files, Word reports): start one with
a POST and follow its status page as the browser's refresh would."""

from __future__ import annotations

import time
from collections.abc import Mapping

from flask.testing import FlaskClient


def start_job(client: FlaskClient, page: str, data: Mapping[str, object]) -> str:
    """POST ``data`` to ``page`` (which must redirect to the job's status page); its URL."""
    response = client.post(page, data=dict(data))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def finished(client: FlaskClient, status_url: str, timeout: float = 30.0) -> str:
    """Poll the status page until it stops refreshing itself; its last HTML."""
    deadline = time.monotonic() + timeout
    while True:
        html = client.get(status_url).get_data(as_text=True)
        if 'http-equiv="refresh"' not in html:
            return html
        assert time.monotonic() < deadline, f"the job at {status_url} did not finish in {timeout:.0f} s"
        time.sleep(0.05)
