"""Build an :class:`Instrument` from a :class:`RawDefinition`, collecting every structural problem.

Structural means what can be checked row by row: types, names, groups, labels, choice lists.
Cross-references and expressions are checked afterwards in :mod:`.validate`, on the built model.
For workbooks from other tools (``lenient=True``) rows of types we do not collect are left out
and listed; in our own YAML files they are errors, since the author can fix them.

The stages: settings and choices here, the survey's items in :mod:`.build_survey`, both on the
row helpers of :mod:`.build_rows` (where :class:`BuildResult` lives; it is importable from here).
"""

from __future__ import annotations

import re

from ..instrument import ACCESS_CHOICES, INSTRUMENT_KINDS, Choice, Instrument
from ..partial import PartialRule, PartialRuleError
from .build_rows import MEDIA, NAME, TRUE, BuildResult
from .build_survey import SurveyBuilder
from .errors import Problem
from .raw import CHOICE_COLUMNS, RawDefinition, Row

__all__ = ["NAME", "SLUG", "BuildResult", "build", "slugify"]

SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (slug or "instrument")[:80]


class _Builder(SurveyBuilder):
    """Settings and choices; the survey stage and the row helpers come from the base classes."""

    # -- settings ----------------------------------------------------------------------------
    def settings(self) -> tuple[str, str, str, str | None, str]:
        s = self.raw.settings
        form_id = s.get("form_id", "").strip()
        if not form_id:
            if self.raw.format == "yaml":
                self.error(
                    None,
                    "settings: 'form_id' is missing (the instrument's short name, e.g. crisp-survey)",
                    "form_id",
                )
            stem = self.file.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
            form_id = slugify(stem)
        elif not SLUG.match(form_id):
            if self.raw.format == "yaml":
                self.error(
                    None,
                    f"settings: form_id '{form_id}' must be lowercase letters, digits and hyphens",
                    "form_id",
                )
            form_id = slugify(form_id)
        title = s.get("form_title", "").strip()
        if not title:
            if self.raw.format == "yaml":
                self.error(
                    None, "settings: 'form_title' is missing (the title respondents see)", "form_title"
                )
            title = form_id
        kind = s.get("kind", "").strip() or "survey"
        if kind not in INSTRUMENT_KINDS:
            self.error(None, f"settings: kind '{kind}' is not one of {', '.join(INSTRUMENT_KINDS)}", "kind")
        project = s.get("project", "").strip() or None
        self._response_rules(s)
        return form_id, title, kind, project, s.get("version", "").strip()

    def _response_rules(self, s: dict[str, str]) -> None:
        """``partial_threshold`` and ``access`` change figures, so a bad value is an error, never
        a silent default."""
        threshold = s.get("partial_threshold", "").strip()
        if threshold:
            try:
                PartialRule.parse(threshold)
            except PartialRuleError as exc:
                self.error(None, f"settings: partial_threshold: {exc}", "partial_threshold")
        access = s.get("access", "").strip()
        if access and access not in ACCESS_CHOICES:
            self.error(
                None,
                f"settings: access '{access}' is not one of {', '.join(ACCESS_CHOICES)} "
                "(leave it out to follow the sample: invitation-only when there is a contact list)",
                "access",
            )

    # -- choices -----------------------------------------------------------------------------
    def choices(self) -> dict[str, tuple[Choice, ...]]:
        lists: dict[str, list[Choice]] = {}
        seen: dict[tuple[str, str], Row] = {}
        allow_duplicates = self.raw.settings.get("allow_choice_duplicates", "").lower() in TRUE
        for row in self.raw.choices:
            if not any(v.strip() for v in row.cells.values()):
                continue
            self._check_columns(row, CHOICE_COLUMNS)
            list_name, name = row.get("list_name"), row.get("name")
            texts, translations = self._texts(row)
            if not list_name:
                if self.lenient and not name:  # a stray note beside the lists, as in some old workbooks
                    self.leave_out(row, "left out a row with neither list name nor name", "list_name")
                    continue
                self.error(row, "choice has no list name", "list_name")
                continue
            if not name:
                self.error(row, f"choice in list '{list_name}' has no name", "name")
                continue
            if not texts.get("label") and self.lenient:  # e.g. an image-only choice: show its name
                texts["label"] = name
                self.leave_out(
                    row, f"choice '{name}' in list '{list_name}' has no label; its name is shown", "label"
                )
            elif not texts.get("label"):
                self.error(row, f"choice '{name}' in list '{list_name}' has no label", "label")
            if (list_name, name) in seen and not allow_duplicates:
                self.error(row, f"choice '{name}' appears twice in list '{list_name}'", "name")
                continue
            seen[(list_name, name)] = row
            extra = tuple(
                (k, v.strip())
                for k, v in row.cells.items()
                if k not in CHOICE_COLUMNS and "::" not in k and k not in MEDIA and v.strip()
            )
            lists.setdefault(list_name, []).append(
                Choice(
                    name,
                    texts.get("label", ""),
                    tuple((lang, t) for c, lang, t in translations if c == "label"),
                    extra,
                )
            )
        return {k: tuple(v) for k, v in lists.items()}


def build(raw: RawDefinition, *, lenient: bool = False) -> BuildResult:
    """Turn rows into an instrument; ``result.instrument`` is None when there are problems."""
    builder = _Builder(raw, lenient)
    slug, title, kind, project, version = builder.settings()
    choice_lists = builder.choices()
    items = builder.survey(choice_lists)
    result = builder.result
    if not items and not result.problems:
        result.problems.append(Problem("the survey has no questions", file=raw.source, sheet="survey"))
    keep = tuple(
        (k, v)
        for k, v in sorted(raw.settings.items())
        if k not in ("form_id", "form_title", "version", "kind", "project", "description", "default_language")
        and v
    )
    result.instrument = Instrument(
        slug=slug,
        title=title,
        kind=kind,
        project=project,
        version=version,
        items=items,
        choice_lists=choice_lists,
        description=raw.settings.get("description", "").strip(),
        default_language=builder.default_language
        or (builder.languages[0] if builder.languages and not builder.used_plain else ""),
        languages=tuple(builder.languages),
        settings=keep,
    )
    return result
