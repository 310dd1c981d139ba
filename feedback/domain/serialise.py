"""Instruments to and from plain JSON-able dicts, for storage and for spotting changed versions.

The stored definition is what a response is checked against years later, so it must rebuild the
exact same :class:`Instrument`; ``digest`` hashes its canonical JSON so that loading an unchanged
file twice is a no-op and an edited one becomes a new version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from .instrument import Choice, Group, Instrument, Item, Question

FORMAT = 1


def _item_to_dict(item: Item) -> dict[str, Any]:
    if isinstance(item, Group):
        data = asdict(item)
        data["children"] = [_item_to_dict(child) for child in item.children]
        data["kind"] = "group"
        if not item.profile:  # groups stored before the flag existed keep their digest
            del data["profile"]
        return data
    data = {k: v for k, v in asdict(item).items() if v not in ("", False, None, ())}
    data["kind"] = "question"
    return data


def _tuples(value: Any) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(x) for x in value or ())


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    """Stored (key, value) pairs (choice translations and extra columns, settings), as the
    dataclasses type them; JSON gives them back as two-item lists."""
    return tuple((key, text) for key, text in value or ())


def _item_from_dict(data: dict[str, Any]) -> Item:
    data = dict(data)
    kind = data.pop("kind")
    data["translations"] = _tuples(data.get("translations"))
    if kind == "group":
        data["children"] = tuple(_item_from_dict(c) for c in data.get("children", ()))
        return Group(**data)
    return Question(**data)


def to_dict(instrument: Instrument) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "slug": instrument.slug,
        "title": instrument.title,
        "kind": instrument.kind,
        "project": instrument.project,
        "version": instrument.version,
        "description": instrument.description,
        "default_language": instrument.default_language,
        "languages": list(instrument.languages),
        "settings": [list(kv) for kv in instrument.settings],
        "items": [_item_to_dict(i) for i in instrument.items],
        "choice_lists": {
            name: [
                {
                    "name": c.name,
                    "label": c.label,
                    "translations": [list(t) for t in c.translations],
                    "extra": [list(e) for e in c.extra],
                }
                for c in choices
            ]
            for name, choices in instrument.choice_lists.items()
        },
    }


def from_dict(data: dict[str, Any]) -> Instrument:
    return Instrument(
        slug=data["slug"],
        title=data["title"],
        kind=data["kind"],
        project=data.get("project"),
        version=data.get("version", ""),
        items=tuple(_item_from_dict(i) for i in data["items"]),
        choice_lists={
            name: tuple(
                Choice(c["name"], c["label"], _pairs(c.get("translations")), _pairs(c.get("extra")))
                for c in choices
            )
            for name, choices in data.get("choice_lists", {}).items()
        },
        description=data.get("description", ""),
        default_language=data.get("default_language", ""),
        languages=tuple(data.get("languages", ())),
        settings=_pairs(data.get("settings")),
    )


def personal_data_names(definition: dict[str, Any]) -> frozenset[str]:
    """Names of the personal-data questions in a stored definition, read without rebuilding the
    instrument (summaries ask this on every page)."""
    found: set[str] = set()

    def visit(items: list[dict[str, Any]]) -> None:
        for item in items:
            if item.get("kind") == "group":
                visit(item.get("children", []))
            elif item.get("personal_data"):
                found.add(item["name"])

    visit(definition.get("items", []))
    return frozenset(found)


def canonical_json(instrument: Instrument) -> str:
    return json.dumps(to_dict(instrument), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(instrument: Instrument) -> str:
    """A content hash that ignores the project (moving a form between projects is not a new version)."""
    data = to_dict(instrument)
    data.pop("project")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
