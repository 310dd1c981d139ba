"""Read a YAML instrument into a :class:`RawDefinition`, keeping the line of every row and key.

The YAML mirrors XLSForm (``settings``, ``survey`` rows, ``choices``) so that authors can move
between the two. ``choices`` may be a mapping of list name -> options (the friendly form) or a
flat list of rows with a ``list_name`` key (the XLSForm form).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import InstrumentError, Problem
from .raw import RawDefinition, Row, cell_text, normalise_column

MAX_BYTES = 5 * 1024 * 1024


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _scalar(node: yaml.ScalarNode) -> object:
    """Resolve a scalar as YAML would (``yes`` -> True, ``1`` -> 1), without running any tag."""
    return yaml.SafeLoader("").construct_object(node)


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
            cells[column] = cell_text(_scalar(value_node))
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
        text = path.read_text(encoding="utf-8-sig")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
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
            settings[key] = cell_text(_scalar(value_node)) if isinstance(value_node, yaml.ScalarNode) else ""
            settings_lines[key] = _line(key_node)
    elif settings_node is not None:
        problems.append(Problem("'settings' must be a mapping", file=file, line=_line(settings_node)))

    survey: list[Row] = []
    survey_node = sections.get("survey")
    if isinstance(survey_node, yaml.SequenceNode):
        for i, item in enumerate(survey_node.value, start=1):
            try:
                survey.append(_mapping_row(item, "survey", i, file))
            except InstrumentError as exc:
                problems.extend(exc.problems)
    elif survey_node is not None:
        problems.append(Problem("'survey' must be a list of rows", file=file, line=_line(survey_node)))

    choices: list[Row] = []
    choices_node = sections.get("choices")
    if isinstance(choices_node, yaml.MappingNode):
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
