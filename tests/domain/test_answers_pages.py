"""The parts of the answer checker that respondent pages lean on: which notes and pages the
rules show, and the simple rules a page script or a printed form can describe."""

from __future__ import annotations

from pathlib import Path

from feedback.domain.answers import (
    check_answers,
    first_unfinished_page,
    merge_page,
    simple_condition,
    visible_pages,
)
from feedback.domain.loader import load_raw
from feedback.domain.loader.yaml_reader import read_yaml

FORM = """
settings:
  form_id: pages
  form_title: Pages
  kind: survey
survey:
  - type: begin_group
    name: first
    label: First
  - type: select_one yn
    name: trained
    label: Did you go to the training?
    required: yes
  - type: end_group
  - type: begin_group
    name: training
    label: The training
    relevant: "${trained} = 'y'"
  - type: note
    name: intro
    label: About the training
  - type: select_one yn
    name: useful
    label: Was it useful?
  - type: end_group
  - type: begin_group
    name: last
    label: Last
  - type: text
    name: comments
    label: Comments
  - type: end_group
choices:
  yn:
    - {name: "y", label: "Yes"}
    - {name: "n", label: "No"}
"""


def model():
    return load_raw(read_yaml(Path("pages.yaml"), FORM)).instrument


def test_a_note_in_a_hidden_group_is_not_shown() -> None:
    instrument = model()
    assert "intro" not in check_answers(instrument, {"trained": "n"}).shown
    assert "intro" in check_answers(instrument, {"trained": "y"}).shown


def test_pages_follow_the_rules() -> None:
    instrument = model()
    names = [p.group.name for p in visible_pages(instrument, check_answers(instrument, {"trained": "n"}))]
    assert names == ["first", "last"]
    names = [p.group.name for p in visible_pages(instrument, check_answers(instrument, {"trained": "y"}))]
    assert names == ["first", "training", "last"]


def test_merge_page_replaces_only_that_pages_answers() -> None:
    instrument = model()
    page = instrument.pages()[1]
    merged = merge_page({"trained": "y", "useful": "y", "comments": "ok"}, page, {"useful": ""})
    assert merged == {"trained": "y", "useful": "", "comments": "ok"}


def test_resume_goes_to_the_first_unfinished_page() -> None:
    instrument = model()
    assert first_unfinished_page(instrument, {}) == 0
    assert first_unfinished_page(instrument, {"trained": "y"}) == 1
    assert first_unfinished_page(instrument, {"trained": "n"}) == 2
    assert first_unfinished_page(instrument, {"trained": "n", "comments": "fine"}) is None


def test_simple_conditions_are_described_and_others_are_not() -> None:
    assert simple_condition("${a} = 'x'") == (("a", "x"),)
    assert simple_condition("selected(${a}, 'x') or ${b} = 'y'") == (("a", "x"), ("b", "y"))
    assert simple_condition("${a} = 'x' and ${b} = 'y'") is None
    assert simple_condition("${n} > 3") is None
    assert simple_condition("not valid (") is None
