"""The SPSS/Stata writer's own rules, on datasets made by hand: names, missing codes, labels, no rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from stat_support import read_dta, read_sav

from feedback.export.statfiles import (
    NOT_ANSWERED,
    NOT_SHOWN,
    SPSS_RESERVED,
    STATA_RESERVED,
    Dataset,
    Variable,
    fit_label,
    spss_codes,
    unique_names,
    write_dta,
    write_sav,
)


def test_names_become_valid_and_unique_ignoring_case() -> None:
    wanted = ["_private", "1st_visit", "café", "Q-1", "q_1", "Q_1", "all", "x" * 70]
    assert unique_names(wanted, [64] * len(wanted), SPSS_RESERVED) == [
        "v_private",
        "v1st_visit",
        "cafe",
        "Q_1",
        "q_1_2",
        "Q_1_3",
        "all_",
        "x" * 64,
    ]
    assert unique_names(["str80", "long", "x" * 40, "x" * 40], [32] * 4, STATA_RESERVED) == [
        "str80_",
        "long_",
        "x" * 32,
        "x" * 30 + "_2",
    ]


def test_missing_codes_step_away_from_answers_that_use_them() -> None:
    def codes(*answers: object) -> list[int]:
        found = spss_codes([Variable("n", "n", "integer", list(answers))])
        return [found[NOT_SHOWN], found[NOT_ANSWERED]]

    assert codes(1, 2, NOT_SHOWN) == [-8, -9]
    assert codes(-9) == [-98, -99]
    assert codes(-8, -98) == [-998, -999]
    text = Variable("t", "t", "text", ["-8"])
    assert spss_codes([text]) == {NOT_SHOWN: -8, NOT_ANSWERED: -9}  # a text is never confused with a code


def test_a_shortened_label_keeps_its_choice_whole() -> None:
    variable = Variable("q__c", "A very long question " * 10, "flag", [], detail="The choice")
    label = fit_label(variable, "q__c", 80)
    assert len(label) == 80 and label.endswith("…: The choice")
    renamed = fit_label(variable, "q__c_2", 80)
    assert renamed.startswith("[q__c] A very long") and renamed.endswith(": The choice")
    emoji = Variable("e", "😀" * 100, "text", [])
    cut = fit_label(emoji, "e", 256, in_bytes=True)
    assert len(cut.encode()) <= 256 and cut == "😀" * 63 + "…"  # whole characters only


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_an_instrument_without_responses_still_gives_a_file(tmp_path: Path, file_format: str) -> None:
    dataset = Dataset(
        "Nobody yet",
        [
            Variable("response_id", "id", "integer", [], user_missing=False),
            Variable("submitted_at", "when", "datetime", [], user_missing=False),
            Variable("q", "Question", "code", [], {1: "Yes", 2: "No"}),
            Variable("d", "Date", "date", []),
            Variable("t", "Text", "text", []),
        ],
    )
    path = tmp_path / f"empty.{file_format}"
    report = (write_sav if file_format == "sav" else write_dta)(path, dataset)
    read = read_sav(path) if file_format == "sav" else read_dta(path)
    assert report.rows == 0 and read.rows == []
    assert read.meta.column_names == ["response_id", "submitted_at", "q", "d", "t"]
    assert read.value_labels("q")[1] == "Yes"
