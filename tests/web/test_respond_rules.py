"""Choice filters and constraints, applied on the server from the same evaluator as the loader."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from respond_support import answer, start, text

from feedback.db.session import Database
from feedback.domain.loader import load_raw
from feedback.domain.loader.yaml_reader import read_yaml
from feedback.services.instruments import save_instrument

FILTERED = """
settings:
  form_id: filtered
  form_title: Filtered
  kind: survey
survey:
  - type: begin_group
    name: where
    label: Where
  - type: select_one region
    name: region
    label: Which region?
    required: yes
  - type: end_group
  - type: begin_group
    name: detail
    label: Detail
  - type: select_one area
    name: area
    label: Which area?
    choice_filter: "region = ${region}"
  - type: integer
    name: staff
    label: How many staff?
    constraint: ". >= 0 and . <= 5000"
    constraint_message: Enter a number from 0 to 5000
  - type: end_group
choices:
  region:
    - {name: ne, label: North East}
    - {name: yh, label: Yorkshire and the Humber}
  area:
    - {name: newcastle, label: Newcastle, region: ne}
    - {name: leeds, label: Leeds, region: yh}
"""


def test_choice_filter_and_constraint_on_the_server(client: FlaskClient, db: Database) -> None:
    with db.write() as session:
        save_instrument(session, load_raw(read_yaml(Path("filtered.yaml"), FILTERED)))
    url = start(client, "/f/filtered")
    page_2 = answer(client, url, {"region": "ne"}).headers["Location"]
    body = text(client.get(page_2))
    assert "Newcastle" in body and "Leeds" not in body
    assert 'inputmode="numeric"' in body

    refused = text(answer(client, page_2, {"area": "leeds", "staff": "12"}))
    assert "Select one of the options shown" in refused
    refused = text(answer(client, page_2, {"area": "newcastle", "staff": "9000"}))
    assert "Enter a number from 0 to 5000" in refused
    refused = text(answer(client, page_2, {"area": "newcastle", "staff": "twelve"}))
    assert "Enter a whole number, like 12" in refused
    accepted = answer(client, page_2, {"area": "newcastle", "staff": "12"})
    assert accepted.headers["Location"].endswith("/check")
    check = text(client.get(accepted.headers["Location"]))
    assert "Newcastle" in check and ">12<" in check.replace("\n", "").replace(" ", "")
