"""Hostile YAML instruments are refused quickly, with the file and line, never a traceback.

Issue 16, item 8: a YAML instrument with a million aliases of one row held a worker until gunicorn
killed it. Before the limits in ``feedback/domain/loader/yaml_limits.py`` these files took (on this
machine): a million aliases, 66 s and a 133 MB message; 100,000 nested lists, ``RecursionError``;
a 4.8 MB list of one-letter values, 61 s; a ``!!python/name`` tag or the date 2026-02-30, an
uncaught ``ConstructorError`` / ``ValueError``. Ordinary uses of anchors still load.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from feedback.domain.loader import InstrumentError, Problem, load_file
from feedback.domain.loader.raw import MAX_SURVEY_ROWS
from feedback.domain.loader.yaml_limits import MAX_ALIASES, MAX_DEPTH, MAX_VALUES, expanded_size

SETTINGS = "settings: {form_id: hostile, form_title: Hostile, kind: survey, project: crisp}\n"


def million_aliases() -> str:
    """The probe's file: one row, then a million aliases of it (3 MB, under the 5 MB upload limit)."""
    return SETTINGS + "survey: [&row {type: note, name: hello, label: Hello}" + ",*row" * 1_000_000 + "]\n"


def billion_laughs() -> str:
    """Nine lists of nine aliases of the list before: 9**9 values from 1 KB, fewer than 100 aliases."""
    lines = [SETTINGS.rstrip("\n"), "choices:", "  l0: &l0 [" + ", ".join(['"lol"'] * 9) + "]"]
    for level in range(1, 9):
        lines.append(f"  l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    lines.append("survey: [{type: note, name: laugh, label: *l8}]")
    return "\n".join(lines) + "\n"


def refused(tmp_path: Path, text: str, name: str = "hostile.yaml", seconds: float = 1.0) -> list[Problem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    assert len(str(caught.value)) < 1000, "the message summarises; it does not list every row"
    for problem in caught.value.problems:
        assert str(problem).startswith(f"{path}: ")
    return caught.value.problems


def test_a_million_aliases_of_one_row_are_refused_at_the_hundred_and_first(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, million_aliases())
    assert f"more than {MAX_ALIASES} aliases (*row)" in problem.message
    assert problem.line == 2
    assert "line 2" in str(problem)


def test_the_billion_laughs_is_refused_though_it_has_fewer_than_a_hundred_aliases(tmp_path: Path) -> None:
    text = billion_laughs()
    assert text.count("*") < MAX_ALIASES and len(text) < 1500
    (problem,) = refused(tmp_path, text)
    assert "aliases (the first is *l0)" in problem.message
    assert f"more than {MAX_VALUES:,} values" in problem.message
    assert problem.line == 4  # where the first alias is


def test_an_alias_inside_what_it_names_is_refused(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, SETTINGS + "survey: &loop [*loop]\n")
    assert "alias *loop refers to the list or mapping that contains it" in problem.message
    assert problem.line == 2


def test_deep_nesting_is_refused_instead_of_overflowing_the_stack(tmp_path: Path) -> None:
    (problem,) = refused(tmp_path, SETTINGS + "survey: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert f"nested more than {MAX_DEPTH} deep" in problem.message
    assert problem.line == 2


def test_a_flood_of_values_is_refused_before_it_is_built(tmp_path: Path) -> None:
    text = SETTINGS + "survey: [" + ",".join(["a"] * 1_200_000) + "]\n"  # 2.4 MB, no alias at all
    (problem,) = refused(tmp_path, text, seconds=3.0)
    assert f"more than {MAX_VALUES:,} values" in problem.message


def test_a_survey_longer_than_the_xlsform_limit_is_one_problem_not_one_per_row(tmp_path: Path) -> None:
    rows = "".join(f"  - {{type: note, name: same, label: Row {i}}}\n" for i in range(MAX_SURVEY_ROWS + 5))
    (problem,) = refused(tmp_path, SETTINGS + "survey:\n" + rows, seconds=3.0)
    assert f"more than {MAX_SURVEY_ROWS:,} rows" in problem.message
    assert (problem.sheet, problem.row, problem.line) == ("survey", MAX_SURVEY_ROWS + 1, MAX_SURVEY_ROWS + 3)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("!!python/name:os.system ls", "the tag !!python/name:os.system is not used in instruments"),
        ("!local thing", "the tag !local is not used in instruments"),
        ("!!int many", "'many' is not a valid !!int"),
        ("2026-02-30", "'2026-02-30' is not a valid date"),
    ],
)
def test_tags_and_impossible_values_get_a_message_with_their_place(
    tmp_path: Path, cell: str, message: str
) -> None:
    (problem,) = refused(tmp_path, SETTINGS + f"survey:\n  - {{type: note, name: n, label: {cell}}}\n")
    assert message in problem.message
    assert (problem.line, problem.row, problem.column) == (3, 1, "label")


def test_a_file_that_is_not_utf8_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(SETTINGS.encode() + "survey:\n  - {type: note, name: n, label: Zoë}\n".encode("cp1252"))
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    assert str(caught.value) == f"{path}: line 3: not UTF-8 text; save the file as UTF-8 (byte 0xEB)"


def test_a_few_anchors_to_reuse_a_choice_list_still_load(tmp_path: Path) -> None:
    path = tmp_path / "reuse.yaml"
    path.write_text(
        SETTINGS
        + """\
survey:
  - {type: select_one agree, name: useful, label: &q The session was useful}
  - {type: select_one agree_again, name: again, label: *q}
choices:
  agree: &scale
    - {name: "yes", label: "Yes"}
    - {name: "no", label: "No"}
  agree_again: *scale
""",
        encoding="utf-8",
    )
    instrument = load_file(path).instrument
    useful, again = instrument.questions()
    assert useful.label == again.label == "The session was useful"
    names = [[c.name for c in instrument.choices_for(q)] for q in (useful, again)]
    assert names == [["yes", "no"], ["yes", "no"]]


def test_expanded_size_counts_each_alias_written_out_and_each_shared_node_once() -> None:
    root = yaml.compose("a: &x [1, 2, 3]\nb: [*x, *x]\n", Loader=yaml.SafeLoader)
    assert root is not None
    # mapping 1 + keys 2 + list x (4) + list b (1 + 4 + 4)
    assert expanded_size(root) == 1 + 2 + 4 + 9
    assert expanded_size(root, limit=5) == 6  # stops as soon as the limit is passed
