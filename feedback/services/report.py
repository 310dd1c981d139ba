"""The Word report of a project, built from live data (``feedback report``, the project page's
button): title page, methodology (Table 2.1, the respondent profile as Table 2.2, response rates
and representativeness), activities and attendance, each closed question with its chart, and
free-text themes with quotes where respondents consented.

One definition per figure: every number comes from the functions the staff pages and the
workbook use (:func:`~feedback.services.rates.methodology_table`, ``instrument_rates``,
``representativeness``, :func:`~feedback.services.summaries.summarise` and ``report_sections``,
:func:`~feedback.services.attendance.attendance_of`, :func:`~feedback.services.coding.theme_tables`),
so the report cannot disagree with them. Personal-data questions never appear: the summaries
leave them out, and the instrument model used for the layout is ``without_personal_data()``.

Quotes need consent: see :mod:`.report_free_text`.

Only reads; the caller owns the session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from ..db import Instrument, Project
from ..db.summary_queries import ResponseFilter
from ..domain.instrument import Instrument as InstrumentModel
from ..domain.summary import FrequencyTable, NumericSummary, ProfileTable
from ..export.docx_report import Block, Heading, Paragraph, write_docx
from . import report_sections as layout
from .attendance import UnknownProject, attendance_of
from .instruments import current_model
from .rates import methodology_table, partial_rules, project_instruments, representativeness
from .report_free_text import CONSENT_SETTING, free_text_chapter
from .summaries import InstrumentSummary, report_sections, summarise

__all__ = ["CONSENT_SETTING", "ReportResult", "UnknownProject", "report_blocks", "write_report"]


#: ``progress(done, total, what)``: called as the report is built (charts are the slow part).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReportResult:
    path: Path
    tables: int
    questions: int  # closed questions tabulated (each with its chart when anyone answered)


@dataclass(frozen=True)
class ReportContent:
    blocks: list[Block]
    questions: int  # closed questions tabulated


@dataclass
class _Numbers:
    """Table numbers per chapter: "2.1", "2.2", ... (the report's own numbering)."""

    used: dict[int, int] = field(default_factory=dict)

    def next(self, chapter: int) -> str:
        self.used[chapter] = self.used.get(chapter, 0) + 1
        return f"{chapter}.{self.used[chapter]}"


@dataclass(frozen=True)
class _Instrument:
    row: Instrument
    model: InstrumentModel  # without personal-data questions
    summary: InstrumentSummary
    profile: ProfileTable | None
    tables: tuple[FrequencyTable | NumericSummary, ...]

    @property
    def responses(self) -> int:
        return sum(self.summary.responses.values())


def _gather(session: Session, instruments: Sequence[Instrument], scope: ResponseFilter) -> list[_Instrument]:
    found = []
    for instrument in instruments:
        model = current_model(session, instrument.slug).without_personal_data()
        summary = summarise(session, instrument.slug, scope)
        profile, tables = report_sections(summary, model)
        found.append(_Instrument(instrument, model, summary, profile, tables))
    return found


def report_blocks(
    session: Session,
    project_slug: str,
    *,
    scope: ResponseFilter | None = None,
    generated: datetime | None = None,
    progress: Progress | None = None,
) -> ReportContent:
    """The report's blocks, in order. Raises :class:`UnknownProject`."""
    try:
        project, instruments = project_instruments(session, project_slug)
    except LookupError:
        raise UnknownProject(project_slug) from None
    scope = scope or ResponseFilter()
    items = _gather(session, instruments, scope)
    questions = sum(1 for item in items for t in item.tables if isinstance(t, FrequencyTable))
    total = questions + 1
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, what)

    numbers = _Numbers()
    when = generated or datetime.now(UTC)
    responses = sum(item.responses for item in items)
    blocks: list[Block] = [
        layout.title_page(project, len(items), responses, when),
        *layout.about(project.name),
    ]
    blocks += _methodology(session, project, items, numbers)
    blocks += _attendance(session, project, numbers)
    blocks += _findings(items, numbers, step)
    blocks += free_text_chapter(session, items, scope, numbers.next)
    return ReportContent(blocks, questions)


def write_report(
    session: Session,
    project_slug: str,
    target: Path,
    *,
    template: Path | None = None,
    scope: ResponseFilter | None = None,
    progress: Progress | None = None,
) -> ReportResult:
    """Build the report and write it to ``target`` (atomically) on ``template``'s styles."""
    content = report_blocks(session, project_slug, scope=scope, progress=progress)
    tables = write_docx(target, content.blocks, template)
    if progress is not None:
        progress(1, 1, "written")
    return ReportResult(Path(target), tables, content.questions)


# --- chapter 2: methodology ---------------------------------------------------------------------


def _methodology(
    session: Session, project: Project, items: Sequence[_Instrument], numbers: _Numbers
) -> list[Block]:
    rows = methodology_table(session, project.slug)
    rates = [row.figures for row in rows if row.figures is not None]  # the rows' own figures
    blocks: list[Block] = [
        Heading("2 Methodology"),
        Paragraph(
            "Table 2.1 lists every instrument of the project with its method and mode, its sample "
            "(cases, or forms handed out at events), how many of the sample responded with the "
            "response rate, and the partial threshold: how much of a form a respondent must answer "
            "to count as a partial response."
        ),
        layout.methodology_table(
            f"Table {numbers.next(2)}: Methods, samples and response rates", rows, partial_rules(rates)
        )
        if rows
        else Paragraph("This project has no instruments yet, so there is nothing to tabulate."),
        Heading("Respondent profile", 2),
    ]
    profiled = [(item, item.profile) for item in items if item.profile is not None]
    for item, profile in profiled:
        caption = f"Table {numbers.next(2)}: {profile.title} ({item.row.title})"
        blocks.append(layout.profile_table_block(caption, profile))
    if not profiled:
        blocks.append(
            Paragraph(
                "No instrument of this project has a respondent profile: mark its profile section or "
                "questions with profile: yes, or name them in the profile_questions setting."
            )
        )
    blocks.append(Heading("Response rates", 2))
    rated = [item for item in rates if item.report is not None]
    for figures in rated:
        blocks.append(
            layout.rates_table(f"Table {numbers.next(2)}: AAPOR rates for {figures.title}", figures)
        )
    if not rated:
        blocks.append(
            Paragraph("No instrument of this project has a sample, so there are no response rates.")
        )
    blocks.append(Heading("Representativeness", 2))
    compared = 0
    for item, figures in zip(items, rates, strict=True):
        if figures.report is None:
            continue
        for attribute, profile_rows in representativeness(session, item.row).items():
            caption = f"Table {numbers.next(2)}: {item.row.title}: respondents and sample by {attribute}"
            labels = _choice_labels(item.model, attribute)
            blocks.append(layout.representativeness_table(caption, attribute, profile_rows, labels))
            compared += 1
    if not compared:
        blocks.append(
            Paragraph(
                "No contact attributes (region, type of organisation...) were recorded with the "
                "samples, so respondents cannot be compared with the people who were asked."
            )
        )
    return blocks


def _choice_labels(model: InstrumentModel, name: str) -> dict[str, str]:
    """Choice labels of the question called ``name`` (a contact attribute often shares its codes
    with the question that asks it, such as org_type); empty when there is no such question."""
    try:
        question = model.question(name)
    except KeyError:
        return {}
    return {choice.name: choice.label for choice in model.choices_for(question)}


# --- chapter 3: activities ----------------------------------------------------------------------


def _attendance(session: Session, project: Project, numbers: _Numbers) -> list[Block]:
    table = attendance_of(session, project)
    blocks: list[Block] = [Heading("3 Activities and attendance")]
    if not table.groups:
        return [*blocks, Paragraph("No activities have been recorded for this project.")]
    outputs = f" and {table.outputs} publications, bulletins or toolkits" if table.outputs else ""
    blocks.append(Paragraph(f"{table.events} events{outputs}. Number attending: {table.attending_text}."))
    blocks.append(
        layout.attendance_by_region(
            f"Table {numbers.next(3)}: Activities undertaken by {project.name}: events and attendance by "
            "region",
            table,
        )
    )
    blocks.append(
        layout.attendance_by_activity(
            f"Table {numbers.next(3)}: Each activity of {project.name} and the number attending", table
        )
    )
    return blocks


# --- chapter 4: closed questions ----------------------------------------------------------------


def _page_titles(model: InstrumentModel) -> dict[str, str]:
    return {question.name: page.title for page in model.pages() for question in page.questions()}


def _findings(items: Sequence[_Instrument], numbers: _Numbers, step: Callable[[str], None]) -> list[Block]:
    blocks: list[Block] = [Heading("4 Findings")]
    waiting = [item.row.title for item in items if not item.responses]
    open_only = [item.row.title for item in items if item.responses and not item.tables]
    for item in items:
        if not item.responses or not item.tables:
            continue
        counts = ", ".join(f"{n} {status}" for status, n in item.summary.responses.items())
        blocks.append(Heading(item.row.title, 2))
        blocks.append(
            Paragraph(
                f"All {item.responses} responses ({counts}), from the sample or not. Each table gives "
                "the number choosing each answer, its percentage of those who answered and the 95% "
                "interval; the chart below it shows the same figures."
            )
        )
        pages = _page_titles(item.model)
        heading = ""
        for table in item.tables:
            page = pages.get(table.name, "")
            if page and page != heading:
                blocks.append(Heading(page, 3))
                heading = page
            number = numbers.next(4)
            if isinstance(table, NumericSummary):
                blocks.append(layout.numeric_table_block(f"Table {number}: {table.label}", table))
                continue
            blocks.append(layout.frequency_table_block(f"Table {number}: {table.label}", table))
            chart = layout.chart_block(table, number)
            if chart is not None:
                blocks.append(chart)
            step(f"{item.row.title}: {table.label}")
    if waiting:
        blocks.append(Paragraph("No responses yet: " + "; ".join(waiting) + "."))
    if open_only:
        blocks.append(Paragraph("Only open questions (see chapter 5): " + "; ".join(open_only) + "."))
    if not items:
        blocks.append(Paragraph("This project has no instruments yet."))
    return blocks
