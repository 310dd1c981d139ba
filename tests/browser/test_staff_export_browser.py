"""An evaluator in Chromium: signs in, reads a summary, starts an export and downloads the workbook.

The export runs in a background thread while its page refreshes itself (a ``<meta>`` refresh,
no JavaScript), so the test waits for the download link the way a person would, then opens the
downloaded file with openpyxl: the Responses sheet has one row per response, the responses
recorded here. The project is made for the test, so its counts are exactly known whatever other
journeys submit elsewhere.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import expect
from sqlalchemy import select

from feedback.db import Instrument, Project
from feedback.db.app import EXTENSION
from feedback.domain.loader import load_file
from feedback.services import accounts
from feedback.services.instruments import save_instrument
from feedback.services.responses import record_response

PASSWORD = "correct horse battery staple"
FORM = """\
settings:
  form_id: {slug}
  form_title: Workshop feedback {suffix}
  project: {project}
survey:
  - type: select_one yes_no
    name: useful
    label: Was the workshop useful?
  - type: text
    name: comments
    label: Any comments?
choices:
  yes_no:
    - name: "yes"
      label: "Yes"
    - name: "no"
      label: "No"
"""
ANSWERS = ["yes"] * 5 + ["no"] * 2


def _project_with_responses(live_server: Any, folder: Path) -> dict[str, Any]:
    """A new project, its evaluator, and an instrument with seven responses (five "Yes")."""
    suffix = secrets.token_hex(3)
    names = {"project": f"export-{suffix}", "slug": f"workshop-{suffix}", "suffix": suffix}
    path = folder / f"{names['slug']}.yaml"
    path.write_text(FORM.format(**names))
    email = f"evaluator-{suffix}@example.org"
    with live_server.app.extensions[EXTENSION].write() as session:
        session.add(Project(slug=names["project"], name=f"Export pilot {suffix}"))
        session.flush()
        save_instrument(session, load_file(path))
        instrument = session.scalar(select(Instrument).where(Instrument.slug == names["slug"]))
        assert instrument is not None
        ids = [
            record_response(session, instrument, {"useful": answer, "comments": f"Comment {n}"}).id
            for n, answer in enumerate(ANSWERS)
        ]
        user = accounts.create_user(session, email, "Evie Evaluator", password=PASSWORD)
        accounts.grant_role(session, user, names["project"], "evaluator")
    return {**names, "email": email, "ids": ids, "title": f"Workshop feedback {suffix}"}


def test_evaluator_reads_a_summary_and_downloads_a_workbook(
    context: Any, live_server: Any, journey: Any, tmp_path: Path
) -> None:
    made = _project_with_responses(live_server, tmp_path)
    page = journey.watch(context.new_page())
    page.goto("/staff/login")
    page.get_by_label("E-mail address").fill(made["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/staff/")
    page.get_by_role("link", name=f"Export pilot {made['suffix']}").click()
    page.get_by_role("link", name="Summaries", exact=True).click()
    page.get_by_role("link", name=made["title"], exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(made["title"])
    table = page.locator(".app-summary-table").filter(
        has=page.get_by_role("heading", name=re.compile(r"^Was the workshop useful\?"))
    )
    expect(table.locator("caption")).to_have_text("Base: 7 answered")
    yes = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Yes", exact=True))
    expect(yes.get_by_role("cell").nth(0)).to_have_text("5")
    expect(yes.get_by_role("cell").nth(1)).to_have_text("71.4%")
    no = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name="No", exact=True))
    expect(no.get_by_role("cell").nth(0)).to_have_text("2")
    journey.step(page, "summary")

    page.get_by_role("link", name="Export", exact=True).click()
    page.wait_for_url(re.compile(r"/exports\?instrument="))
    expect(page.get_by_label("Instrument")).to_have_value(made["slug"])
    expect(page.get_by_label("Excel workbook (.xlsx)")).to_be_checked()
    journey.step(page, "export form")
    page.get_by_role("button", name="Start the export").click()
    page.wait_for_url(re.compile(r"/exports\?job="))
    # Running, the page refreshes itself every two seconds until the file is complete.
    expect(page.get_by_role("heading", name="Your export is ready")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("7 response(s)")).to_be_visible()
    journey.step(page, "export ready")

    with page.expect_download() as started:
        page.get_by_role("link", name=re.compile(r"^Download ")).click()
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename.startswith(made["slug"]) and download.suggested_filename.endswith(
        ".xlsx"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    workbook = openpyxl.load_workbook(saved, read_only=True)
    try:
        assert "Responses" in workbook.sheetnames
        rows = [
            row
            for row in workbook["Responses"].iter_rows(values_only=True)
            if any(v is not None for v in row)
        ]
    finally:
        workbook.close()
    header, *responses = rows
    assert header[0] == "response_id" and "useful" in header
    assert len(responses) == len(ANSWERS)
    assert sorted(int(row[0]) for row in responses) == sorted(made["ids"])  # type: ignore[arg-type]
    useful = header.index("useful")
    assert sorted(str(row[useful]) for row in responses) == ["No"] * 2 + ["Yes"] * 5  # labels, the default
    journey.assert_clean()
    journey.assert_no_console_errors()
