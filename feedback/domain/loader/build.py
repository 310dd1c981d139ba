"""Build an :class:`Instrument` from a :class:`RawDefinition`, collecting every structural problem.

Structural means what can be checked row by row: types, names, groups, labels, choice lists.
Cross-references and expressions are checked afterwards in :mod:`.validate`, on the built model.
For workbooks from other tools (``lenient=True``) rows of types we do not collect are left out
and listed; in our own YAML files they are errors, since the author can fix them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from ..instrument import (
    INPUT_TYPES,
    INSTRUMENT_KINDS,
    OTHER_CHOICE,
    Choice,
    Group,
    Instrument,
    Item,
    Question,
)
from .errors import Problem
from .raw import CHOICE_COLUMNS, SURVEY_COLUMNS, TRANSLATABLE, RawDefinition, Row
from .types import UNSUPPORTED_REASONS, parse_type

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")
_TRUE = {"yes", "true", "1", "true()", "y"}
_FALSE = {"no", "false", "0", "false()", "n", ""}
_MEDIA = ("image", "audio", "video", "media", "big-image")


@dataclass
class BuildResult:
    instrument: Instrument | None
    problems: list[Problem] = field(default_factory=list)
    left_out: list[Problem] = field(default_factory=list)
    rows_by_name: dict[str, Row] = field(default_factory=dict)
    left_out_names: dict[str, str] = field(default_factory=dict)  # name -> reason


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (slug or "instrument")[:80]


class _Builder:
    def __init__(self, raw: RawDefinition, lenient: bool):
        self.raw = raw
        self.lenient = lenient
        self.file = raw.source
        self.result = BuildResult(None)
        self.languages: list[str] = []
        self.default_language = raw.settings.get("default_language", "").strip()
        self.used_plain = False

    # -- helpers -----------------------------------------------------------------------------
    def error(self, row: Row | None, message: str, column: str | None = None) -> None:
        if row is None:  # a setting: name the key, and its line in a YAML file
            line = self.raw.settings_lines.get(column) if column else None
            self.result.problems.append(
                Problem(message, file=self.file, sheet="settings", column=column, line=line)
            )
        else:
            self.result.problems.append(row.problem(message, column, self.file))

    def leave_out(self, row: Row, message: str, column: str | None = None) -> None:
        self.result.left_out.append(row.problem(message, column, self.file))

    def _texts(self, row: Row) -> tuple[dict[str, str], tuple[tuple[str, str, str], ...]]:
        """Default texts per translatable column, and the translations beside them."""
        plain: dict[str, str] = {}
        translated: list[tuple[str, str, str]] = []
        for column, value in row.cells.items():
            base, _, lang = column.partition("::")
            if base in TRANSLATABLE and not lang:
                plain[base] = value.strip()
            elif base in TRANSLATABLE and lang and value.strip():
                if lang not in self.languages:
                    self.languages.append(lang)
                translated.append((base, lang, value.strip()))
        default_lang = self.default_language or (self.languages[0] if self.languages else "")
        for base, lang, text in translated:
            if not plain.get(base) and lang == default_lang:
                plain[base] = text
        for base, _lang, text in translated:  # no default-language text at all: take the first
            if not plain.get(base):
                plain[base] = text
        if plain.get("label") and "label" in row.cells and row.cells["label"].strip():
            self.used_plain = True
        keep = tuple(t for t in translated if not (t[1] == default_lang and plain.get(t[0]) == t[2]))
        return plain, keep

    def _check_columns(self, row: Row, known: tuple[str, ...]) -> None:
        if self.raw.format != "yaml":
            return  # XLSForm workbooks carry other tools' columns; they are ignored, as pyxform does
        for column in row.cells:
            base = column.partition("::")[0]
            if base in known or base in TRANSLATABLE or base in _MEDIA:
                continue
            if row.sheet == "choices":
                continue  # extra choice columns are what choice_filter reads
            guess = difflib.get_close_matches(column, known, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            self.error(row, f"unknown column '{row.headers.get(column, column)}'{hint}", column)

    # -- settings ----------------------------------------------------------------------------
    def settings(self) -> tuple[str, str, str, str | None, str]:
        s = self.raw.settings
        form_id = s.get("form_id", "").strip()
        if not form_id:
            if self.raw.format == "yaml":
                self.error(
                    None,
                    "settings: 'form_id' is missing (the instrument's short name, e.g. crisp-survey)",
                    "form_id",
                )
            stem = self.file.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
            form_id = slugify(stem)
        elif not SLUG.match(form_id):
            if self.raw.format == "yaml":
                self.error(
                    None,
                    f"settings: form_id '{form_id}' must be lowercase letters, digits and hyphens",
                    "form_id",
                )
            form_id = slugify(form_id)
        title = s.get("form_title", "").strip()
        if not title:
            if self.raw.format == "yaml":
                self.error(
                    None, "settings: 'form_title' is missing (the title respondents see)", "form_title"
                )
            title = form_id
        kind = s.get("kind", "").strip() or "survey"
        if kind not in INSTRUMENT_KINDS:
            self.error(
                None, f"settings: kind '{kind}' is not one of {', '.join(INSTRUMENT_KINDS)}", "kind"
            )
        project = s.get("project", "").strip() or None
        return form_id, title, kind, project, s.get("version", "").strip()

    # -- choices -----------------------------------------------------------------------------
    def choices(self) -> dict[str, tuple[Choice, ...]]:
        lists: dict[str, list[Choice]] = {}
        seen: dict[tuple[str, str], Row] = {}
        allow_duplicates = self.raw.settings.get("allow_choice_duplicates", "").lower() in _TRUE
        for row in self.raw.choices:
            if not any(v.strip() for v in row.cells.values()):
                continue
            self._check_columns(row, CHOICE_COLUMNS)
            list_name, name = row.get("list_name"), row.get("name")
            texts, translations = self._texts(row)
            if not list_name:
                if self.lenient and not name:  # a stray note beside the lists, as in some old workbooks
                    self.leave_out(row, "left out a row with neither list name nor name", "list_name")
                    continue
                self.error(row, "choice has no list name", "list_name")
                continue
            if not name:
                self.error(row, f"choice in list '{list_name}' has no name", "name")
                continue
            if not texts.get("label") and self.lenient:  # e.g. an image-only choice: show its name
                texts["label"] = name
                self.leave_out(row, f"choice '{name}' in list '{list_name}' has no label; its name is shown",
                               "label")
            elif not texts.get("label"):
                self.error(row, f"choice '{name}' in list '{list_name}' has no label", "label")
            if (list_name, name) in seen and not allow_duplicates:
                self.error(row, f"choice '{name}' appears twice in list '{list_name}'", "name")
                continue
            seen[(list_name, name)] = row
            extra = tuple(
                (k, v.strip())
                for k, v in row.cells.items()
                if k not in CHOICE_COLUMNS and "::" not in k and k not in _MEDIA and v.strip()
            )
            lists.setdefault(list_name, []).append(
                Choice(
                    name,
                    texts.get("label", ""),
                    tuple((lang, t) for c, lang, t in translations if c == "label"),
                    extra,
                )
            )
        return {k: tuple(v) for k, v in lists.items()}

    # -- survey ------------------------------------------------------------------------------
    def survey(self, choice_lists: dict[str, tuple[Choice, ...]]) -> tuple[Item, ...]:
        stack: list[tuple[Row, list[Item]]] = []
        top: list[Item] = []
        skipping = 0  # depth inside a repeat being left out
        names: dict[str, Row] = self.result.rows_by_name

        def current() -> list[Item]:
            return stack[-1][1] if stack else top

        for row in self.raw.survey:
            if not any(v.strip() for v in row.cells.values()):
                continue
            self._check_columns(row, SURVEY_COLUMNS)
            type_cell = row.get("type")
            name = row.get("name")
            if not type_cell:
                self.error(row, "row has no type", "type")
                continue
            parsed = parse_type(type_cell)
            if skipping:
                if parsed and parsed.type == "unsupported:begin_repeat":
                    skipping += 1
                elif parsed and parsed.type == "end_repeat":
                    skipping -= 1
                if name:
                    self.result.left_out_names[name] = "inside a repeat"
                continue
            if parsed is None:
                guess = difflib.get_close_matches(
                    type_cell.lower(), sorted(INPUT_TYPES | {"note", "begin_group"}), 1
                )
                hint = f" (did you mean '{guess[0]}'?)" if guess else ""
                self.error(row, f"unknown question type '{type_cell}'{hint}", "type")
                continue
            if parsed.type.startswith("unsupported:"):
                word = parsed.type.split(":", 1)[1]
                reason = UNSUPPORTED_REASONS.get(word, "not supported")
                if not self.lenient:
                    self.error(row, f"question type '{type_cell}' is not supported: {reason}", "type")
                    continue
                what = (
                    "repeat group and everything in it"
                    if word == "begin_repeat"
                    else f"'{type_cell}' question"
                )
                self.leave_out(row, f"left out the {what}: {reason}", "type")
                if word == "begin_repeat":
                    skipping = 1
                if name:
                    self.result.left_out_names[name] = reason
                continue
            if parsed.type == "end_repeat":
                self.error(row, "'end repeat' without a matching 'begin repeat'", "type")
                continue
            if parsed.type == "end_group":
                if not stack:
                    self.error(row, "'end_group' without a matching 'begin_group'", "type")
                    continue
                begin, children = stack.pop()
                texts, translations = self._texts(begin)
                current().append(
                    Group(
                        begin.get("name"),
                        texts.get("label", ""),
                        texts.get("hint", ""),
                        begin.get("relevant"),
                        begin.get("appearance"),
                        tuple(children),
                        translations,
                    )
                )
                continue
            if not name:
                self.error(row, f"'{type_cell}' row has no name", "name")
                continue
            if not NAME.match(name):
                self.error(
                    row,
                    f"name '{name}' must start with a letter or _ and contain only letters, "
                    "digits, _, - or .",
                    "name",
                )
                continue
            if name in names:
                self.error(row, f"duplicate name '{name}' (first used on row {names[name].row})", "name")
                continue
            names[name] = row
            if parsed.type == "begin_group":
                stack.append((row, []))
                continue
            question = self.question(row, parsed.type, parsed.list_name, parsed.or_other, choice_lists)
            if question is None:
                continue
            current().append(question)
            if question.or_other:
                other_name = f"{name}_other"
                if other_name in names:
                    self.error(
                        row,
                        f"'or_other' needs the name '{other_name}' for its text box, but it is already used",
                        "type",
                    )
                else:
                    names[other_name] = row
                    current().append(
                        Question(
                            "text",
                            other_name,
                            "Specify other",
                            relevant=(f"selected(${{{name}}}, '{OTHER_CHOICE}')"),
                            generated=True,
                        )
                    )
        for begin, _children in reversed(stack):
            self.error(begin, f"group '{begin.get('name')}' is never closed (add an 'end_group' row)", "type")
        if skipping:
            self.result.left_out.append(
                Problem("a repeat group is never closed", file=self.file, sheet="survey")
            )
        return tuple(top)

    def question(
        self,
        row: Row,
        qtype: str,
        list_name: str | None,
        or_other: bool,
        choice_lists: dict[str, tuple[Choice, ...]],
    ) -> Question | None:
        texts, translations = self._texts(row)
        ok = True
        if qtype in ("select_one", "select_multiple"):
            if not list_name:
                self.error(row, f"'{qtype}' needs a choice list name after it, e.g. '{qtype} yes_no'", "type")
                ok = False
            elif list_name not in choice_lists:
                guess = difflib.get_close_matches(list_name, list(choice_lists), 1)
                hint = f" (did you mean '{guess[0]}'?)" if guess else ""
                self.error(row, f"unknown choice list '{list_name}'{hint}", "type")
                ok = False
        media_only = any(c.partition("::")[0] in _MEDIA and v.strip() for c, v in row.cells.items())
        unlabelled = (qtype in INPUT_TYPES or qtype == "note") and not texts.get("label")
        if unlabelled and self.lenient and media_only:
            self.leave_out(row, f"left out '{row.get('name')}': it has only an image, audio or video, "
                                "which are not shown", "label")
            self.result.left_out_names[row.get("name")] = "it has no text, only media"
            return None
        if (qtype in INPUT_TYPES or qtype == "note") and not texts.get("label"):
            self.error(row, f"'{row.get('name')}' has no label (the question text people see)", "label")
            ok = False
        if qtype == "calculate" and not row.get("calculation"):
            self.error(row, "a 'calculate' row needs a 'calculation'", "calculation")
            ok = False
        required_cell = row.get("required").lower()
        required = required_cell in _TRUE
        if required_cell not in _TRUE | _FALSE:
            if required_cell in ("=true()", "=yes"):
                required = True
            elif self.lenient:
                self.leave_out(
                    row, f"conditional 'required' ({row.get('required')}) treated as not required", "required"
                )
            else:
                self.error(row, f"required must be yes or no, not '{row.get('required')}'", "required")
                ok = False
        if not ok:
            return None
        if or_other and list_name and not any(c.name == OTHER_CHOICE for c in choice_lists[list_name]):
            choice_lists[list_name] = (*choice_lists[list_name], Choice(OTHER_CHOICE, "Other"))
        return Question(
            type=qtype,
            name=row.get("name"),
            label=texts.get("label", ""),
            hint=texts.get("hint", ""),
            list_name=list_name,
            or_other=or_other,
            required=required,
            required_message=texts.get("required_message", ""),
            relevant=row.get("relevant"),
            constraint=row.get("constraint"),
            constraint_message=texts.get("constraint_message", ""),
            appearance=row.get("appearance"),
            choice_filter=row.get("choice_filter"),
            default=row.get("default"),
            calculation=row.get("calculation"),
            translations=translations,
        )


def build(raw: RawDefinition, *, lenient: bool = False) -> BuildResult:
    """Turn rows into an instrument; ``result.instrument`` is None when there are problems."""
    builder = _Builder(raw, lenient)
    slug, title, kind, project, version = builder.settings()
    choice_lists = builder.choices()
    items = builder.survey(choice_lists)
    result = builder.result
    if not items and not result.problems:
        result.problems.append(Problem("the survey has no questions", file=raw.source, sheet="survey"))
    keep = tuple(
        (k, v)
        for k, v in sorted(raw.settings.items())
        if k not in ("form_id", "form_title", "version", "kind", "project", "description", "default_language")
        and v
    )
    result.instrument = Instrument(
        slug=slug,
        title=title,
        kind=kind,
        project=project,
        version=version,
        items=items,
        choice_lists=choice_lists,
        description=raw.settings.get("description", "").strip(),
        default_language=builder.default_language
        or (builder.languages[0] if builder.languages and not builder.used_plain else ""),
        languages=tuple(builder.languages),
        settings=keep,
    )
    return result
