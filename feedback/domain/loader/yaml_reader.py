"""Read a YAML instrument into a :class:`RawDefinition`, keeping the line of every row and key.

The YAML mirrors XLSForm (``settings``, ``survey`` rows, ``choices``) so that authors can move
between the two. ``choices`` may be a mapping of list name -> options (the friendly form) or a
flat list of rows with a ``list_name`` key (the XLSForm form).

Uploads are untrusted: :func:`compose_bounded` refuses, with the line, a document whose aliases,
nesting or number of values would cost more to read than its size suggests (see ``yaml_limits``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InstrumentError, Problem
from .raw import MAX_CHOICE_ROWS, MAX_SURVEY_ROWS, RawDefinition, Row, cell_text, normalise_column
from .yaml_limits import compose_bounded, gc_paused

MAX_BYTES = 5 * 1024 * 1024


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


_YAML_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_YAML_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp"))
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _scalar(
    node: yaml.ScalarNode, file: str, sheet: str, row: int | None = None, column: str | None = None
) -> object:
    """Resolve a scalar as YAML would (``yes`` -> True, ``1`` -> 1), without running any other tag.

    The safe constructor for the tag is called directly: ``construct_object`` would remember every
    node (and a fresh loader per cell was half the reading time). A tag other than the plain ones, or
    a value its tag cannot hold (``!!int abc``, the date ``2026-02-30``), is the author's mistake and
    gets a message, not a traceback.
    """
    shown = node.tag.replace(_YAML_TAG, "!!", 1) if node.tag.startswith(_YAML_TAG) else node.tag
    message = f"the tag {shown} is not used in instruments; remove it"
    if node.tag in _SCALAR_TAGS:
        try:
            return _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
        except (ValueError, OverflowError, yaml.YAMLError):
            kind = "date" if shown == "!!timestamp" else shown
            message = f"'{node.value}' is not a valid {kind}"
    where = Problem(message, file=file, sheet=sheet, row=row, column=column, line=_line(node))
    raise InstrumentError([where])


def _too_many_rows(items: list[yaml.Node], sheet: str, limit: int, file: str) -> Problem | None:
    """The XLSForm reader's row limit, so a long list is refused before each row is read and checked."""
    if len(items) <= limit:
        return None
    message = f"the sheet has more than {limit:,} rows; split the instrument or remove unused rows"
    return Problem(message, file=file, sheet=sheet, row=limit + 1, line=_line(items[limit]))


def _choice_rows(node: yaml.Node | None) -> list[yaml.Node]:
    """Every choice row the reader will visit, in either form (an aliased list counts each time)."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        lists = [rows for _name, rows in node.value if isinstance(rows, yaml.SequenceNode)]
        return [row for rows in lists for row in rows.value]
    return []


def _mapping_row(
    node: yaml.Node, sheet: str, index: int, file: str, extra: dict[str, str] | None = None
) -> Row:
    if not isinstance(node, yaml.MappingNode):
        raise InstrumentError(
            [
                Problem(
                    "expected a mapping of column: value", file=file, sheet=sheet, row=index, line=_line(node)
                )
            ]
        )
    cells: dict[str, str] = dict(extra or {})
    headers: dict[str, str] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        column = normalise_column(key)
        headers[column] = key
        if isinstance(value_node, yaml.ScalarNode):
            cells[column] = cell_text(_scalar(value_node, file, sheet=sheet, row=index, column=key))
        else:
            raise InstrumentError(
                [
                    Problem(
                        "expected a single value, found a list or mapping",
                        file=file,
                        sheet=sheet,
                        row=index,
                        column=key,
                        line=_line(value_node),
                    )
                ]
            )
    return Row(cells, sheet=sheet, row=index, line=_line(node), headers=headers)


def read_yaml(path: Path, text: str | None = None) -> RawDefinition:
    """Parse ``path`` (or ``text``) into rows; raises :class:`InstrumentError` on bad structure."""
    file = str(path)
    if text is None:
        if path.stat().st_size > MAX_BYTES:
            raise InstrumentError([Problem(f"file is larger than {MAX_BYTES // 1024 // 1024} MB", file=file)])
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            message = f"not UTF-8 text; save the file as UTF-8 (byte 0x{data[exc.start]:02X})"
            raise InstrumentError([Problem(message, file=file, line=line)]) from None
    with gc_paused():
        return _read_text(text, file)


def _read_text(text: str, file: str) -> RawDefinition:
    try:
        root = compose_bounded(text, file)  # refuses alias bombs, deep nesting and floods of values
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise InstrumentError([Problem(f"not valid YAML: {reason}", file=file, line=line)]) from None
    if not isinstance(root, yaml.MappingNode):
        raise InstrumentError(
            [Problem("expected a mapping with 'settings', 'survey' and 'choices'", file=file)]
        )

    sections = {str(k.value): v for k, v in root.value}
    problems: list[Problem] = []
    for unknown in sorted(set(sections) - {"settings", "survey", "choices"}):
        problems.append(
            Problem(f"unknown section '{unknown}' (expected settings, survey, choices)", file=file)
        )

    settings: dict[str, str] = {}
    settings_lines: dict[str, int] = {}
    settings_node = sections.get("settings")
    if isinstance(settings_node, yaml.MappingNode):
        for key_node, value_node in settings_node.value:
            key = normalise_column(str(key_node.value))
            settings_lines[key] = _line(key_node)
            settings[key] = ""
            if isinstance(value_node, yaml.ScalarNode):
                try:
                    settings[key] = cell_text(_scalar(value_node, file, sheet="settings", column=key))
                except InstrumentError as exc:
                    problems.extend(exc.problems)
    elif settings_node is not None:
        problems.append(Problem("'settings' must be a mapping", file=file, line=_line(settings_node)))

    survey: list[Row] = []
    survey_node = sections.get("survey")
    rows = survey_node.value if isinstance(survey_node, yaml.SequenceNode) else []
    too_many = _too_many_rows(rows, "survey", MAX_SURVEY_ROWS, file)
    if too_many is not None:
        problems.append(too_many)
    elif isinstance(survey_node, yaml.SequenceNode):
        for i, item in enumerate(survey_node.value, start=1):
            try:
                survey.append(_mapping_row(item, "survey", i, file))
            except InstrumentError as exc:
                problems.extend(exc.problems)
    elif survey_node is not None:
        problems.append(Problem("'survey' must be a list of rows", file=file, line=_line(survey_node)))

    choices: list[Row] = []
    choices_node = sections.get("choices")
    too_many = _too_many_rows(_choice_rows(choices_node), "choices", MAX_CHOICE_ROWS, file)
    if too_many is not None:
        problems.append(too_many)
    elif isinstance(choices_node, yaml.MappingNode):
        index = 0
        for list_key, options in choices_node.value:
            if not isinstance(options, yaml.SequenceNode):
                problems.append(
                    Problem(f"choice list '{list_key.value}' must be a list", file=file, line=_line(options))
                )
                continue
            for option in options.value:
                index += 1
                try:
                    row = _mapping_row(option, "choices", index, file, {"list_name": str(list_key.value)})
                except InstrumentError as exc:
                    problems.extend(exc.problems)
                    continue
                row.headers.setdefault("list_name", "list_name")
                choices.append(row)
    elif isinstance(choices_node, yaml.SequenceNode):
        for i, item in enumerate(choices_node.value, start=1):
            try:
                choices.append(_mapping_row(item, "choices", i, file))
            except InstrumentError as exc:
                problems.extend(exc.problems)
    elif choices_node is not None and not (
        isinstance(choices_node, yaml.ScalarNode) and choices_node.value in ("", "null", "~")
    ):
        problems.append(Problem("'choices' must be a mapping of lists", file=file, line=_line(choices_node)))

    if problems:
        raise InstrumentError(problems)
    return RawDefinition(file, "yaml", settings, survey, choices, settings_lines)
