"""Cross-checks on a built instrument: every rule parses and refers only to questions that exist.

Run after :func:`.build.build`, so a message can say "``${org_typ}`` is not a question" rather than
failing somewhere at answer time. Expressions are parsed by our own evaluator, never ``eval``.
"""

from __future__ import annotations

import difflib

from ..expressions import ExpressionError, parse, references, uses_current
from ..instrument import Group, Question
from .build import BuildResult
from .errors import Problem

_RULE_COLUMNS = ("relevant", "constraint", "choice_filter", "calculation")


def validate(result: BuildResult, file: str) -> list[Problem]:
    """Return the problems in the instrument's rules (empty when all is well)."""
    instrument = result.instrument
    if instrument is None:
        return []
    problems: list[Problem] = []
    questions = {q.name for q in instrument.questions()}
    groups = {g.name for g in instrument.groups()}

    def where(name: str, column: str, message: str) -> Problem:
        row = result.rows_by_name.get(name)
        if row is None:
            return Problem(message, file=file, sheet="survey", column=column, name=name)
        return row.problem(message, column, file)

    items: list[Question | Group] = [*instrument.questions(), *instrument.groups()]
    for item in items:
        if isinstance(item, Question) and item.generated:
            continue
        for column in _RULE_COLUMNS:
            text = getattr(item, column, "")
            if not text:
                continue
            try:
                expr = parse(text)
            except ExpressionError as exc:
                at = f" at character {exc.position + 1}" if exc.position is not None else ""
                problems.append(where(item.name, column, f"{column} rule '{text}' does not parse{at}: {exc}"))
                continue
            for ref in sorted(references(expr)):
                if ref in questions:
                    continue
                if ref in result.left_out_names:
                    reason = result.left_out_names[ref]
                    message = f"{column} rule refers to ${{{ref}}}, which was left out ({reason})"
                elif ref in groups:
                    message = f"{column} rule refers to ${{{ref}}}, which is a group, not a question"
                else:
                    guess = difflib.get_close_matches(ref, sorted(questions), 1)
                    hint = f" (did you mean ${{{guess[0]}}}?)" if guess else ""
                    message = (
                        f"{column} rule refers to ${{{ref}}}, which is not a question in this form{hint}"
                    )
                problems.append(where(item.name, column, message))
            if column == "relevant" and uses_current(expr):
                problems.append(
                    where(item.name, column, "'.' (this answer) can only be used in a constraint")
                )
        if isinstance(item, Question) and item.choice_filter and not item.is_select:
            problems.append(
                where(item.name, "choice_filter", "choice_filter only applies to select questions")
            )
    return problems
