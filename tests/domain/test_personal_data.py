"""Personal-data questions (``personal_data: yes``) in YAML and XLSForm: loaded, kept by the
XLSForm round trip and by storage, and a bad value refused with its file, sheet, row and column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from feedback.domain import serialise
from feedback.domain.loader import InstrumentError, load_file
from feedback.domain.loader.xlsform_writer import write_xlsform

FORMS = Path(__file__).resolve().parents[2] / "forms"
FORM = """\
settings:
  form_id: contact-check
  form_title: Contact check
  version: "1"
  kind: event_feedback
survey:
  - type: begin_group
    name: about
    label: About you
  - type: select_one yes_no
    name: interested
    label: Would you like to join a consortia building group?
  - type: text
    name: contact
    label: How can we contact you about this?
    relevant: "${interested} = 'yes'"
    personal_data: yes
  - type: select_one channel or_other
    name: channel
    label: Which of our staff did you speak to?
    personal_data: yes
  - type: text
    name: comments
    label: Any other comments?
    personal_data: no
  - type: end_group
choices:
  yes_no:
    - {name: 'yes', label: 'Yes'}
    - {name: 'no', label: 'No'}
  channel:
    - {name: amir, label: Amir}
"""


def _write(tmp_path: Path, text: str, name: str = "contact-check.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    return [str(p) for p in caught.value.problems]


def test_yaml_marks_only_the_questions_it_names(tmp_path: Path) -> None:
    model = load_file(_write(tmp_path, FORM)).instrument
    assert model.question("contact").personal_data
    assert model.question("channel").personal_data
    assert model.question("channel_other").personal_data  # the "please specify" box says who, too
    assert not model.question("comments").personal_data
    assert not model.question("interested").personal_data
    public = model.without_personal_data()
    assert [q.name for q in public.input_questions()] == ["interested", "comments"]


def test_storage_keeps_the_mark(tmp_path: Path) -> None:
    model = load_file(_write(tmp_path, FORM)).instrument
    again = serialise.from_dict(serialise.to_dict(model))
    assert again == model
    assert serialise.personal_data_names(serialise.to_dict(model)) == {"contact", "channel", "channel_other"}


def test_the_xlsform_round_trip_keeps_the_mark(tmp_path: Path) -> None:
    model = load_file(_write(tmp_path, FORM)).instrument
    target = tmp_path / "contact-check.xlsx"
    write_xlsform(model, target)
    workbook = openpyxl.load_workbook(target, read_only=True)
    rows = list(workbook["survey"].iter_rows(values_only=True))
    workbook.close()
    column = rows[0].index("personal_data")
    marked = {row[1] for row in rows[1:] if row[column] == "yes"}
    assert marked == {"contact", "channel"}  # channel_other is re-created by the loader
    loaded = load_file(target)
    assert loaded.instrument == model
    assert not [p for p in loaded.left_out if "personal_data" in str(p)]  # not "column ignored"


def test_a_workbook_written_by_hand_loads_the_column(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label", "personal data"])
    survey.append(["text", "email", "Your e-mail address", "TRUE"])
    survey.append(["text", "comments", "Any other comments?", None])
    workbook.create_sheet("settings").append(["form_id"])
    workbook["settings"].append(["by-hand"])
    path = tmp_path / "by-hand.xlsx"
    workbook.save(path)
    loaded = load_file(path)
    assert loaded.instrument.personal_data_names() == {"email"}
    assert loaded.left_out == []


def test_a_bad_value_in_yaml_names_file_line_row_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, FORM.replace("    personal_data: no\n", "    personal_data: perhaps\n"))
    (problem,) = _problems(path)
    assert problem == (
        f"{path}: line 22, sheet 'survey', row 5, column 'personal_data', question 'comments': "
        "personal_data must be yes or no, not 'perhaps'"
    )


def test_a_bad_value_in_a_workbook_names_sheet_row_and_column_letter(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label", "personal_data"])
    survey.append(["text", "org", "Organisation", None])
    survey.append(["text", "email", "Your e-mail address", "sometimes"])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    (problem,) = _problems(path)
    assert problem == (
        f"{path}: sheet 'survey', row 3, column 'personal_data' (D), question 'email': "
        "personal_data must be yes or no, not 'sometimes'"
    )


def test_a_group_cannot_be_marked(tmp_path: Path) -> None:
    text = FORM.replace("    label: About you\n", "    label: About you\n    personal_data: yes\n")
    (problem,) = _problems(_write(tmp_path, text))
    assert "sheet 'survey', row 1, column 'personal_data'" in problem
    assert "personal_data marks questions, not groups" in problem


def test_the_pirr_contact_question_is_marked() -> None:
    model = load_file(FORMS / "pirr-event-feedback.yaml").instrument
    assert model.question("cbg_contact").label == "How can we contact you about this?"
    assert model.personal_data_names() == {"cbg_contact"}
