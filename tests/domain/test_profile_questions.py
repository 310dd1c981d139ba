"""Which questions form the respondent profile the Summary sheet opens with (Table 2.2)."""

from __future__ import annotations

from pathlib import Path

from feedback.domain.instrument import Instrument
from feedback.domain.loader import load_file
from feedback.domain.profile import profile_question_names, profile_title

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
  - type: select_one org
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


def _load(tmp_path: Path, extra: str = "") -> Instrument:
    path = tmp_path / "profile-check.yaml"
    path.write_text(GROUPED.format(extra=extra))
    return load_file(path).instrument


def test_crisp_profile_is_table_2_2() -> None:
    crisp = load_file(FORMS / "crisp-web-survey.yaml").instrument
    assert profile_question_names(crisp) == ("org_type", "primary_work", "location")
    assert profile_title(crisp) == "Profile of respondents: About you and your organisation"


def test_first_page_single_choice_questions_only(tmp_path: Path) -> None:
    instrument = _load(tmp_path)
    # The multiple-choice question cannot add up to 100%, and later pages are not the profile.
    assert profile_question_names(instrument) == ("org_type", "region")


def test_the_setting_names_the_profile(tmp_path: Path) -> None:
    instrument = _load(tmp_path, "  profile_questions: best_region, org_type also_works_with nope\n")
    # In question order; the multiple-choice and unknown names are left out.
    assert profile_question_names(instrument) == ("org_type", "best_region")
    assert profile_title(instrument) == "Profile of respondents"


def test_one_question_is_no_stacked_table(tmp_path: Path) -> None:
    instrument = _load(tmp_path, "  profile_questions: region\n")
    assert profile_question_names(instrument) == ()
