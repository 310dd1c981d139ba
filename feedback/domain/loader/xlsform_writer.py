"""Write an :class:`Instrument` as an XLSForm workbook that loads back into the same instrument.

Used by ``feedback forms export`` so evaluators can edit an instrument in Excel or hand it to
ODK/Kobo users. The contract is the round trip: ``load_file(write_xlsform(i))`` equals ``i``.
Hence the rules below:

* ``generated`` questions (the ``or_other`` text box) are skipped, as the loader re-creates them;
  the ``other`` choice the loader added is written, and on reload it is simply found in the list.
* Default texts go under plain ``label``/``hint``; when the instrument has a default language that
  is also one of its translation languages (and no separate translation in it) they go under
  ``label::<default language>`` instead, which is how such workbooks are written in the first place.
* Only columns holding at least one value are written.
* Every cell is written as text (data type ``s``), so a label such as ``=1+1`` or ``@home`` stays
  text in Excel and is never run as a formula. We set the type rather than prefix a quote, which
  would change the text and break the round trip.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet

from ..instrument import Choice, Group, Instrument, Item, Question

#: Translatable survey columns, each followed by its ``::language`` columns, in sheet order.
_SURVEY_ORDER = (
    "type", "name", "label", "hint", "required", "required_message", "relevant", "constraint",
    "constraint_message", "appearance", "choice_filter", "default", "calculation", "personal_data", "profile",
)
_TRANSLATABLE = ("label", "hint", "required_message", "constraint_message")
_SETTINGS_ORDER = ("form_id", "form_title", "version", "kind", "project", "description", "default_language")

Cells = dict[str, str]


class _Texts:
    """Where default texts and translations go, decided once for the whole instrument."""

    def __init__(self, instrument: Instrument):
        translated = {lang for item in instrument.walk() for _c, lang, _t in item.translations}
        translated |= {lang for choices in instrument.choice_lists.values() for c in choices
                       for lang, _t in c.translations}
        default = instrument.default_language
        self.default_column_language = (
            default if default and default in instrument.languages and default not in translated else ""
        )
        extra = sorted(translated - set(instrument.languages))
        self.languages = [*instrument.languages, *extra]

    def column(self, base: str, language: str = "") -> str:
        """The header for ``base`` texts in ``language`` ("" = the default texts)."""
        language = language or self.default_column_language
        return f"{base}::{language}" if language else base

    def order(self, base: str) -> list[str]:
        return [base, *(f"{base}::{lang}" for lang in self.languages)]

    def put(self, cells: Cells, base: str, default: str,
            translations: tuple[tuple[str, str, str], ...]) -> None:
        if default:
            cells[self.column(base)] = default
        for column, lang, text in translations:
            if column == base and text:
                cells[f"{base}::{lang}"] = text


def _question_cells(question: Question, texts: _Texts) -> Cells:
    cells: Cells = {"type": question.xlsform_type, "name": question.name}
    for base in _TRANSLATABLE:
        texts.put(cells, base, getattr(question, base), question.translations)
    if question.required:
        cells["required"] = "yes"
    if question.personal_data:
        cells["personal_data"] = "yes"
    if question.profile:
        cells["profile"] = "yes"
    for column in ("relevant", "constraint", "appearance", "choice_filter", "default", "calculation"):
        if getattr(question, column):
            cells[column] = getattr(question, column)
    return cells


def _survey_rows(items: tuple[Item, ...], texts: _Texts) -> list[Cells]:
    rows: list[Cells] = []
    for item in items:
        if isinstance(item, Group):
            begin: Cells = {"type": "begin_group", "name": item.name}
            for base in _TRANSLATABLE:  # a group keeps every translated column the loader saw
                texts.put(begin, base, getattr(item, base, ""), item.translations)
            if item.relevant:
                begin["relevant"] = item.relevant
            if item.appearance:
                begin["appearance"] = item.appearance
            if item.profile:
                begin["profile"] = "yes"
            rows.append(begin)
            rows.extend(_survey_rows(item.children, texts))
            rows.append({"type": "end_group"})
        elif not item.generated:
            rows.append(_question_cells(item, texts))
    return rows


def _choice_rows(instrument: Instrument, texts: _Texts) -> tuple[list[Cells], list[str]]:
    rows: list[Cells] = []
    extra_columns: list[str] = []
    for list_name, choices in instrument.choice_lists.items():
        for choice in choices:
            rows.append(_choice_cells(list_name, choice, texts))
            extra_columns.extend(k for k, _v in choice.extra if k not in extra_columns)
    return rows, extra_columns


def _choice_cells(list_name: str, choice: Choice, texts: _Texts) -> Cells:
    cells: Cells = {"list_name": list_name, "name": choice.name}
    translations = tuple(("label", lang, text) for lang, text in choice.translations)
    texts.put(cells, "label", choice.label, translations)
    for key, value in choice.extra:
        if value:
            cells[key] = value
    return cells


def _text_cell(sheet: Worksheet, row: int, column: int, value: str) -> None:
    """Write ``value`` as text whatever it looks like (``=SUM(A1)``, ``@x``, ``007``, ``TRUE``)."""
    cell = sheet.cell(row=row, column=column)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters cannot be stored in .xlsx
    cell.data_type = "s"


def _write_sheet(sheet: Worksheet, order: list[str], rows: list[Cells]) -> None:
    """Header row, then one row per dict; only columns with at least one value, in ``order``."""
    used = {column for row in rows for column, value in row.items() if value}
    columns = [c for c in order if c in used]
    columns += [c for row in rows for c in row if c in used and c not in columns]  # anything unforeseen
    columns = list(dict.fromkeys(columns))
    for index, column in enumerate(columns, start=1):
        _text_cell(sheet, 1, index, column)
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            if row.get(column):
                _text_cell(sheet, number, index, row[column])


def _settings(instrument: Instrument) -> Cells:
    values = {
        "form_id": instrument.slug,
        "form_title": instrument.title,
        "version": instrument.version,
        "kind": instrument.kind,
        "project": instrument.project or "",
        "description": instrument.description,
        "default_language": instrument.default_language,
    }
    values.update((key, value) for key, value in instrument.settings if key not in values)
    return {key: value for key, value in values.items() if value}


def write_xlsform(instrument: Instrument, target: Path | BinaryIO) -> None:
    """Write ``instrument`` to ``target`` (a path or a binary file object) as survey/choices/settings."""
    texts = _Texts(instrument)
    workbook = Workbook()
    survey = workbook.active
    if not isinstance(survey, Worksheet):  # a new workbook always has one; openpyxl only types it loosely
        raise RuntimeError("openpyxl made a new workbook without a worksheet to write the survey to")
    survey.title = "survey"
    survey_order: list[str] = []
    for column in _SURVEY_ORDER:
        survey_order.extend(texts.order(column) if column in _TRANSLATABLE else [column])
    _write_sheet(survey, survey_order, _survey_rows(instrument.items, texts))

    choice_rows, extra_columns = _choice_rows(instrument, texts)
    if choice_rows:
        order = ["list_name", "name", *texts.order("label"), *extra_columns]
        _write_sheet(workbook.create_sheet("choices"), order, choice_rows)

    settings = _settings(instrument)
    order = [*_SETTINGS_ORDER, *(k for k in settings if k not in _SETTINGS_ORDER)]
    _write_sheet(workbook.create_sheet("settings"), order, [settings])
    workbook.save(target)
