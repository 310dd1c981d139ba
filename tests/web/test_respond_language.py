"""A second language: our words from the Welsh catalogue, the instrument's from its cy columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from respond_support import start, text

from feedback.db.session import Database
from feedback.domain.loader import load_raw
from feedback.domain.loader.yaml_reader import read_yaml
from feedback.services.instruments import save_instrument

BILINGUAL = """
settings:
  form_id: bilingual
  form_title: Bilingual form
  kind: survey
survey:
  - type: begin_group
    name: views
    label: Your views
    label::Welsh (cy): Eich barn
  - type: select_one yn
    name: enjoyed
    label: Did you enjoy it?
    label::Welsh (cy): Wnaethoch chi ei fwynhau?
  - type: end_group
choices:
  yn:
    - name: "y"
      label: "Yes"
      label::Welsh (cy): "Do"
    - name: "n"
      label: "No"
      label::Welsh (cy): "Naddo"
"""


def test_welsh_pages_use_the_catalogue_and_the_instruments_welsh_labels(
    client: FlaskClient, db: Database
) -> None:
    with db.write() as session:
        save_instrument(session, load_raw(read_yaml(Path("bilingual.yaml"), BILINGUAL)))
    english = text(client.get("/f/bilingual"))
    assert "Start now" in english and 'hreflang="cy"' in english

    welsh_start = text(client.get("/f/bilingual?lang=cy"))
    assert "Dechrau nawr" in welsh_start
    assert '<html lang="cy"' in welsh_start
    url = start(client, "/f/bilingual")  # the choice is remembered for the rest of the visit
    page = text(client.get(url))
    assert "Wnaethoch chi ei fwynhau?" in page and "Naddo" in page and "Eich barn" in page
    assert "Adran 1 o 1" in page and "Parhau" in page

    back_in_english = text(client.get(f"{url}?lang=en"))
    assert "Did you enjoy it?" in back_in_english and "Section 1 of 1" in back_in_english


def test_instrument_without_welsh_offers_no_switch(client: FlaskClient, loaded_forms) -> None:
    assert 'hreflang="cy"' not in text(client.get("/f/crisp-web-survey"))


@pytest.mark.parametrize("key", ["form_title::Welsh (cy)", "form_title::cy"])
def test_a_translated_form_title_is_used_and_never_breaks_the_page(
    client: FlaskClient, db: Database, key: str
) -> None:
    """A ``form_title`` in the second language (a setting beside the others) titles the Welsh
    pages; with it the start page once raised a ValueError (settings are pairs, not triples)."""
    english_title = "  form_title: Bilingual form\n"
    titled = BILINGUAL.replace(english_title, f"{english_title}  {key}: Ffurflen ddwyieithog\n")
    with db.write() as session:
        save_instrument(session, load_raw(read_yaml(Path("bilingual.yaml"), titled)))
    english = client.get("/f/bilingual")
    assert english.status_code == 200 and "Bilingual form" in text(english)
    welsh = client.get("/f/bilingual?lang=cy")
    assert welsh.status_code == 200 and "Ffurflen ddwyieithog" in text(welsh)
