"""Exports as use cases: choose the sheets for an instrument or a project, write them safely.

The file is written to a temporary name in the target folder and renamed into place only when
complete (``os.replace`` is atomic on one filesystem), so nobody ever opens a half-written
workbook, and a failed export leaves any previous file untouched. Only reads the database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Instrument, InstrumentVersion, Project
from ..db.export_queries import count_responses
from ..db.summary_queries import ResponseFilter
from ..domain.instrument import Instrument as InstrumentModel
from ..export.csv_writer import write_csv
from ..export.report_sheets import attendance_sheet, instruments_sheet, rates_sheet, summary_sheet
from ..export.respondents import respondents_sheet
from ..export.sheets import Sheet
from ..export.tables import Values, codebook_sheet, free_text_sheet, responses_sheet
from ..export.xlsx import WriteReport, write_xlsx
from .attendance import UnknownProject, attendance_of
from .coding import theme_tables
from .instruments import UnknownInstrument, get_instrument, model_of
from .rates import instrument_rates, partial_rules
from .summaries import report_sections, summarise

Format = Literal["xlsx", "csv"]

__all__ = ["UnknownProject", "export_csv", "export_xlsx", "workbook_sheets"]


@dataclass(frozen=True)
class ExportResult:
    paths: tuple[Path, ...]
    rows: dict[str, int]
    long_texts: int = 0


def instruments_of(session: Session, instrument: str | None, project: str | None) -> list[Instrument]:
    """The instrument named, or every instrument of the project (in slug order)."""
    if instrument:
        return [get_instrument(session, instrument)]
    found = session.scalar(select(Project).where(Project.slug == project))
    if found is None:
        raise UnknownProject(project or "")
    return list(
        session.scalars(select(Instrument).where(Instrument.project_id == found.id).order_by(Instrument.slug))
    )


def count_in_scope(session: Session, instruments: list[Instrument], scope: ResponseFilter) -> int:
    """Responses the Responses sheets will hold: the length of a progress bar."""
    return sum(count_responses(session, i.id, scope) for i in instruments)


def _model(session: Session, instrument: Instrument) -> InstrumentModel:
    version = session.get(InstrumentVersion, instrument.current_version_id)
    if version is None:
        raise UnknownInstrument(f"{instrument.slug} has no version")
    return model_of(version)


def _personal(model: InstrumentModel) -> list[str]:
    """The personal-data input questions, in order: the extra columns of the Respondents sheet."""
    return [q.name for q in model.input_questions() if q.personal_data]


def workbook_sheets(
    session: Session,
    instruments: list[Instrument],
    scope: ResponseFilter,
    secret: str,
    values: Values = "labels",
    progress: Callable[[int], None] | None = None,
    summary: bool = True,
    identified: bool = False,
) -> Iterator[Sheet]:
    """The sheets of the workbook, generated one at a time (each streams its own rows).

    One instrument: Responses, Codebook, Summary (the respondent profile the evaluator chose
    first, when the instrument has one, then every other question once), Free text and Themes
    (when there are any), Response rates, then Attendance for the instrument's project (when it
    has activities). Several (a project): an Instruments index, then those sheets per instrument
    numbered as in the index. Each sheet's page header names the instrument and its footer
    gives the responses in scope ("Base: n"). Attendance does not depend on the response
    filter: activities are the project's, not the responses'.

    ``identified`` adds a Respondents sheet (names, e-mails, and the answers to personal-data
    questions) after each Responses sheet; the caller must have checked and logged the
    permission (:mod:`feedback.services.identified`). Every other sheet is built from the
    instrument without its personal-data questions, identified or not, so that Responses keeps
    one layout and the identifying columns sit in one sheet that can be deleted.
    """
    several = len(instruments) > 1
    project = _project_name(session, instruments)
    if several:
        yield _page(instruments_sheet(instruments), project, None)
    for number, instrument in enumerate(instruments, 1):
        full = _model(session, instrument)
        model = full.without_personal_data()
        suffix = f" {number}" if several else ""
        base = count_responses(session, instrument.id, scope)
        caption = instrument.title

        def page(sheet: Sheet, base: int | None = base, caption: str = caption) -> Sheet:
            return _page(sheet, caption, base)

        yield page(
            responses_sheet(session, instrument, model, scope, secret, values, f"Responses{suffix}", progress)
        )
        if identified:
            yield page(
                respondents_sheet(session, instrument, scope, secret, f"Respondents{suffix}", _personal(full))
            )
        yield page(codebook_sheet(model, f"Codebook{suffix}"))
        if summary:
            tables = summarise(session, instrument.slug, scope)
            counts = ", ".join(f"{n} {status}" for status, n in tables.responses.items())
            total = sum(tables.responses.values())
            title = (
                f"{tables.title} ({tables.slug}): all {total} responses, from the sample or not ({counts})"
            )
            profile, others = report_sections(tables, model)
            yield summary_sheet(title, others, f"Summary{suffix}", profile, caption=caption, base=base)
        free = free_text_sheet(session, instrument, model, scope, f"Free text{suffix}")
        if free is not None:
            yield page(free)
        themes = theme_tables(session, instrument.slug, scope)
        if themes:
            title = f"Themes coded in free-text answers of {instrument.slug} (base = answers coded)"
            yield summary_sheet(title, themes, f"Themes{suffix}", caption=caption, base=base)
    rates = instrument_rates(session, instruments)
    caption = project if several or not instruments else instruments[0].title
    yield rates_sheet(rates, partial_rules(rates), caption=caption)
    yield from _attendance_sheets(session, instruments)


def _page(sheet: Sheet, caption: str, base: int | None) -> Sheet:
    """Give a sheet its page header (the instrument) and footer base (the responses in scope)."""
    sheet.caption, sheet.base = caption, base
    return sheet


def _project_name(session: Session, instruments: list[Instrument]) -> str:
    ids = {i.project_id for i in instruments if i.project_id is not None}
    project = session.get(Project, next(iter(ids))) if len(ids) == 1 else None
    return project.name if project is not None else ", ".join(i.title for i in instruments)


def _attendance_sheets(session: Session, instruments: list[Instrument]) -> Iterator[Sheet]:
    """An Attendance sheet for the project the instruments belong to (one per project if they
    span several), left out for a project with no activities recorded: nothing to tabulate."""
    ids = sorted({i.project_id for i in instruments if i.project_id is not None})
    tables = [attendance_of(session, p) for p in (session.get(Project, pid) for pid in ids) if p]
    tables = [t for t in tables if t.groups]
    for number, table in enumerate(tables, 1):
        name = "Attendance" + (f" {number}" if len(tables) > 1 else "")
        yield attendance_sheet(table, name, caption=table.title)


@contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto it if the block succeeds, else removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        if temporary.exists():
            temporary.unlink()


def export_xlsx(
    session: Session,
    instruments: list[Instrument],
    target: Path,
    scope: ResponseFilter,
    secret: str,
    values: Values = "labels",
    progress: Callable[[int], None] | None = None,
    *,
    identified: bool = False,
) -> ExportResult:
    with _temporary(target) as temporary:
        report: WriteReport = write_xlsx(
            temporary,
            workbook_sheets(session, instruments, scope, secret, values, progress, identified=identified),
        )
    return ExportResult((target,), report.rows, report.long_texts)


def csv_paths(target: Path, instruments: list[Instrument]) -> list[tuple[Path, Path]]:
    """``FILE.csv`` -> ``FILE-responses.csv`` and ``FILE-codebook.csv`` (per instrument slug when
    a project is exported)."""
    stem = target.with_suffix("") if target.suffix.lower() == ".csv" else target
    if len(instruments) == 1:
        return [(Path(f"{stem}-responses.csv"), Path(f"{stem}-codebook.csv"))]
    return [
        (Path(f"{stem}-{i.slug}-responses.csv"), Path(f"{stem}-{i.slug}-codebook.csv")) for i in instruments
    ]


def export_csv(
    session: Session,
    instruments: list[Instrument],
    target: Path,
    scope: ResponseFilter,
    secret: str,
    values: Values = "labels",
    progress: Callable[[int], None] | None = None,
    *,
    identified: bool = False,
) -> ExportResult:
    """Responses and Codebook as CSV files (see :mod:`feedback.export.csv_writer`), without
    personal-data questions; with ``identified``, also ``...-respondents.csv`` beside them
    (names, e-mails and the personal-data answers)."""
    written: list[Path] = []
    rows: dict[str, int] = {}
    for instrument, (responses_path, codebook_path) in zip(
        instruments, csv_paths(target, instruments), strict=True
    ):
        full = _model(session, instrument)
        model = full.without_personal_data()
        sheets = [
            (
                responses_path,
                responses_sheet(session, instrument, model, scope, secret, values, progress=progress),
            ),
            (codebook_path, codebook_sheet(model)),
        ]
        if identified:
            people = responses_path.name.replace("-responses.csv", "-respondents.csv")
            people_sheet = respondents_sheet(session, instrument, scope, secret, personal=_personal(full))
            sheets.append((responses_path.with_name(people), people_sheet))
        for path, sheet in sheets:
            with (
                _temporary(path) as temporary,
                temporary.open("w", encoding="utf-8-sig", newline="") as handle,
            ):
                rows[path.name] = write_csv(handle, sheet)
            written.append(path)
    return ExportResult(tuple(written), rows)
