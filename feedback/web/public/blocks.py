"""Rendered question blocks, remembered per worker.

Why: two thirds of a question page's server time went into GOV.UK Frontend's Jinja macros
(cProfile of 200 GETs of the CRISP survey's ten-question page: 5.2 of 7.6 s inside
``public/_questions.html``), and under load that rendering time is the queue every respondent
waits in. A block's HTML depends only on its :class:`~feedback.web.forms.QuestionView` and the
locale (the macro's only other input is ``_()``), and the same blocks are asked for again and
again: every respondent's first view of a page has no answers and no errors, and a radio
question has few possible states. So each block is rendered by the same macro as before, once,
and served from a bounded least-recently-used cache afterwards; the page HTML is byte for byte
what the macro alone produced.

The cache is per process (nothing is shared between gunicorn workers, nothing can go stale: an
instrument's new version has new labels, so new keys) and bounded in entries, so text answers
that are never seen twice only ever push out old entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import get_template_attribute
from flask_babel import get_locale
from markupsafe import Markup

from ..forms import QuestionView

MAX_BLOCKS = 2048  # a ten-question page's blocks are ~20 KB in all: at most a few MB per worker

_blocks: OrderedDict[Hashable, Markup] = OrderedDict()
_lock = threading.Lock()  # the development server is threaded; gunicorn sync workers are not
stats = {"hits": 0, "misses": 0}


def _key(view: QuestionView) -> Hashable:
    """Everything the macro reads from ``view``, as a hashable value (plus the locale)."""
    return (
        str(get_locale() or ""),
        view.kind,
        view.name,
        view.label,
        view.hint,
        tuple(tuple(sorted(item.items())) for item in view.items),
        view.value,
        tuple(sorted(view.parts.items())),
        view.error,
        view.max_length,
        view.inputmode,
        tuple(view.attributes.items()),
    )


def question_block(view: QuestionView) -> Markup:
    """The HTML of one question as ``public/_questions.html``'s ``question`` macro renders it.

    The result is the macro's own output (it escapes every text it is given), so it is already
    Markup; nothing from data is marked safe here."""
    try:
        key = _key(view)
        hash(key)
    except TypeError:  # an item carrying a nested structure: render it, do not remember it
        return get_template_attribute("public/_questions.html", "question")(view)
    with _lock:
        found = _blocks.get(key)
        if found is not None:
            _blocks.move_to_end(key)
            stats["hits"] += 1
            return found
    html = get_template_attribute("public/_questions.html", "question")(view)
    with _lock:
        stats["misses"] += 1
        _blocks[key] = html
        if len(_blocks) > MAX_BLOCKS:
            _blocks.popitem(last=False)
    return html


def clear() -> None:
    with _lock:
        _blocks.clear()
        stats.update(hits=0, misses=0)
