"""Benchmark: the server time of a respondent's page, against a static page of the same size.

Run: ``.venv/bin/python -m pytest tests/benchmarks/bench_respond.py -s`` (not collected by default).

Takes the pilot instrument with the most questions and its page with the most questions, then
times, through the Flask test client in this process (no network, so only server work counts):

* GET of that page for a response with answers on every earlier page (so the rules run on real
  answers);
* POST of that page with every question answered (CSRF checked, answers checked by the domain,
  the response's answers rewritten in one transaction; the redirect is not followed);
* baseline: GET of a route that renders a precompiled template holding the same bytes as the
  question page, through the same app (same request handling, sessions and context processors).

Prints medians and each as a ratio to the baseline. Nothing is asserted about speed: numbers on a
shared CI machine are for reading, not for failing builds.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from feedback.domain.instrument import Instrument, Page

ROUNDS = 200
WARMUP = 20


def _longest(instruments: list[Instrument]) -> tuple[Instrument, Page]:
    instrument = max(instruments, key=lambda m: len(m.input_questions()))
    pages = [p for p in instrument.pages() if p.group is None or not p.group.relevant]
    page = max(pages, key=lambda p: sum(1 for q in p.questions() if q.is_input))
    return instrument, page


def _answers_for(instrument: Instrument, page: Page) -> dict[str, object]:
    """A valid answer for each question on the page (first option, a number, some text)."""
    data: dict[str, object] = {}
    for question in page.questions():
        if not question.is_input or question.relevant:
            continue
        choices = instrument.choices_for(question)
        if question.type == "select_one":
            data[question.name] = choices[0].name
        elif question.type == "select_multiple":
            data[question.name] = [c.name for c in choices[:2]]
        elif question.type in ("integer", "decimal"):
            data[question.name] = "12"
        elif question.type == "date":
            data.update(
                {f"{question.name}-day": "3", f"{question.name}-month": "4", f"{question.name}-year": "2025"}
            )
        else:
            data[question.name] = "Benchmark answer. " * 10
    return data


def _median_ms(action: Callable[[], object]) -> float:
    for _ in range(WARMUP):
        action()
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _static_route(app: Flask) -> Callable[[str], None]:
    """A route rendering a compiled template of exactly the page's bytes (no variables); the
    route is added before the first request, the template once the page is known."""
    holder: dict[str, object] = {}
    app.add_url_rule("/_bench/static", "bench_static", lambda: holder["template"].render())  # type: ignore[attr-defined]

    def use(html: str) -> None:
        holder["template"] = app.jinja_env.from_string("{% raw %}" + html + "{% endraw %}")

    return use


def test_bench_respond_page(app: Flask, client: FlaskClient, loaded_forms) -> None:
    import sys

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "web"))
    from respond_support import answer, csrf_token, start, text

    use_static = _static_route(app)
    instrument, page = _longest([item.instrument for item in loaded_forms])
    first = start(client, f"/f/{instrument.slug}")
    url = first.replace("/p/1", f"/p/{page.index + 1}")
    for earlier in instrument.pages()[: page.index]:
        if earlier.group is None or not earlier.group.relevant:
            answer(
                client, first.replace("/p/1", f"/p/{earlier.index + 1}"), _answers_for(instrument, earlier)
            )

    html = text(client.get(url))
    assert "Section" in html
    use_static(html)
    static = client.get("/_bench/static")
    assert len(static.data) == len(html.encode())

    data = {"csrf_token": csrf_token(html), "_action": "continue", **_answers_for(instrument, page)}
    posted = client.post(url, data=data)
    assert posted.status_code == 302, re.sub(r"\s+", " ", text(posted))[:2000]

    baseline = _median_ms(lambda: client.get("/_bench/static").close())
    render = _median_ms(lambda: client.get(url).close())
    accept = _median_ms(lambda: client.post(url, data=data).close())
    questions = sum(1 for q in page.questions() if q.is_input)
    print()
    print(f"instrument {instrument.slug}, page {page.index + 1} ({questions} questions, {len(html):,} bytes)")
    print(f"static template of the same size: {baseline:7.2f} ms (median of {ROUNDS})")
    print(f"render the page (GET):            {render:7.2f} ms  ratio {render / baseline:5.1f}x")
    print(f"accept the page (POST):           {accept:7.2f} ms  ratio {accept / baseline:5.1f}x")
