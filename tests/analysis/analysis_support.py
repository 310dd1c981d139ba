"""Constants shared by the analysis tests (conftest.py cannot be imported by test modules)."""

from __future__ import annotations

from collections.abc import Callable

SLUG = "usefulness-check"

FORM = """
settings:
  form_id: usefulness-check
  form_title: Usefulness check
  version: "1"
  kind: survey
  project: analysis-tests
survey:
  - type: select_one usefulness
    name: useful
    label: How useful was the event?
  - type: select_multiple topics
    name: topics
    label: Which topics did you find helpful?
  - type: select_one yes_no
    name: attended
    label: Did you attend every session?
  - type: text
    name: why_not
    label: Why not?
    relevant: "${attended} = 'no'"
  - type: integer
    name: sessions
    label: How many sessions did you attend?
  - type: date
    name: first_date
    label: When did you first attend?
  - type: text
    name: comments
    label: Any other comments?
    appearance: multiline
choices:
  usefulness:
    - name: very
      label: Very useful
    - name: ambivalent
      label: Ambivalent
    - name: not_very
      label: Not very useful
  topics:
    - name: funding
      label: Funding
    - name: networks
      label: Networks
    - name: policy
      label: Policy
  yes_no:
    - name: "yes"
      label: "Yes"
    - name: "no"
      label: "No"
"""

Record = Callable[..., int]
