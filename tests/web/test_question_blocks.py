"""Question blocks are remembered per worker (feedback/web/public/blocks.py): the pages must stay
exactly what the GOV.UK macros render, and one respondent's answers, errors or language must never
show on another's page."""

from __future__ import annotations

import re

from flask import Flask, get_template_attribute
from respond_support import answer, start, text

from feedback.web.forms import QuestionView
from feedback.web.public import blocks

SLUG = "crisp-web-survey"
PAGE_1 = {"org_type": "vco", "primary_work": "offenders", "location": "north_east"}


def _checked_values(body: str, name: str) -> list[str]:
    inputs = re.findall(rf'<input[^>]*name="{name}"[^>]*>', body)
    return [re.search(r'value="([^"]*)"', i).group(1) for i in inputs if " checked" in i]


def test_a_second_respondent_never_sees_the_first_ones_answers(app: Flask, loaded_forms) -> None:
    blocks.clear()
    first, second = app.test_client(), app.test_client()
    url_1 = start(first, f"/f/{SLUG}")
    answer(first, url_1, PAGE_1)
    again = text(first.get(url_1))
    assert _checked_values(again, "org_type") == ["vco"]
    assert _checked_values(again, "location") == ["north_east"]

    url_2 = start(second, f"/f/{SLUG}")
    fresh = text(second.get(url_2))
    assert _checked_values(fresh, "org_type") == []
    assert _checked_values(fresh, "location") == []
    # The first respondent's page is served from the blocks remembered for it, still with the answers.
    assert _checked_values(text(first.get(url_1)), "org_type") == ["vco"]
    assert blocks.stats["hits"] > 0


def test_an_error_shown_to_one_respondent_is_not_shown_to_the_next(app: Flask, loaded_forms) -> None:
    blocks.clear()
    first, second = app.test_client(), app.test_client()
    url_1 = start(first, f"/f/{SLUG}")
    wrong = answer(first, url_1, {"org_type": "vco"})  # two required questions left unanswered
    assert wrong.status_code == 200
    assert "govuk-error-message" in text(wrong)

    url_2 = start(second, f"/f/{SLUG}")
    assert "govuk-error-message" not in text(second.get(url_2))


def test_language_is_part_of_what_is_remembered(app: Flask, loaded_forms) -> None:
    blocks.clear()
    view = QuestionView("date", "when", "When was it?", parts={"day": "", "month": "", "year": ""})
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = blocks.question_block(view)
    with app.test_request_context("/?lang=cy", headers={"Accept-Language": "cy"}):
        welsh = blocks.question_block(view)
    assert blocks.stats["misses"] == 2  # not served the English block for Welsh
    assert "Day" in english and "Diwrnod" not in english
    assert "Diwrnod" in welsh


def test_remembered_blocks_are_the_macros_own_output(app: Flask) -> None:
    blocks.clear()
    views = [
        QuestionView("radios", "q1", "Pick <one>", hint="a & b", items=[
            {"value": "a", "text": "A <b>", "checked": True},
            {"value": "b", "text": "B", "checked": False},
        ], error="Select an answer"),
        QuestionView("textarea", "q2", "Tell us", value="<script>alert(1)</script>"),
        QuestionView("number", "q3", "How many?", value="12", inputmode="numeric"),
    ]  # fmt: skip
    with app.test_request_context("/"):
        macro = get_template_attribute("public/_questions.html", "question")
        for view in views:
            expected = str(macro(view))
            assert str(blocks.question_block(view)) == expected  # first time: rendered
            assert str(blocks.question_block(view)) == expected  # then: remembered, the same bytes
        assert "<script>" not in str(blocks.question_block(views[1]))
    assert blocks.stats == {"hits": 4, "misses": 3}


def test_the_cache_stays_bounded(app: Flask, monkeypatch) -> None:
    blocks.clear()
    monkeypatch.setattr(blocks, "MAX_BLOCKS", 5)
    with app.test_request_context("/"):
        for n in range(20):
            blocks.question_block(QuestionView("input", "q", "Name", value=f"answer {n}"))
    assert len(blocks._blocks) == 5
