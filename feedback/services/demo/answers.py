"""Drawing one synthetic respondent's answers, and the small random helpers every project shares.

:func:`draw_answers` walks an instrument as the form would: skip rules decide which questions
are shown, calculations feed later rules, constraints are respected (a drawn value that breaks one
is drawn again, up to six times, then left blank). Planned values (from the report's counts) win
over drawn ones when the question offers them. Nothing here writes to the database, and nothing
raises for an instrument edited since the demo was written: an expression that no longer
evaluates is treated as shown / allowed, and ``record_response`` has the last word.
"""

from __future__ import annotations

import random
import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ...db import Instrument, InstrumentVersion
from ...domain.answers import allowed_choices, expression_value
from ...domain.expressions import ExpressionError, evaluate, is_true, to_string
from ...domain.instrument import Group
from ...domain.instrument import Instrument as InstrumentModel
from ...domain.instrument import Question as QuestionModel
from . import tables


@dataclass
class Form:
    """A loaded instrument's current version, with what answer drawing and recording need."""

    instrument: Instrument
    version: InstrumentVersion
    model: InstrumentModel
    ids: dict[str, int]
    page_of: dict[str, int]
    groups: dict[str, tuple[Group, ...]]


def deal(counts: Mapping[str, int], rng: random.Random) -> list[str]:
    """Exactly ``counts`` of each code, in random order."""
    codes = [code for code, n in counts.items() for _ in range(n)]
    rng.shuffle(codes)
    return codes


def assign(rng: random.Random, pool: Sequence[int], counts: Mapping[str, int]) -> dict[int, str]:
    """Exactly ``counts`` of each code, given to a random sample of ``pool`` (the rest get none)."""
    return dict(zip(rng.sample(pool, sum(counts.values())), deal(counts, rng), strict=True))


def moment(rng: random.Random, start: date, end: date) -> datetime:
    """A weekday working-hours moment between ``start`` and ``end`` (UTC)."""
    day = start + timedelta(days=rng.randint(0, (end - start).days))
    while day.weekday() >= 5 and day < end:
        day += timedelta(days=1)
    return datetime.combine(day, time(rng.randint(9, 16), rng.choice((0, 15, 30, 45))), UTC)


def weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    codes = list(weights)
    return rng.choices(codes, weights=[weights[c] for c in codes])[0]


def organisation(rng: random.Random, templates: Sequence[str] = tables.VCO_NAMES) -> str:
    """An invented organisation name: a template with a fictional place."""
    template = rng.choice(templates)
    return template.format(p=rng.choice(tables.PLACES))


def email_local(first: str, last: str) -> str:
    """``first.last`` in lower case, letters and dots only (``O'Brien`` -> ``obrien``)."""
    return re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())


def draw_answers(
    form: Form,
    rng: random.Random,
    plan: Mapping[str, object],
    *,
    window: tuple[date, date],
    text_rate: float = 0.5,
    pages: Container[int] | None = None,
) -> dict[str, object]:
    """Answers for one respondent: ``plan`` where given (None leaves a question blank), drawn
    otherwise, and only for questions the skip rules show (evaluated as the form would)."""
    slug = form.instrument.slug
    draw = _Draw(tables.WEIGHTS.get(slug, {}), tables.TEXTS.get(slug, {}), window, text_rate)
    scope: dict[str, object] = {}
    values: dict[str, object] = {}
    for q in form.model.questions():
        if not _shown(form, q, scope):
            continue
        if q.type == "calculate":
            try:
                result = to_string(evaluate(q.calculation, scope))
            except ExpressionError:
                result = ""
            if result not in ("", "NaN"):
                scope[q.name] = result
            continue
        if not q.is_input or (pages is not None and form.page_of.get(q.name) not in pages):
            continue
        value = None
        for attempt in range(6):
            planned = attempt == 0 and q.name in plan
            value = draw.value(form, q, scope, rng, plan[q.name] if planned else None, planned)
            if value is None or _allowed(q, value, scope):
                break
            value = None
        if value is None:
            continue
        values[q.name] = value
        scope[q.name] = expression_value(tuple(value) if isinstance(value, list) else value)
    return values


def _shown(form: Form, q: QuestionModel, scope: Mapping[str, object]) -> bool:
    try:
        for group in form.groups.get(q.name, ()):
            if group.relevant and not is_true(group.relevant, scope):
                return False
        return not q.relevant or is_true(q.relevant, scope)
    except ExpressionError:
        return True


def _allowed(q: QuestionModel, value: object, scope: Mapping[str, object]) -> bool:
    if not q.constraint:
        return True
    current = tuple(value) if isinstance(value, list) else value
    try:
        return is_true(q.constraint, scope, current=expression_value(current))
    except ExpressionError:
        return True


@dataclass(frozen=True)
class _Draw:
    """What a value is drawn from for one instrument: weights, sentences, dates, text rate."""

    weights: Mapping[str, Mapping[str, float]]
    texts: Mapping[str, Sequence[str]]
    window: tuple[date, date]
    text_rate: float

    def value(
        self,
        form: Form,
        q: QuestionModel,
        scope: Mapping[str, object],
        rng: random.Random,
        planned: object,
        is_planned: bool,
    ) -> object:
        codes = [c.name for c in allowed_choices(form.model, q, scope)] if q.is_select else []
        if is_planned:
            if planned is None:
                return None
            if _planned_ok(q, planned, codes):
                return list(planned) if isinstance(planned, tuple) else planned
        if q.type == "select_one":
            table = self.weights.get(q.name) or _default_weights(codes)
            table = {c: w for c, w in table.items() if c in codes and w > 0} or _default_weights(codes)
            return weighted(rng, table) if table else None
        if q.type == "select_multiple":
            return _pick_several(rng, codes, self.weights.get(q.name) or {})
        if q.type in ("integer", "decimal"):
            low, high = _bounds(q.constraint)
            number = rng.randint(low, min(high, low + 9))
            return number if q.type == "integer" else float(number) + rng.choice((0.0, 0.5))
        if q.type == "date":
            return moment(rng, *self.window).date()
        if q.type == "text":
            return self._text(q, rng)
        return None

    def _text(self, q: QuestionModel, rng: random.Random) -> str | None:
        if q.default and not q.multiline:
            return q.default
        if not q.required and rng.random() >= (0.9 if q.generated else self.text_rate):
            return None
        bank = self.texts.get(q.name) or (
            tables.OTHER_TEXTS if q.generated or q.name.endswith("_other") else tables.FALLBACK_TEXTS
        )
        if q.multiline and len(bank) > 1 and rng.random() < 0.4:
            return " ".join(rng.sample(list(bank), 2))
        return rng.choice(list(bank))


def _planned_ok(q: QuestionModel, planned: object, codes: Sequence[str]) -> bool:
    """Whether a planned value is one the question (as the rules now show it) can take."""
    if q.type == "select_one":
        return planned in codes
    if q.type == "select_multiple":
        return isinstance(planned, list | tuple) and all(c in codes for c in planned)
    return True


def _pick_several(rng: random.Random, codes: Sequence[str], probs: Mapping[str, float]) -> list[str] | None:
    picked = [c for c in codes if rng.random() < probs.get(c, _default_probability(c, bool(probs)))]
    if "none" in picked and len(picked) > 1:
        picked.remove("none")
    if not picked:
        candidates = [c for c in codes if c not in ("none", "other")] or codes
        picked = [rng.choice(candidates)] if candidates else []
    return picked or None


def _default_weights(codes: Sequence[str]) -> dict[str, float]:
    special = {"other": 0.05, "dont_know": 0.1, "none": 0.05, "did_not_take_part": 0.0}
    return {c: special.get(c, 1.0 / (1 + 0.6 * i)) for i, c in enumerate(codes) if special.get(c, 1.0) > 0}


def _default_probability(code: str, listed: bool) -> float:
    if code == "none":
        return 0.0
    if code == "other":
        return 0.03
    return 0.0 if listed else 0.3


def _bounds(constraint: str) -> tuple[int, int]:
    low = re.search(r"\.\s*>=?\s*(\d+)", constraint or "")
    high = re.search(r"\.\s*<=?\s*(\d+)", constraint or "")
    lo = max(int(low.group(1)) if low else 1, 1)
    hi = int(high.group(1)) if high else lo + 9
    return lo, max(hi, lo)
