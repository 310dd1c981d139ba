"""``partial_threshold`` and ``access`` in a form's settings (defect 9): loaded, stored on the
instrument, kept by the XLSForm round trip, and a bad value refused naming file, sheet and column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from feedback.db import Instrument
from feedback.db.session import Database
from feedback.domain.loader import InstrumentError, load_file
from feedback.domain.loader.xlsform_writer import write_xlsform
from feedback.services.instruments import save_instrument

FORM = """\
settings:
  form_id: rules-check
  form_title: Rules check
  version: "1"
  partial_threshold: {threshold}
  access: {access}
survey:
  - type: text
    name: comments
    label: Any comments?
"""


def _write(tmp_path: Path, threshold: str = "any", access: str = "open") -> Path:
    path = tmp_path / "rules-check.yaml"
    path.write_text(FORM.format(threshold=threshold, access=access), encoding="utf-8")
    return path


def test_the_settings_reach_the_instrument(tmp_path: Path, db: Database) -> None:
    loaded = load_file(_write(tmp_path, "0.25", "open"))
    with db.write() as session:
        save_instrument(session, loaded)
    with db.read() as session:
        stored = session.scalar(select(Instrument).where(Instrument.slug == "rules-check"))
        assert (stored.partial_threshold, stored.access) == (0.25, "open")


def test_a_file_that_is_silent_keeps_the_staff_choice(tmp_path: Path, db: Database) -> None:
    with db.write() as session:
        save_instrument(session, load_file(_write(tmp_path, "any", "invitation")))
    silent = tmp_path / "silent.yaml"
    silent.write_text(
        FORM.replace("  partial_threshold: {threshold}\n  access: {access}\n", "").replace(
            "Any comments?", "Any other comments?"
        ),
        encoding="utf-8",
    )
    with db.write() as session:
        save_instrument(session, load_file(silent))
    with db.read() as session:
        stored = session.scalar(select(Instrument).where(Instrument.slug == "rules-check"))
        assert (stored.partial_threshold, stored.access) == (0.0, "invitation")


def test_the_xlsform_round_trip_keeps_the_settings(tmp_path: Path) -> None:
    model = load_file(_write(tmp_path)).instrument
    out = tmp_path / "rules-check.xlsx"
    write_xlsform(model, out)
    again = dict(load_file(out).instrument.settings)
    assert (again["partial_threshold"], again["access"]) == ("any", "open")


@pytest.mark.parametrize(
    ("threshold", "access", "expected"),
    [
        ("0", "open", "settings: partial_threshold: expected a fraction above 0 and at most 1"),
        ("1.5", "open", "found '1.5'"),
        ("most", "open", "or 'any', found 'most'"),
        ("any", "public", "settings: access 'public' is not one of open, invitation"),
    ],
)
def test_a_bad_value_is_refused_naming_its_place(
    tmp_path: Path, threshold: str, access: str, expected: str
) -> None:
    path = _write(tmp_path, threshold, access)
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    (problem,) = caught.value.problems
    column = "partial_threshold" if threshold != "any" else "access"
    assert str(path) in str(problem) and f"'{column}'" in str(problem) and expected in str(problem)


def test_a_bad_value_in_a_workbook_names_the_settings_sheet(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["text", "comments", "Any comments?"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "form_title", "partial_threshold"])
    settings.append(["rules-check", "Rules check", "2"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    (problem,) = caught.value.problems
    assert "sheet 'settings'" in str(problem) and "'partial_threshold'" in str(problem)
    assert "found '2'" in str(problem)
