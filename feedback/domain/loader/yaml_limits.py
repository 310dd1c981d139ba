"""Compose an uploaded YAML document only if building and walking it costs no more than its size.

Why a pass before composing: ``yaml.compose`` gives one shared node to every alias, so a document
small as a graph can be huge when walked. Measured on this reader before these limits:

* a million ``*row`` aliases of one row (3 MB) became a million rows: 26 s to read, 66 s in all and
  a 133 MB error message, so gunicorn killed the worker;
* the "billion laughs" (nine lists of nine aliases of the list before) is 9**9 values from 1 KB;
* 100,000 nested ``[`` raised ``RecursionError`` (a 500), because PyYAML's composer recurses once
  per level; libyaml needs 17 s for the same events;
* a 4.8 MB list of 2.4 million one-letter values took 61 s to compose in pure Python (6 s in
  libyaml), with no alias at all.

So one pass over the parser's events (libyaml's when PyYAML has it, about 20 times faster, and it is
the same parser that then composes) counts values, aliases and nesting and stops at the first bound
crossed, before any node exists; then, on the composed graph, each node's size with its aliases
written out is counted once (memoised), which catches expansion by a few aliases of aliases. A real
instrument (``forms/``: 4 to 15 KB, no aliases) is far below every bound; the value limit leaves
room for the largest instrument the XLSForm reader accepts (20,000 questions, 100,000 choices).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import yaml

from .errors import InstrumentError, Problem

MAX_ALIASES = 100
MAX_VALUES = 500_000  # scalars, lists and mappings, counted with every alias written out
MAX_DEPTH = 20  # an instrument needs 4: sections, choice lists, rows, cells

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_VALUE_EVENTS = (yaml.ScalarEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_OPEN_EVENTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE_EVENTS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a large node graph and its rows are built.

    Nothing built here forms a cycle (a self-containing alias is refused first), but every
    collection of the oldest generation walks the whole growing graph: reading 100,000 choice rows
    took 7 s with the collector on and 1.6 s with it paused. If it was already off, it stays off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _refuse(file: str, message: str, event: yaml.Event | None = None) -> InstrumentError:
    line = event.start_mark.line + 1 if event is not None and event.start_mark is not None else None
    return InstrumentError([Problem(message, file=file, line=line)])


def _scan(text: str, file: str) -> yaml.AliasEvent | None:
    """Check the event stream against the bounds; return the first alias (named if expansion is refused)."""
    values = 0
    aliases = 0
    first_alias: yaml.AliasEvent | None = None
    open_anchors: list[str | None] = []  # anchors of the lists and mappings being read, outermost first
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            first_alias = first_alias or event
            if aliases > MAX_ALIASES:
                raise _refuse(
                    file,
                    f"more than {MAX_ALIASES} aliases (*{event.anchor}); an instrument needs few if any: "
                    "write the rows out instead of repeating them",
                    event,
                )
            if event.anchor in open_anchors:
                message = f"alias *{event.anchor} refers to the list or mapping that contains it"
                raise _refuse(file, message, event)
        elif isinstance(event, _VALUE_EVENTS):
            values += 1
            if values > MAX_VALUES:
                message = f"more than {MAX_VALUES:,} values; split the instrument into smaller ones"
                raise _refuse(file, message, event)
            if isinstance(event, _OPEN_EVENTS):
                open_anchors.append(event.anchor)
                if len(open_anchors) > MAX_DEPTH:
                    raise _refuse(file, f"lists and mappings nested more than {MAX_DEPTH} deep", event)
        elif isinstance(event, _CLOSE_EVENTS):
            open_anchors.pop()
    return first_alias


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def expanded_size(root: yaml.Node, limit: int = MAX_VALUES) -> int:
    """Values in ``root`` with every alias written out, counting each shared node once; stops past ``limit``.

    Iterative (no recursion limit) and linear in the distinct nodes. A node met again while its own
    children are still being counted contains itself: its size is infinite, returned as ``limit + 1``.
    """
    sizes: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = min(total, limit + 1)
            if key == id(root) or sizes[key] > limit:
                return sizes[key]
            continue
        if key in sizes:
            continue
        if key in entered:
            return limit + 1
        entered.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes.get(id(root), 0)


def compose_bounded(text: str, file: str) -> yaml.Node | None:
    """``yaml.compose`` for untrusted text: :class:`InstrumentError` (with the line) past any bound.

    YAML syntax errors come out as ``yaml.YAMLError`` from either pass, for the caller to report.
    """
    first_alias = _scan(text, file)
    root: yaml.Node | None = yaml.compose(text, Loader=_LOADER)
    if root is not None and first_alias is not None and expanded_size(root) > MAX_VALUES:
        raise _refuse(
            file,
            f"aliases (the first is *{first_alias.anchor}) repeat lists or mappings so often that the "
            f"document would have more than {MAX_VALUES:,} values; write the rows out or use fewer aliases",
            first_alias,
        )
    return root
