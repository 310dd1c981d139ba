"""``feedback report``: the project's Word report (.docx) from live data.

A thin command: check the options, open one read transaction, call
:func:`feedback.services.report.write_report`, say where the file went. Errors a user can cause
(unknown project, a template that is not a Word document) end with a message and exit status 1;
the target is only replaced once the new report is complete.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from .db.app import get_db


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.command(
    "report",
    help="Write the project's Word report (.docx): methodology (Table 2.1), respondent profile, rates, "
    "attendance, each closed question with its chart, and free-text themes.",
)
@click.option("--project", "project_slug", required=True, help="The project's slug, e.g. crisp.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The .docx file to write.",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A Word document whose styles (Heading 1-3, Caption, Quote...), page set-up, headers and "
    "footers the report uses; its text is not copied. Default: the template shipped with feedback.",
)
@with_appcontext
def report_command(project_slug: str, output: Path, template: Path | None) -> None:
    from docx.opc.exceptions import PackageNotFoundError

    from .export.docx_report import open_template
    from .services.report import UnknownProject, write_report

    if output.suffix.lower() != ".docx":
        _fail(f"{output}: a Word report is a .docx file (name it {output.with_suffix('.docx').name})")
    if template is not None:
        try:
            open_template(template)
        except (PackageNotFoundError, ValueError, KeyError) as problem:
            _fail(f"{template}: not a Word document (.docx) whose styles can be used ({problem})")
    with get_db().read() as session, click.progressbar(length=1, label="report", file=sys.stderr) as bar:

        def progress(done: int, total: int, _what: str) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            result = write_report(session, project_slug, output, template=template, progress=progress)
        except UnknownProject:
            _fail(f"no project called '{project_slug}'")
            return
    click.echo(f"wrote {result.path}: {result.tables} tables, {result.questions} closed questions")


def register(app: Flask) -> None:
    """Add the command to the app's CLI (one line in ``feedback.cli.init_app``)."""
    app.cli.add_command(report_command)
