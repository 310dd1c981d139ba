"""The survey stage of the build: rows of the survey sheet into questions, notes and groups.

The longest stage, kept apart from settings and choices (:mod:`.build`): it tracks the nesting
of groups, leaves out repeat groups and unsupported types in workbooks from other tools
(``lenient``) while refusing them in our own YAML, and adds the text box of each ``or_other``.
"""

from __future__ import annotations

import difflib

from ..instrument import INPUT_TYPES, OTHER_CHOICE, Choice, Group, Item, Question
from .build_rows import FALSE, MEDIA, NAME, TRUE, RowBuilder
from .errors import Problem
from .raw import SURVEY_COLUMNS, Row
from .types import UNSUPPORTED_REASONS, parse_type


class SurveyBuilder(RowBuilder):
    """Adds :meth:`survey` (and :meth:`question`, one row of it) to the shared row helpers."""

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
                        profile=self.flag(begin, "profile"),
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
                if row.get("personal_data").lower() not in FALSE:
                    self.error(
                        row,
                        "personal_data marks questions, not groups: put it on the questions inside "
                        f"group '{name}' that hold personal data",
                        "personal_data",
                    )
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
                            personal_data=question.personal_data,
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
        media_only = any(c.partition("::")[0] in MEDIA and v.strip() for c, v in row.cells.items())
        unlabelled = (qtype in INPUT_TYPES or qtype == "note") and not texts.get("label")
        if unlabelled and self.lenient and media_only:
            self.leave_out(
                row,
                f"left out '{row.get('name')}': it has only an image, audio or video, which are not shown",
                "label",
            )
            self.result.left_out_names[row.get("name")] = "it has no text, only media"
            return None
        if (qtype in INPUT_TYPES or qtype == "note") and not texts.get("label"):
            self.error(row, f"'{row.get('name')}' has no label (the question text people see)", "label")
            ok = False
        if qtype == "calculate" and not row.get("calculation"):
            self.error(row, "a 'calculate' row needs a 'calculation'", "calculation")
            ok = False
        required_cell = row.get("required").lower()
        required = required_cell in TRUE
        if required_cell not in TRUE | FALSE:
            if required_cell in ("=true()", "=yes"):
                required = True
            elif self.lenient:
                self.leave_out(
                    row, f"conditional 'required' ({row.get('required')}) treated as not required", "required"
                )
            else:
                self.error(row, f"required must be yes or no, not '{row.get('required')}'", "required")
                ok = False
        personal_cell = row.get("personal_data").lower()
        if personal_cell not in TRUE | FALSE:  # refused in any workbook: a guess could leak data
            self.error(
                row, f"personal_data must be yes or no, not '{row.get('personal_data')}'", "personal_data"
            )
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
            personal_data=personal_cell in TRUE,
            profile=self.flag(row, "profile"),
        )

    def flag(self, row: Row, column: str) -> bool:
        """A yes/no column such as ``profile``; any other value is an error naming the cell."""
        cell = row.get(column).lower()
        if cell not in TRUE | FALSE:
            self.error(row, f"{column} must be yes or no, not '{row.get(column)}'", column)
        return cell in TRUE
