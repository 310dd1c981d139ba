"""Which questions form the respondent profile the Summary sheet opens with (Table 2.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback.domain.instrument import Instrument
from feedback.domain.loader import InstrumentError, load_file
from feedback.domain.loader.xlsform_writer import write_xlsform
from feedback.domain.profile import profile_question_names, profile_title
from feedback.domain.serialise import digest, from_dict, to_dict

FORMS = Path(__file__).resolve().parents[2] / "forms"

GROUPED = """
settings:
  form_id: profile-check
  form_title: Profile check
  version: "1"
  kind: survey
{extra}survey:
  - type: begin_group
    name: about_you
    label: About you
{mark}  - type: select_one org
    name: org_type
    label: Type of organisation
  - type: select_multiple org
    name: also_works_with
    label: Which others do you work with?
  - type: select_one region
    name: region
    label: Region
  - type: end_group
  - type: begin_group
    name: views
    label: Your views
  - type: select_one region
    name: best_region
    label: Which region did it best?
  - type: end_group
choices:
  org:
    - {{name: vco, label: VCO}}
    - {{name: statutory, label: Statutory}}
  region:
    - {{name: ne, label: North East}}
    - {{name: yh, label: Yorkshire and the Humber}}
"""


def _load(tmp_path: Path, extra: str = "", mark: str = "    profile: yes\n", text: str = "") -> Instrument:
    path = tmp_path / "profile-check.yaml"
    path.write_text(text or GROUPED.format(extra=extra, mark=mark))
    return load_file(path).instrument


def test_crisp_profile_is_table_2_2() -> None:
    crisp = load_file(FORMS / "crisp-web-survey.yaml").instrument
    assert profile_question_names(crisp) == ("org_type", "primary_work", "location")
    assert profile_title(crisp) == "Profile of respondents: About you and your organisation"


def test_the_profile_section_gives_its_single_choice_questions(tmp_path: Path) -> None:
    instrument = _load(tmp_path)
    # The multiple-choice question cannot add up to 100%, and later pages are not the profile.
    assert profile_question_names(instrument) == ("org_type", "region")
    assert profile_title(instrument) == "Profile of respondents: About you"


def test_the_first_page_is_not_guessed_to_be_the_profile(tmp_path: Path) -> None:
    assert profile_question_names(_load(tmp_path, mark="")) == ()


def test_questions_marked_profile_anywhere_form_it(tmp_path: Path) -> None:
    text = (
        GROUPED.format(extra="", mark="")
        .replace("    name: region\n", "    name: region\n    profile: yes\n")
        .replace("    name: best_region\n", "    name: best_region\n    profile: yes\n")
    )
    instrument = _load(tmp_path, text=text)
    assert profile_question_names(instrument) == ("region", "best_region")
    assert profile_title(instrument) == "Profile of respondents"


def test_pirr_profile_is_its_organisation_section_not_its_first_page() -> None:
    pirr = load_file(FORMS / "pirr-event-feedback.yaml").instrument
    first_page = {q.name for q in pirr.pages()[0].questions()}
    names = profile_question_names(pirr)
    assert names and not first_page & set(names)
    assert profile_title(pirr) == "Profile of respondents: About your organisation"


def test_a_profile_value_other_than_yes_or_no_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "profile-check.yaml"
    path.write_text(GROUPED.format(extra="", mark="    profile: perhaps\n"))
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    problem = next(p for p in caught.value.problems if p.column == "profile")
    assert "profile must be yes or no, not 'perhaps'" in str(problem)
    assert "profile-check.yaml" in str(problem)


def test_the_flag_survives_the_xlsform_round_trip(tmp_path: Path) -> None:
    instrument = _load(tmp_path)
    out = tmp_path / "profile-check.xlsx"
    write_xlsform(instrument, out)
    again = load_file(out).instrument
    assert profile_question_names(again) == ("org_type", "region")
    assert digest(again) == digest(instrument)


def test_groups_without_the_flag_keep_the_digest_they_were_stored_with(tmp_path: Path) -> None:
    # A stored definition written before the flag existed must not turn into a new version.
    instrument = _load(tmp_path, mark="")
    stored = to_dict(instrument)
    assert all("profile" not in item for item in stored["items"] if item["kind"] == "group")
    assert from_dict(stored) == instrument


def test_the_setting_names_the_profile(tmp_path: Path) -> None:
    instrument = _load(tmp_path, "  profile_questions: best_region, org_type also_works_with nope\n")
    # In question order; the multiple-choice and unknown names are left out.
    assert profile_question_names(instrument) == ("org_type", "best_region")
    assert profile_title(instrument) == "Profile of respondents"


def test_one_question_is_no_stacked_table(tmp_path: Path) -> None:
    instrument = _load(tmp_path, "  profile_questions: region\n")
    assert profile_question_names(instrument) == ()
