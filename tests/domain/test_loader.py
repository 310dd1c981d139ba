"""The YAML loader: the pilots' files load, and each kind of mistake gets its own message and place.

Bad definitions are declared inline as small YAML strings (pyxform's ``tests/test_notes.py``
style), so each case shows the author's mistake next to what the loader says about it.
XLSForm workbooks are covered in ``test_xlsform.py``.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from feedback.domain import serialise
from feedback.domain.answers import check_answers
from feedback.domain.instrument import INSTRUMENT_KINDS, Group, Instrument
from feedback.domain.loader import InstrumentError, LoadedInstrument, Problem, find_files, load_file, load_raw
from feedback.domain.loader.yaml_reader import read_yaml

ROOT = Path(__file__).resolve().parents[2]
FORM_FILES = find_files([ROOT / "forms"])
PROJECTS = {"crisp", "move", "step-up", "pirr", "seed4bme"}

# Five lines, so the first survey row of every case below is on line 7.
HEAD = """\
settings:
  form_id: inline
  form_title: Inline test form
  kind: survey
  project: crisp
"""


def load_text(text: str, name: str = "inline.yaml") -> LoadedInstrument:
    return load_raw(read_yaml(Path(name), textwrap.dedent(text)))


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(InstrumentError) as caught:
        load_text(text)
    return caught.value.problems


# -- the pilots' instruments -------------------------------------------------------------------


def test_forms_folder_has_the_pilots_instruments() -> None:
    assert len(FORM_FILES) >= 15


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_every_file_in_forms_loads(path: Path) -> None:
    loaded = load_file(path)
    instrument = loaded.instrument
    assert loaded.left_out == []
    assert instrument.kind in INSTRUMENT_KINDS
    assert instrument.project in PROJECTS
    assert instrument.title
    assert instrument.input_questions(), "an instrument asks at least one question"
    assert instrument.pages()


def test_form_ids_are_unique_across_forms() -> None:
    slugs = [load_file(path).instrument.slug for path in FORM_FILES]
    assert len(slugs) == len(set(slugs))


# -- bad definitions: one clear message each, with where it is ---------------------------------
# (id, YAML text, words the message must contain, expected position)

BAD_DEFINITIONS = [
    (
        "duplicate-name",
        HEAD
        + """\
survey:
  - {type: text, name: town, label: Town}
  - {type: text, name: town, label: Town again}
""",
        ["duplicate name 'town'", "first used on row 1"],
        {"line": 8, "row": 2, "column": "name", "sheet": "survey"},
    ),
    (
        "unknown-type",
        HEAD
        + """\
survey:
  - {type: integr, name: age, label: Age}
""",
        ["unknown question type 'integr'", "did you mean 'integer'?"],
        {"line": 7, "row": 1, "column": "type"},
    ),
    (
        "unknown-choice-list",
        HEAD
        + """\
survey:
  - {type: select_one colours, name: colour, label: Colour}
choices:
  colors:
    - {name: red, label: Red}
""",
        ["unknown choice list 'colours'", "did you mean 'colors'?"],
        {"line": 7, "row": 1, "column": "type"},
    ),
    (
        "unknown-reference",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation}
  - {type: text, name: why, label: Why, relevant: "${orgg} = 'x'"}
""",
        ["refers to ${orgg}", "not a question in this form", "did you mean ${org}?"],
        {"line": 8, "row": 2, "column": "relevant"},
    ),
    (
        "rule-does-not-parse",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation}
  - {type: text, name: why, label: Why, relevant: "${org} = = 'x'"}
""",
        ["relevant rule", "does not parse", "at character 10"],
        {"line": 8, "row": 2, "column": "relevant"},
    ),
    (
        "group-left-open",
        HEAD
        + """\
survey:
  - {type: begin_group, name: profile, label: About you}
  - {type: text, name: org, label: Organisation}
""",
        ["group 'profile' is never closed", "end_group"],
        {"line": 7, "row": 1, "column": "type"},
    ),
    (
        "end-group-without-begin",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation}
  - {type: end_group}
""",
        ["'end_group' without a matching 'begin_group'"],
        {"line": 8, "row": 2, "column": "type"},
    ),
    (
        "label-missing",
        HEAD
        + """\
survey:
  - {type: text, name: org}
""",
        ["'org' has no label"],
        {"line": 7, "row": 1, "column": "label"},
    ),
    (
        "calculate-without-calculation",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation}
  - {type: calculate, name: total}
""",
        ["'calculate' row needs a 'calculation'"],
        {"line": 8, "row": 2, "column": "calculation"},
    ),
    (
        "invalid-name",
        HEAD
        + """\
survey:
  - {type: text, name: 2nd town, label: Town}
""",
        ["name '2nd town' must start with a letter or _"],
        {"line": 7, "row": 1, "column": "name"},
    ),
    (
        "duplicate-choice",
        HEAD
        + """\
survey:
  - {type: select_one yes_no, name: agree, label: Agree}
choices:
  yes_no:
    - {name: 'yes', label: 'Yes'}
    - {name: 'no', label: 'No'}
    - {name: 'yes', label: Yes again}
""",
        ["choice 'yes' appears twice in list 'yes_no'"],
        {"line": 12, "row": 3, "column": "name", "sheet": "choices"},
    ),
    (
        "bad-kind",
        HEAD.replace("kind: survey", "kind: poll")
        + """\
survey:
  - {type: text, name: org, label: Organisation}
""",
        ["kind 'poll' is not one of", "interview_schedule"],
        {"line": 4, "column": "kind", "sheet": "settings"},
    ),
    (
        "missing-form-id",
        HEAD.replace("  form_id: inline\n", "")
        + """\
survey:
  - {type: text, name: org, label: Organisation}
""",
        ["'form_id' is missing"],
        {"column": "form_id", "sheet": "settings"},
    ),
    (
        "unknown-column",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation, relevnt: "1 = 1"}
""",
        ["unknown column 'relevnt'", "did you mean 'relevant'?"],
        {"line": 7, "row": 1, "column": "relevnt"},
    ),
    (
        "required-not-yes-no",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation, required: maybe}
""",
        ["required must be yes or no, not 'maybe'"],
        {"line": 7, "row": 1, "column": "required"},
    ),
    (
        "yaml-syntax-error",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation
  - {type: text, name: why, label: Why}
""",
        ["not valid YAML"],
        {"line": 8},
    ),
    (
        "select-without-list-name",
        HEAD
        + """\
survey:
  - {type: select_one, name: agree, label: Agree}
""",
        ["'select_one' needs a choice list name", "select_one yes_no"],
        {"line": 7, "row": 1, "column": "type"},
    ),
    (
        "choice-filter-on-non-select",
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation, choice_filter: "region = 'north'"}
""",
        ["choice_filter only applies to select questions"],
        {"line": 7, "row": 1, "column": "choice_filter"},
    ),
]


@pytest.mark.parametrize(
    ("text", "fragments", "position"),
    [pytest.param(text, fragments, position, id=case) for case, text, fragments, position in BAD_DEFINITIONS],
)
def test_bad_definition_gives_its_own_message_and_position(
    text: str, fragments: list[str], position: dict[str, object]
) -> None:
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    for fragment in fragments:
        assert fragment in problem.message
    for attribute, expected in position.items():
        assert getattr(problem, attribute) == expected, attribute
    shown = str(problem)
    assert shown.startswith("inline.yaml: ")
    if "line" in position:
        assert f"line {position['line']}" in shown


def test_bad_definitions_each_have_a_different_message() -> None:
    messages = {problems_of(text)[0].message for _case, text, _f, _p in BAD_DEFINITIONS}
    assert len(messages) == len(BAD_DEFINITIONS) >= 12


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    problems = problems_of(
        HEAD
        + """\
survey:
  - {type: integr, name: age, label: Age}
  - {type: text, name: org}
  - {type: text, name: org, label: Organisation again}
  - {type: select_one colours, name: colour, label: Colour}
"""
    )
    messages = " | ".join(p.message for p in problems)
    assert "unknown question type 'integr'" in messages
    assert "'org' has no label" in messages
    assert "duplicate name 'org'" in messages
    assert "unknown choice list 'colours'" in messages
    assert [p.line for p in problems] == [7, 8, 9, 10]


def test_a_rule_with_a_mistake_is_found_even_when_other_rules_are_bad() -> None:
    problems = problems_of(
        HEAD
        + """\
survey:
  - {type: text, name: org, label: Organisation}
  - {type: text, name: a, label: A, relevant: "${nope} = 'x'"}
  - {type: integer, name: b, label: B, constraint: ". >"}
"""
    )
    assert [(p.row, p.column) for p in problems] == [(2, "relevant"), (3, "constraint")]


# -- what loads ----------------------------------------------------------------------------------

OR_OTHER = (
    HEAD
    + """\
survey:
  - {type: select_multiple activities or_other, name: activities, label: Which activities}
choices:
  activities:
    - {name: lunch, label: Light Lunch e-bulletin}
    - {name: rise, label: RISE events}
"""
)


def test_or_other_adds_an_other_choice_and_a_text_box_shown_only_for_other() -> None:
    instrument = load_text(OR_OTHER).instrument
    assert [c.name for c in instrument.choice_lists["activities"]] == ["lunch", "rise", "other"]
    other = instrument.question("activities_other")
    assert other.type == "text"
    assert other.relevant == "selected(${activities}, 'other')"
    assert other.generated

    shown = check_answers(instrument, {"activities": ["lunch", "other"], "activities_other": "a visit"})
    assert shown.values["activities_other"] == "a visit"
    hidden = check_answers(instrument, {"activities": ["lunch"], "activities_other": "ignored"})
    assert "activities_other" not in hidden.shown
    assert "activities_other" not in hidden.values


def test_or_other_clashing_with_an_existing_name_is_an_error() -> None:
    problems = problems_of(
        OR_OTHER.replace(
            "choices:", "  - {type: text, name: activities_other, label: Something else}\nchoices:"
        )
    )
    assert any("activities_other" in p.message for p in problems)


WELSH = (
    HEAD
    + """\
survey:
  - type: select_one yes_no
    name: useful
    label: Was it useful?
    label::Welsh (cy): Oedd e'n ddefnyddiol?
    hint: Think of the last event.
    hint::Welsh (cy): Meddyliwch am y digwyddiad diwethaf.
choices:
  yes_no:
    - {name: 'yes', label: 'Yes', 'label::Welsh (cy)': 'Ydy'}
    - {name: 'no', label: 'No', 'label::Welsh (cy)': 'Nac ydy'}
"""
)


def test_translations_load_beside_the_default_texts() -> None:
    instrument = load_text(WELSH).instrument
    question = instrument.question("useful")
    assert instrument.languages == ("Welsh (cy)",)
    assert question.label == "Was it useful?"
    assert question.text_in("label", "Welsh (cy)") == "Oedd e'n ddefnyddiol?"
    assert question.text_in("hint", "Welsh (cy)") == "Meddyliwch am y digwyddiad diwethaf."
    assert question.text_in("label", None) == "Was it useful?"
    yes = instrument.choice_lists["yes_no"][0]
    assert (yes.label, yes.label_in("Welsh (cy)")) == ("Yes", "Ydy")


PAGED = (
    HEAD
    + """\
survey:
  - {type: start, name: start}
  - {type: begin_group, name: profile, label: About you}
  - {type: text, name: org, label: Organisation}
  - {type: begin_group, name: address, label: Where you work}
  - {type: text, name: town, label: Town}
  - {type: end_group}
  - {type: end_group}
  - {type: begin_group, name: views, label: Your views}
  - {type: text, name: comments, label: Comments, appearance: multiline}
  - {type: end_group}
"""
)


def test_pages_are_one_per_top_level_group() -> None:
    instrument = load_text(PAGED).instrument
    pages = instrument.pages()
    assert [p.title for p in pages] == ["About you", "Your views"]
    assert [[q.name for q in p.questions()] for p in pages] == [["org", "town"], ["comments"]]
    nested = pages[0].items[1]
    assert isinstance(nested, Group) and nested.label == "Where you work"
    assert instrument.question("comments").multiline


def _all_forms() -> list[Instrument]:
    return [load_file(path).instrument for path in FORM_FILES]


@pytest.mark.parametrize("text", [OR_OTHER, WELSH, PAGED], ids=["or_other", "welsh", "paged"])
def test_serialise_round_trip_gives_the_same_instrument(text: str) -> None:
    instrument = load_text(text).instrument
    assert serialise.from_dict(serialise.to_dict(instrument)) == instrument


def test_serialise_round_trip_for_every_pilot_instrument() -> None:
    for instrument in _all_forms():
        again = serialise.from_dict(serialise.to_dict(instrument))
        assert again == instrument, instrument.slug
        assert serialise.digest(again) == serialise.digest(instrument)


def test_digest_is_stable_across_loads_and_changes_with_a_label() -> None:
    path = FORM_FILES[0]
    first, second = load_file(path).instrument, load_file(path).instrument
    assert serialise.digest(first) == serialise.digest(second)

    base = load_text(WELSH).instrument
    edited = load_text(WELSH.replace("label: Was it useful?", "label: Was it helpful?")).instrument
    assert serialise.digest(base) != serialise.digest(edited)
    # Moving an instrument to another project is not a new version of its questions.
    assert serialise.digest(replace(base, project="move")) == serialise.digest(base)
