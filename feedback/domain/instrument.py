"""The instrument model: what a questionnaire, schedule or feedback form *is*, free of storage.

An instrument is built from an XLSForm-shaped definition (see ``feedback.domain.loader``) and is
immutable: reloading an edited file makes a new version rather than changing this object, so a
response always knows exactly which questions it answered.

The tree mirrors XLSForm: a list of items, each a :class:`Question` or a :class:`Group` holding
more items. Top-level groups are the pages a respondent sees; questions outside any group are
gathered into pages of their own between groups (see :meth:`Instrument.pages`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

InstrumentKind = Literal[
    "survey",
    "event_feedback",
    "interview_schedule",
    "group_discussion",
    "observation",
    "case_study",
    "document_review",
]
INSTRUMENT_KINDS: tuple[str, ...] = (
    "survey",
    "event_feedback",
    "interview_schedule",
    "group_discussion",
    "observation",
    "case_study",
    "document_review",
)
#: Kinds an interviewer administers (case lists, call attempts), as opposed to self-completion.
INTERVIEWER_KINDS = frozenset({"interview_schedule", "group_discussion", "observation", "case_study"})
#: Kinds that have no respondents and therefore no response rate.
NO_RESPONDENT_KINDS = frozenset({"document_review"})
#: ``access`` in a form's settings: who may answer without a personal link (see services.access).
ACCESS_CHOICES: tuple[str, ...] = ("open", "invitation")

MODES: tuple[str, ...] = ("web", "paper", "telephone", "face_to_face", "email")

#: Question types that hold an answer a person gives.
INPUT_TYPES = frozenset({"select_one", "select_multiple", "text", "integer", "decimal", "date"})
#: Types captured automatically (XLSForm metadata).
META_TYPES = frozenset({"start", "end", "today"})
#: Everything a survey row may be, apart from group markers.
QUESTION_TYPES = INPUT_TYPES | META_TYPES | {"note", "calculate"}
SELECT_TYPES = frozenset({"select_one", "select_multiple"})
NUMERIC_TYPES = frozenset({"integer", "decimal"})
#: Closed questions: summarised as frequency tables.
CLOSED_TYPES = SELECT_TYPES

OTHER_CHOICE = "other"


@dataclass(frozen=True)
class Choice:
    """One answer option. ``extra`` holds the list's other columns, which ``choice_filter`` reads."""

    name: str
    label: str
    translations: tuple[tuple[str, str], ...] = ()
    extra: tuple[tuple[str, str], ...] = ()

    def label_in(self, language: str | None) -> str:
        return dict(self.translations).get(language or "", self.label) if language else self.label

    @property
    def columns(self) -> dict[str, str]:
        """The values a choice filter can see: name, label and any extra column."""
        return {"name": self.name, "label": self.label, **dict(self.extra)}


@dataclass(frozen=True)
class Question:
    """A survey row that is not a group marker.

    ``generated`` marks rows the loader adds itself (the text box behind ``or_other``), which the
    XLSForm writer leaves out so that a round trip gives back the author's file.

    ``personal_data`` (the ``personal_data: yes`` column, REDCap's "identifier") marks an answer
    that says who the respondent is (a name, an e-mail address, a phone number): pseudonymous
    exports, summaries and free-text pages leave it out, identified exports and erasure reach it.

    ``profile`` (the ``profile: yes`` column) puts a single-choice question in the respondent
    profile that opens the workbook's Summary sheet and the Word report (Table 2.2).
    """

    type: str
    name: str
    label: str = ""
    hint: str = ""
    list_name: str | None = None
    or_other: bool = False
    required: bool = False
    required_message: str = ""
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    appearance: str = ""
    choice_filter: str = ""
    default: str = ""
    calculation: str = ""
    translations: tuple[tuple[str, str, str], ...] = ()  # (column, language, text)
    generated: bool = False
    personal_data: bool = False
    profile: bool = False

    @property
    def is_input(self) -> bool:
        return self.type in INPUT_TYPES

    @property
    def is_select(self) -> bool:
        return self.type in SELECT_TYPES

    @property
    def multiline(self) -> bool:
        return self.type == "text" and "multiline" in self.appearance.split()

    @property
    def xlsform_type(self) -> str:
        """The ``type`` cell as XLSForm writes it, e.g. ``select_multiple activities or_other``."""
        if self.list_name:
            return f"{self.type} {self.list_name}" + (" or_other" if self.or_other else "")
        return self.type

    def text_in(self, column: str, language: str | None) -> str:
        default: str = getattr(self, column)  # column is one of the text fields: label, hint, ...
        if not language:
            return default
        for col, lang, text in self.translations:
            if col == column and lang == language:
                return text
        return default


@dataclass(frozen=True)
class Group:
    """A section. Top-level groups are pages; nested groups are sub-headings within a page.

    ``profile`` (``profile: yes`` on the ``begin_group`` row) marks the instrument's profile
    section: its single-choice questions form the respondent profile."""

    name: str
    label: str = ""
    hint: str = ""
    relevant: str = ""
    appearance: str = ""
    children: tuple[Item, ...] = ()
    translations: tuple[tuple[str, str, str], ...] = ()
    profile: bool = False

    def questions(self) -> Iterator[Question]:
        for item in self.children:
            if isinstance(item, Group):
                yield from item.questions()
            else:
                yield item

    def text_in(self, column: str, language: str | None) -> str:
        default: str = getattr(self, column)  # column is one of the text fields: label, hint, ...
        for col, lang, text in self.translations:
            if col == column and lang == language:
                return text
        return default


Item = Question | Group


@dataclass(frozen=True)
class Page:
    """What a respondent sees at once: one top-level group, or a run of ungrouped questions."""

    index: int
    group: Group | None
    items: tuple[Item, ...]

    @property
    def title(self) -> str:
        return self.group.label if self.group else ""

    def questions(self) -> Iterator[Question]:
        for item in self.items:
            if isinstance(item, Group):
                yield from item.questions()
            else:
                yield item


@dataclass(frozen=True)
class Instrument:
    """A whole instrument: settings, items in order, and choice lists in definition order."""

    slug: str
    title: str
    kind: str
    project: str | None
    version: str
    items: tuple[Item, ...]
    choice_lists: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    description: str = ""
    default_language: str = ""
    languages: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()  # settings we keep but do not interpret

    def walk(self) -> Iterator[Item]:
        """Every item, depth first, in definition order (groups before their children)."""

        def _walk(items: tuple[Item, ...]) -> Iterator[Item]:
            for item in items:
                yield item
                if isinstance(item, Group):
                    yield from _walk(item.children)

        return _walk(self.items)

    # An instrument never changes once built, and every request asks these many times (a page
    # POST looked its questions up by name 19 times, each a walk of the whole tree), so they are
    # worked out once. cached_property writes the instance's __dict__, which frozen allows.
    @cached_property
    def _questions(self) -> tuple[Question, ...]:
        return tuple(item for item in self.walk() if isinstance(item, Question))

    @cached_property
    def _by_name(self) -> dict[str, Question]:
        found: dict[str, Question] = {}
        for q in self._questions:
            found.setdefault(q.name, q)  # the first of a name, as the old linear search returned
        return found

    @cached_property
    def memo(self) -> dict[object, object]:
        """A place for callers to keep what they derive from this instrument, which never
        changes once built (the web layer keeps each page's form class here)."""
        return {}

    def questions(self) -> list[Question]:
        return list(self._questions)

    def input_questions(self) -> list[Question]:
        return [q for q in self._questions if q.is_input]

    def question(self, name: str) -> Question:
        return self._by_name[name]

    def groups(self) -> list[Group]:
        return [item for item in self.walk() if isinstance(item, Group)]

    def personal_data_names(self) -> frozenset[str]:
        """Names of the questions marked ``personal_data`` (see :class:`Question`)."""
        return frozenset(q.name for q in self._questions if q.personal_data)

    def without_personal_data(self) -> Instrument:
        """This instrument minus its personal-data questions: what a pseudonymous export
        describes, so no sheet built from it can hold a name or an address by accident."""
        if not self.personal_data_names():
            return self

        def keep(items: tuple[Item, ...]) -> tuple[Item, ...]:
            kept: list[Item] = []
            for item in items:
                if isinstance(item, Group):
                    kept.append(replace(item, children=keep(item.children)))
                elif not item.personal_data:
                    kept.append(item)
            return tuple(kept)

        return replace(self, items=keep(self.items))

    def choices_for(self, question: Question) -> tuple[Choice, ...]:
        return self.choice_lists.get(question.list_name or "", ())

    def enclosing_groups(self) -> dict[str, tuple[Group, ...]]:
        """Question name -> the groups around it, outermost first (their ``relevant`` applies too)."""
        result: dict[str, tuple[Group, ...]] = {}

        def _visit(items: tuple[Item, ...], stack: tuple[Group, ...]) -> None:
            for item in items:
                if isinstance(item, Group):
                    _visit(item.children, (*stack, item))
                else:
                    result[item.name] = stack

        _visit(self.items, ())
        return result

    def pages(self) -> list[Page]:
        """Split the instrument into pages: one per top-level group, ungrouped runs between."""
        pages: list[Page] = []
        loose: list[Item] = []

        def flush() -> None:
            shown = [
                i for i in loose if not (isinstance(i, Question) and i.type in META_TYPES | {"calculate"})
            ]
            if shown:
                pages.append(Page(len(pages), None, tuple(loose)))
            loose.clear()

        for item in self.items:
            if isinstance(item, Group):
                flush()
                pages.append(Page(len(pages), item, item.children))
            else:
                loose.append(item)
        flush()
        return pages

    @property
    def has_respondents(self) -> bool:
        return self.kind not in NO_RESPONDENT_KINDS
