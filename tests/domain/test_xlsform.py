"""XLSForm workbooks in and out: real-world forms, round trips, and hostile or broken files.

The external compatibility set (see its README.md) is checked against the workbook itself, read
here independently with openpyxl, so a question or rule silently dropped by the loader fails a
test even if counts happen to match. Every other workbook is built in ``tmp_path``.
"""

from __future__ import annotations

import io
import random
import re
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from feedback.domain.instrument import Group, Instrument, Question
from feedback.domain.loader import InstrumentError, LoadedInstrument, Problem, load_file
from feedback.domain.loader.xlsform_writer import write_xlsform

EXTERNAL = Path(__file__).resolve().parents[2].parent / "shared" / "external" / "xlsforms"
MUST_LOAD = (
    "pyxform__text_and_integer", "pyxform__yes_or_no_question", "pyxform__choice_filter_test",
    "xlsformorg__cascading_select", "pyxform__group", "pyxform__or_other", "pyxform__specify_other",
    "pyxform__field-list", "pyxform__extra_columns",
)
FORMS = Path(__file__).resolve().parents[2] / "forms"


def _external(must_load: bool) -> list[Any]:
    if not EXTERNAL.is_dir():
        reason = f"the external compatibility set is not at {EXTERNAL}"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason))]
    files = sorted(EXTERNAL.glob("*.xlsx"))
    chosen = [f for f in files if (f.stem in MUST_LOAD) == must_load]
    return [pytest.param(f, id=f.stem) for f in chosen]


# -- an independent reading of a workbook, for comparison ----------------------------------------
_RULES = {
    "relevant": ("relevant", "bind:relevant", "relevance"),
    "constraint": ("constraint", "bind:constraint"),
    "choice_filter": ("choice_filter", "choice filter"),
    "calculation": ("calculation", "calculate", "bind:calculate"),
}
_SUPPORTED = re.compile(
    r"^(text|integer|decimal|date|note|calculate|start|end|today|phone number|begin[ _]group|end[ _]group|"
    r"(select_one|select one|select_multiple|select all that apply)( from)? \S+"
    r"( or_other| or specify other)?)$"
)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else " ".join(str(value).split())


_SELECT = re.compile(r"^(?:select_one|select one|select_multiple|select all that apply)(?: from)? (\S+)",
                     re.IGNORECASE)


def _sheet(path: Path, name: str) -> list[dict[str, str]]:
    """Rows of a sheet as {lower-case header: text}, each with its spreadsheet row under '#'."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        titles = [t for t in workbook.sheetnames if t.lower() == name]
        if not titles:
            return []
        rows = workbook[titles[0]].iter_rows(values_only=True)
        header = [_text(h).lower() for h in next(rows, ())]
        result, empty = [], 0
        for number, values in enumerate(rows, start=2):
            row = {h: _text(v) for h, v in zip(header, values, strict=False) if h and _text(v)}
            empty = 0 if row else empty + 1
            if empty > 60:
                break
            if row:
                result.append({**row, "#": str(number)})
        return result
    finally:
        workbook.close()


def _texts(row: dict[str, str], base: str) -> set[str]:
    """Every text of a translatable column in a row, in any language."""
    pattern = re.compile(rf"^{base}(::?.+)?$")
    return {v for k, v in row.items() if pattern.match(k)}


def _item_texts(item: Question | Group, base: str) -> set[str]:
    return {_text(getattr(item, base, ""))} | {_text(t) for c, _lang, t in item.translations if c == base}


def _rule(row: dict[str, str], column: str) -> str:
    return next((row[k] for k in _RULES[column] if row.get(k)), "")


@pytest.mark.parametrize("path", _external(must_load=True))
def test_must_load_workbooks_keep_every_question_choice_group_and_rule(path: Path) -> None:
    loaded = load_file(path)
    instrument = loaded.instrument
    items = {item.name: item for item in instrument.walk() if not getattr(item, "generated", False)}
    begun = 0
    for row in _sheet(path, "survey"):
        where = f"{path.name} survey row {row['#']}"
        kind = row.get("type", "").lower()
        assert _SUPPORTED.match(kind), f"{where}: the must-load set uses only supported types, not {kind!r}"
        if re.match(r"^end[ _]group$", kind):
            continue
        item = items.pop(row["name"], None)
        assert item is not None, f"{where}: '{row['name']}' is missing from the instrument"
        if re.match(r"^begin[ _]group$", kind):
            begun += 1
            assert isinstance(item, Group), where
        else:
            assert isinstance(item, Question), where
            select = _SELECT.match(row["type"])
            assert item.list_name == (select[1] if select else None), where
            assert item.or_other == kind.endswith(("or_other", "or specify other")), where
        for base in ("label", "hint"):
            assert _texts(row, base) <= _item_texts(item, base), f"{where}: {base} texts differ"
        for column in _RULES:
            assert _rule(row, column) == _text(getattr(item, column, "")), f"{where}: {column} differs"
    assert not items, f"items the workbook does not have: {sorted(items)}"
    assert begun == len(instrument.groups())

    in_workbook: set[tuple[str, str]] = set()
    for row in _sheet(path, "choices"):
        where = f"{path.name} choices row {row['#']}"
        list_name = row.get("list_name") or row["list name"]
        in_workbook.add((list_name, row["name"]))
        matching = [c for c in instrument.choice_lists.get(list_name, ()) if c.name == row["name"]]
        assert matching, f"{where}: choice '{row['name']}' is missing from list '{list_name}'"
        labels = {_text(t) for c in matching for t in (c.label, *(t for _lang, t in c.translations))}
        assert _texts(row, "label") <= labels, f"{where}: label texts differ"
    with_other = {q.list_name for q in instrument.questions() if q.or_other}
    for list_name, choices in instrument.choice_lists.items():
        for choice in choices:
            added = choice.name == "other" and list_name in with_other
            assert (list_name, choice.name) in in_workbook or added, f"{list_name}/{choice.name} invented"


@pytest.mark.parametrize("path", _external(must_load=False))
def test_other_workbooks_load_or_refuse_naming_every_unsupported_row(path: Path) -> None:
    try:
        loaded = load_file(path)
    except InstrumentError as exc:
        named: list[Problem] = exc.problems
        assert named and all(p.file == str(path) for p in named)
    else:
        named = loaded.left_out
        assert named, f"{path.name} uses unsupported features but nothing is listed as left out"
    repeat_begins: list[dict[str, str]] = []
    for row in _sheet(path, "survey"):
        kind = row.get("type", "").lower()
        if kind.startswith(("begin repeat", "begin_repeat", "begin loop")):
            repeat_begins.append(row)
            if len(repeat_begins) > 1:
                continue
        elif kind.startswith(("end repeat", "end_repeat", "end loop")):
            repeat_begins.pop()
            continue
        if repeat_begins:
            row = repeat_begins[0]  # left out with the outermost repeat around it
        elif _SUPPORTED.match(kind):
            continue
        here = (int(row["#"]), row.get("name"))
        assert any(p.sheet == "survey" and (p.row, p.name) == here for p in named), (
            f"{path.name}: survey row {row['#']} ({kind}) is not named in {[str(p) for p in named]}")
    workbook = openpyxl.load_workbook(path, read_only=True)
    others = [t for t in workbook.sheetnames if t.lower() not in ("survey", "choices", "settings")]
    workbook.close()
    for title in others:
        assert any(p.sheet == title and "ignored" in p.message for p in named), f"sheet {title} not listed"


# -- round trips ---------------------------------------------------------------------------------
EVERYTHING = """
settings:
  form_id: everything
  form_title: Everything we support
  version: "3"
  kind: event_feedback
  project: demo
  description: One form using every feature the loader supports.
  default_language: English (en)
  allow_choice_duplicates: "no"
survey:
  - {type: start, name: start}
  - {type: end, name: end}
  - {type: today, name: today}
  - type: note
    name: welcome
    label: Welcome
    label::Welsh (cy): Croeso
  - type: begin_group
    name: about
    label: About you
    label::Welsh (cy): Amdanoch chi
    hint: A few questions first
    appearance: field-list
  - type: integer
    name: age
    label: How old are you?
    label::Welsh (cy): Faint yw eich oed?
    required: yes
    required_message: Please give your age
    constraint: ". >= 16 and . <= 120"
    constraint_message: Between 16 and 120
    constraint_message::Welsh (cy): Rhwng 16 a 120
  - type: decimal
    name: hours
    label: How many hours did you spend?
    default: "7.5"
  - type: date
    name: visit_date
    label: When did you visit?
    constraint: ". <= today()"
  - type: begin_group
    name: place
    label: Where you live
    relevant: "${age} >= 16"
  - {type: select_one countries, name: country, label: Country, label::Welsh (cy): Gwlad}
  - type: select_one regions
    name: region
    label: Region
    choice_filter: "country = ${country}"
  - type: end_group
  - type: end_group
  - type: select_multiple activities or_other
    name: activities
    label: Which activities did you join?
    hint: Select all that apply
  - type: select_one rating or_other
    name: rating
    label: How was it?
    relevant: "count-selected(${activities}) > 0"
  - type: calculate
    name: total
    calculation: "${age} + ${hours}"
  - type: text
    name: formula
    label: "=SUM(A1:A9) is text, not a formula"
    appearance: multiline
  - type: text
    name: handle
    label: "@handle on social media"
    hint: "+44 or -1 are fine too"
  - type: note
    name: bye
    label: "Thank you, ${total}"
choices:
  countries:
    - {name: wales, label: Wales, label::Welsh (cy): Cymru}
    - {name: england, label: England, label::Welsh (cy): Lloegr}
  regions:
    - {name: cardiff, label: Cardiff, country: wales}
    - {name: gwynedd, label: Gwynedd, country: wales, size: large}
    - {name: leeds, label: Leeds, country: england}
  activities:
    - {name: "01", label: Workshops}
    - {name: "02", label: "=HYPERLINK(\\"http://example.invalid\\")"}
    - {name: "1", label: "@SUM(1)"}
  rating:
    - {name: good, label: Good}
    - {name: bad, label: Bad}
"""


def _yaml(tmp_path: Path, text: str, name: str = "form.yaml") -> LoadedInstrument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_file(path)


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    workbook = openpyxl.load_workbook(path)
    try:
        return {ws.title: [tuple(c.value for c in r) for r in ws.iter_rows()] for ws in workbook.worksheets}
    finally:
        workbook.close()


def _round_trip(instrument: Instrument, tmp_path: Path) -> Path:
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    write_xlsform(instrument, first)
    again = load_file(first).instrument
    assert again == instrument
    buffer = io.BytesIO()
    write_xlsform(again, buffer)
    second.write_bytes(buffer.getvalue())
    assert _cells(first) == _cells(second)
    assert load_file(second).instrument == instrument
    return first


@pytest.mark.parametrize("path", _external(must_load=True))
def test_must_load_workbooks_round_trip(path: Path, tmp_path: Path) -> None:
    _round_trip(load_file(path).instrument, tmp_path)


def test_every_feature_round_trips_and_every_cell_is_text(tmp_path: Path) -> None:
    instrument = _yaml(tmp_path, EVERYTHING).instrument
    assert instrument.default_language == "English (en)" and instrument.languages == ("Welsh (cy)",)
    assert any(q.generated for q in instrument.questions())
    written = _round_trip(instrument, tmp_path)
    workbook = openpyxl.load_workbook(written)
    texts = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    workbook.close()
    assert texts and {c.data_type for c in texts} == {"s"}
    values = {c.value for c in texts}
    tricky = {"=SUM(A1:A9) is text, not a formula", '=HYPERLINK("http://example.invalid")', "@SUM(1)", "01"}
    assert tricky <= values
    assert "activities_other" not in values  # generated rows are the loader's, not the author's
    with zipfile.ZipFile(written) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)


def test_default_language_column_round_trips(tmp_path: Path) -> None:
    text = EVERYTHING.replace("    label: ", "    label::English (en): ")
    text = text.replace("{name: wales, label:", "{name: wales, label::English (en):")
    instrument = _yaml(tmp_path, text).instrument
    assert instrument.languages[:1] == ("English (en)",)
    written = _round_trip(instrument, tmp_path)
    assert "label::English (en)" in _cells(written)["survey"][0]


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.yaml")), ids=lambda p: p.stem)
def test_project_forms_round_trip_through_xlsform(path: Path, tmp_path: Path) -> None:
    _round_trip(load_file(path).instrument, tmp_path)


# -- the same instrument written by hand as YAML and as a workbook -------------------------------
SMALL_YAML = """
settings: {form_id: small, form_title: Small form, version: "2", default_language: English (en)}
survey:
  - {type: begin_group, name: page, label: Page one, label::Welsh (cy): Tudalen un}
  - type: select_one yes_no
    name: liked
    label: Did you like it?
    label::Welsh (cy): Oeddech chi'n ei hoffi?
    required: yes
  - {type: text, name: why, label: "Why not?", relevant: "${liked} = 'no'"}
  - {type: end_group}
  - {type: integer, name: score, label: Score, constraint: ". <= 10", default: 5}
choices:
  yes_no:
    - {name: "yes", label: "Yes", label::Welsh (cy): Ie}
    - {name: "no", label: "No", label::Welsh (cy): Na}
"""


def _workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_yaml_and_xlsform_give_the_same_instrument(tmp_path: Path) -> None:
    from_yaml = _yaml(tmp_path, SMALL_YAML)
    path = _workbook(tmp_path / "small.xlsx", {
        "survey": [
            ["type", "name", "label", "label::Welsh (cy)", "required", "relevant", "constraint", "default"],
            ["begin group", "page", "Page one", "Tudalen un"],
            ["select_one yes_no", "liked", "Did you like it?", "Oeddech chi'n ei hoffi?", True],
            ["text", "why", "Why not?", None, None, "${liked} = 'no'"],
            ["end group"],
            [],
            ["integer", "score", "Score", None, None, None, ". <= 10", 5.0],
        ],
        "choices": [["list name", "name", "label", "label:Welsh (cy)"], ["yes_no", "yes", "Yes", "Ie"],
                    ["yes_no", "no", "No", "Na"]],
        "Settings": [["form_id", "form_title", "version", "default_language"], ["small", "Small form", 2,
                                                                               "English (en)"]],
    })
    from_xlsx = load_file(path)
    assert from_yaml.source != from_xlsx.source and from_yaml.instrument.slug == from_xlsx.instrument.slug
    assert from_yaml.instrument == from_xlsx.instrument


# -- reading details -----------------------------------------------------------------------------
def test_sheet_names_and_headers_are_case_insensitive_and_cells_become_text(tmp_path: Path) -> None:
    import datetime

    path = _workbook(tmp_path / "caps.xlsx", {
        "SURVEY": [["TYPE", "Name", "LABEL::English", "Bind:Required", "default"],
                   ["date", "when", "When?", True, datetime.datetime(2024, 3, 1)],
                   ["select_one n", "n", "Number", False]],
        "Choices": [["LIST_NAME", "NAME", "Label::English"], ["n", 1.0, 1], ["n", 2, 2.5]],
        "settings": [["form_id", "version"], ["caps", 3.0]],
        "osm": [["list_name", "name"], ["x", "y"]],
        "Sheet9": [],
    })
    loaded = load_file(path)
    when = loaded.instrument.question("when")
    assert (when.required, when.default, when.label) == (True, "2024-03-01", "When?")
    assert [(c.name, c.label) for c in loaded.instrument.choice_lists["n"]] == [("1", "1"), ("2", "2.5")]
    assert loaded.instrument.version == "3"
    assert [p.message for p in loaded.left_out] == [
        "sheet 'osm' ignored: OpenStreetMap questions are not supported"]


def test_blank_rows_keep_spreadsheet_row_numbers_and_author_headers(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "gaps.xlsx", {
        "survey": [["type", "name", "label::English (en)"], ["text", "a", "A"], [], [None, None, None],
                   ["text", "b"]],
    })
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    assert str(caught.value) == (
        f"{path}: sheet 'survey', row 5, column 'label::English (en)' (C), question 'b': "
        "'b' has no label (the question text people see)")


def test_trailing_empty_rows_are_cheap(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label"])
    survey.append(["select_one c", "q", "Q"])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["c", "a", "A"])
    choices.cell(row=1_048_575, column=4).number_format = "0.00"  # a formatted, empty cell at the very end
    workbook.save(tmp_path / "long.xlsx")
    started = time.perf_counter()
    loaded = load_file(tmp_path / "long.xlsx")
    assert time.perf_counter() - started < 3
    assert [c.name for c in loaded.instrument.choice_lists["c"]] == ["a"]
    if EXTERNAL.is_dir():
        started = time.perf_counter()
        load_file(EXTERNAL / "pyxform__UCL_Biomass_Plot_Form.xlsx")
        assert time.perf_counter() - started < 3


# -- bad workbooks -------------------------------------------------------------------------------
def _refused(path: Path) -> InstrumentError:
    with pytest.raises(InstrumentError) as caught:
        load_file(path)
    assert all(p.file == str(path) for p in caught.value.problems)
    return caught.value


def test_not_a_workbook(tmp_path: Path) -> None:
    (tmp_path / "text.xlsx").write_text("type,name,label\n")
    assert "not an Excel .xlsx workbook" in str(_refused(tmp_path / "text.xlsx"))
    (tmp_path / "empty.xlsx").write_bytes(b"")
    assert "empty" in str(_refused(tmp_path / "empty.xlsx"))
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    (tmp_path / "old.xlsx").write_bytes(ole)
    assert ".xls" in str(_refused(tmp_path / "old.xlsx"))
    (tmp_path / "locked.xlsx").write_bytes(ole + "EncryptedPackage".encode("utf-16-le"))
    assert "password-protected" in str(_refused(tmp_path / "locked.xlsx"))
    with zipfile.ZipFile(tmp_path / "other.xlsx", "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert "damaged" in str(_refused(tmp_path / "other.xlsx"))


def test_damaged_workbook(tmp_path: Path) -> None:
    whole = _workbook(tmp_path / "whole.xlsx", {"survey": [["type", "name", "label"], ["text", "a", "A"]]})
    (tmp_path / "cut.xlsx").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert "damaged" in str(_refused(tmp_path / "cut.xlsx"))


def test_corrupted_bytes_never_escape_as_anything_but_instrument_error(tmp_path: Path) -> None:
    whole = _workbook(tmp_path / "whole.xlsx", {
        "survey": [["type", "name", "label"], ["select_one c", "a", "A"]],
        "choices": [["list_name", "name", "label"], ["c", "x", "X"]]}).read_bytes()
    rnd = random.Random(20240301)
    path = tmp_path / "mangled.xlsx"
    for attempt in range(150):
        data = bytearray(whole)
        if attempt % 2:
            data = data[: rnd.randrange(len(data))]
        for _ in range(rnd.randint(1, 6)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        path.write_bytes(bytes(data))
        try:
            load_file(path)
        except InstrumentError as exc:
            assert str(path) in str(exc)


def test_no_survey_sheet(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "nosurvey.xlsx", {"Sheet1": [["type", "name", "label"]], "choices": [["x"]]})
    assert "no 'survey' sheet (its sheets: 'Sheet1', 'choices')" in str(_refused(path))


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(60):
                member.write(bytes(1024 * 1024))
    assert "more than 50 MB" in str(_refused(tmp_path / "bomb.xlsx"))
    with zipfile.ZipFile(tmp_path / "dense.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (5 * 1024 * 1024))
    assert "to 1" in str(_refused(tmp_path / "dense.xlsx"))


def _with_entity(source: Path, target: Path, secret_file: Path) -> None:
    """Copy a workbook, declaring an external entity in its first sheet and using it in a cell."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret_file}">]>'.encode()
                data = data.replace(b"PLACEHOLDER", b"&xxe;")
                declared = data.startswith(b"<?xml")
                data = data.replace(b"?>", b"?>" + doctype, 1) if declared else doctype + data
            new.writestr(item, data)


def test_xml_entities_are_never_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    source = tmp_path / "source.xlsx"
    write_xlsform(Instrument("x", "X", "survey", None, "", (Question("text", "a", "PLACEHOLDER"),)), source)
    evil = tmp_path / "evil.xlsx"
    _with_entity(source, evil, secret)
    error = _refused(evil)
    assert "DOCTYPE" in str(error) and "TOP-SECRET" not in str(error)
    # openpyxl itself, without our check, must not expand it either (defusedxml refuses the DTD)
    with evil.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True)
            values = [v for row in workbook["survey"].iter_rows(values_only=True) for v in row]
            workbook.close()
        except Exception as exc:  # defusedxml's EntitiesForbidden, wrapped by openpyxl (any refusal will do)
            assert "TOP-SECRET" not in str(exc)
        else:
            assert not any("TOP-SECRET" in str(v) for v in values)


def test_too_many_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook(write_only=True)
    survey = workbook.create_sheet("survey")
    survey.append(["type", "name", "label"])
    for number in range(20_001):
        survey.append(["text", f"q{number}", "Q"])
    workbook.save(tmp_path / "huge.xlsx")
    error = _refused(tmp_path / "huge.xlsx")
    assert "sheet 'survey', row 20002: the sheet has more than 20,000 rows" in str(error)


@pytest.mark.parametrize(
    ("rows", "choices", "expected"),
    [
        ([["text", "a", "A"], ["txet", "b", "B"]], [],
         "sheet 'survey', row 3, column 'type' (A), question 'b': unknown question type 'txet' "
         "(did you mean 'text'?)"),
        ([["select_one colours", "a", "A"]], [["list_name", "name", "label"], ["colors", "red", "Red"]],
         "sheet 'survey', row 2, column 'type' (A), question 'a': unknown choice list 'colours' "
         "(did you mean 'colors'?)"),
        ([["integer", "age", "Age"], ["text", "age", "Age again"]], [],
         "sheet 'survey', row 3, column 'name' (B), question 'age': duplicate name 'age' "
         "(first used on row 2)"),
        ([["select_one c", "a", "A"]], [["list_name", "name", "label"], ["c", "x", "X"], ["c", "x", "Y"]],
         "sheet 'choices', row 3, column 'name' (B), question 'x': choice 'x' appears twice in list 'c'"),
        ([["text", "a", "A", "A again"]], [],
         "sheet 'survey', row 1, column 'Label' (D): columns 'label' (C) and 'Label' (D) "
         "are the same column"),
    ],
    ids=["unknown type", "unknown list", "duplicate name", "duplicate choice", "duplicate header"],
)
def test_mistakes_are_reported_with_file_sheet_row_and_column(
    tmp_path: Path, rows: list[list[str]], choices: list[list[str]], expected: str
) -> None:
    header = ["type", "name", "label"] + (["Label"] if len(rows[0]) > 3 else [])
    sheets = {"survey": [header, *rows], **({"choices": choices} if choices else {})}
    path = _workbook(tmp_path / "mistake.xlsx", sheets)
    error = _refused(path)
    assert f"{path}: {expected}" in str(error).splitlines()
