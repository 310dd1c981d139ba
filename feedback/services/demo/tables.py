"""The demo's static tables, read from the YAML files in ``data/`` beside this module.

Everything in them comes from the 2007 evaluation report of the NOMS Change Up Public Service
Priority Programme (``/work/shared/seed/evaluation-report.txt``): project descriptions, activities
and attendance, the CRISP respondent profile and findings, who was interviewed, answer weights and
the themes free-text answers are drawn from. Names, e-mail addresses and organisations are
invented; places in organisation names are fictional.

The files ship inside the package (``[tool.setuptools.package-data]``) and are read once, at
import. A file that is missing or malformed is a packaging bug, so it raises at import with the
file's name rather than producing a half-loaded demo.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from typing import Any, NamedTuple

import yaml


def _load(name: str) -> Any:
    """One data file, parsed; ``RuntimeError`` naming the file if it is missing or not YAML."""
    resource = files(__package__).joinpath("data", name)
    try:
        return yaml.safe_load(resource.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuntimeError(f"demo data file {resource} could not be read: {exc}") from exc


class ProjectSpec(NamedTuple):
    slug: str
    name: str
    lead_organisation: str
    area: str
    description: str


class ActivitySpec(NamedTuple):
    key: str
    kind: str
    series: str
    title: str
    starts_on: date | None
    region: str
    attending: int | None
    note: str


def _activities(entries: list[dict[str, Any]], defaults: dict[str, Any]) -> list[ActivitySpec]:
    """Expand one project's entries: ``repeat: n`` numbers n copies, {i} and {n} in key and title."""
    specs = []
    for raw in entries:
        entry = {**defaults, **raw}
        count = entry.get("repeat")
        for i in range(1, (count or 1) + 1):
            key, title = entry["key"], entry["title"]
            if count is not None:
                key, title = key.format(i=i, n=count), title.format(i=i, n=count)
            specs.append(
                ActivitySpec(
                    key=key,
                    kind=entry["kind"],
                    series=entry.get("series", title),
                    title=title,
                    starts_on=entry.get("starts_on"),
                    region=entry["region"],
                    attending=entry.get("attending"),
                    note=entry.get("note", ""),
                )
            )
    return specs


_PROGRAMME = _load("programme.yaml")
PROGRAMME_SLUG: str = _PROGRAMME["slug"]
PROGRAMME_NAME: str = _PROGRAMME["name"]
PROJECTS: tuple[ProjectSpec, ...] = tuple(ProjectSpec(**p) for p in _PROGRAMME["projects"])
#: The instruments the demo writes responses for (forms/<slug>.yaml).
INSTRUMENT_SLUGS: tuple[str, ...] = tuple(_PROGRAMME["instruments"])


def programme_description(seed: int) -> str:
    return str(_PROGRAMME["description"]).replace("{seed}", str(seed))


#: Project slug -> its activities, in the order they are created.
ACTIVITIES: dict[str, list[ActivitySpec]] = {
    slug: _activities(project["activities"], project.get("defaults") or {})
    for slug, project in _load("activities.yaml").items()
}

_PEOPLE = _load("people.yaml")
FIRST_NAMES: list[str] = _PEOPLE["first_names"]
LAST_NAMES: list[str] = _PEOPLE["last_names"]
PLACES: list[str] = _PEOPLE["places"]
#: Organisation name templates ({p} is a place), by kind of organisation.
VCO_NAMES: list[str] = _PEOPLE["organisations"]["vco"]
STATUTORY_NAMES: list[str] = _PEOPLE["organisations"]["statutory"]
OTHER_NAMES: list[str] = _PEOPLE["organisations"]["other"]

#: Instrument slug -> question -> {code: weight} (select_one) or {code: probability} (select_multiple).
WEIGHTS: dict[str, dict[str, dict[str, float]]] = _load("weights.yaml")

_TEXTS = _load("texts.yaml")
#: Instrument slug -> question -> the sentences its free-text answers are drawn from.
TEXTS: dict[str, dict[str, list[str]]] = {
    slug: {**_TEXTS["banks"][spec["bank"]], **(spec.get("replace") or {})}
    for slug, spec in _TEXTS["instruments"].items()
}
#: Used for a text question with no bank of its own (an instrument edited after this was written).
FALLBACK_TEXTS: list[str] = _TEXTS["fallback"]
OTHER_TEXTS: list[str] = _TEXTS["other"]

#: CRISP survey counts, Table 2.2 profile, section 4 findings, non-respondent mix, discussions.
CRISP: dict[str, Any] = _load("crisp.yaml")
REPLICATE_CONDITIONS: list[str] = TEXTS["crisp-web-survey"]["replicate_conditions"]
#: Interviewees and plans for MOVE, Step Up, PiRR and SEED4BME.
FIELDWORK: dict[str, Any] = _load("fieldwork.yaml")
