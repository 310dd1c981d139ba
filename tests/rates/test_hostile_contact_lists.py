"""Hostile and awkward contact lists (issue 16, item 8): each is refused quickly with a message that
names the user's file, or imported with what was done to it said, through the service, the CLI and
the fieldwork page (CSRF on, the token read from the page).

1. Limits: a 66 KB zip bomb that unpacks to 200,000 rows, a real 50,000-row list, a list that
   takes too long to read, and a list with thousands of bad rows (summarised, not listed).
2. Control characters: a NUL in a name is removed at import, so the mail merge still works.
3. CSV encodings: UTF-8, Windows-1252, and a file that mixes them row by row.
4. Unreadable uploads: the message names the uploaded file, never the server's temporary path.

Big files are built in memory once per module (the sheet XML by hand: openpyxl would take seconds
to write 50,000 rows).
"""

from __future__ import annotations

import html as htmllib
import io
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import Workbook, load_workbook
from rates_support import make_instrument
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.db import Contact
from feedback.db.session import Database
from feedback.services.contacts import ContactImportError, import_contacts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from staff_helpers import fast_hashing as fast_hashing  # noqa: E402, F401 -- a fixture the page fixture uses
from staff_helpers import login, make_user, page_token  # noqa: E402

# --- building workbooks by hand ---------------------------------------------------------------

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _row(*values: str) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>"


def xlsx_bytes(rows: Iterator[str], dimension: str = "") -> bytes:
    """A minimal .xlsx whose one sheet holds ``rows`` (``<row>`` elements), deflated hard; Excel
    states the sheet's size (``dimension``, e.g. "A1:C50001"), hostile files need not."""
    sheet = io.BytesIO()
    sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
    sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    if dimension:
        sheet.write(f'<dimension ref="{dimension}"/>'.encode())
    sheet.write(b"<sheetData>")
    for row in rows:
        sheet.write(row.encode())
    sheet.write(b"</sheetData></worksheet>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """66 KB or so that unpacks to 200,000 rows of the same contact (each row a duplicate)."""
    rows = (_row("a@x.org", "Ann") for _ in range(200_000))
    return xlsx_bytes(iter([_row("email", "name"), *rows]))


@pytest.fixture(scope="module")
def big_xlsx() -> bytes:
    """A real list of 50,000 different people (compresses like any real list, about 10 to 1)."""
    rows = (_row(f"person{i}@example.org", f"Person {i}", f"Org {i % 977}") for i in range(50_000))
    return xlsx_bytes(iter([_row("email", "name", "organisation"), *rows]), "A1:C50001")


@pytest.fixture(scope="module")
def big_csv() -> bytes:
    lines = ["email,name,organisation"] + [
        f"person{i}@example.org,Person {i},Org {i % 977}" for i in range(50_000)
    ]
    return ("\n".join(lines) + "\n").encode()


def put(tmp_path: Path, data: bytes, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def contacts(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Contact)) or 0


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=list(args))


# --- 1. limits --------------------------------------------------------------------------------


def test_the_zip_bomb_is_small(bomb: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        unpacked = sum(m.file_size for m in archive.infolist())
    assert len(bomb) < 100_000 and unpacked > 10_000_000  # about 66 KB -> 13 MB


def test_a_zip_bomb_is_refused_at_once(session: Session, tmp_path: Path, bomb: bytes) -> None:
    survey = make_instrument(session, "s")
    started = time.monotonic()
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, put(tmp_path, bomb, "bomb.xlsx"), survey)
    assert time.monotonic() - started < 3
    message = str(info.value)
    assert "compressed" in message and "zip bomb" in message
    assert len(message) < 1_000
    assert contacts(session) == 0


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_50000_row_list_is_refused_with_the_limit(
    session: Session, tmp_path: Path, big_xlsx: bytes, big_csv: bytes, kind: str
) -> None:
    survey = make_instrument(session, "s")
    path = put(tmp_path, big_xlsx if kind == "xlsx" else big_csv, f"everyone.{kind}")
    started = time.monotonic()
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, path, survey)
    assert time.monotonic() - started < 5
    assert "too many rows (limit 20,000)" in str(info.value)
    assert len(str(info.value)) < 1_000
    assert contacts(session) == 0


def test_a_sheet_of_blank_rows_is_refused_before_it_is_opened(session: Session, tmp_path: Path) -> None:
    """150,000 empty ``<row/>`` elements and no stated size: openpyxl would parse them all just to
    open the workbook, so they are counted in the raw XML first."""
    survey = make_instrument(session, "s")
    rows = (f'<row r="{i}"/>' for i in range(2, 150_002))
    data = xlsx_bytes(iter([_row("email", "name"), *rows]))
    started = time.monotonic()
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, put(tmp_path, data, "blank.xlsx"), survey)
    assert time.monotonic() - started < 2
    assert "too many rows (limit 20,000)" in str(info.value) and "150,001 rows" in str(info.value)


def test_a_list_of_exactly_the_limit_is_imported(session: Session, tmp_path: Path, big_csv: bytes) -> None:
    from feedback.services.contact_files import MAX_CONTACT_ROWS

    survey = make_instrument(session, "s")
    lines = big_csv.decode().splitlines()[: MAX_CONTACT_ROWS + 1]
    report = import_contacts(session, put(tmp_path, ("\n".join(lines) + "\n").encode(), "l.csv"), survey)
    assert report.created == MAX_CONTACT_ROWS == 20_000


def test_too_many_columns_or_values_are_refused(session: Session, tmp_path: Path) -> None:
    """Each filled cell becomes a stored value: 20,000 rows of 100 columns would be 2 million."""
    survey = make_instrument(session, "s")
    wide = ",".join(["email", *(f"c{i}" for i in range(100))]) + "\na@x.org\n"
    with pytest.raises(ContactImportError, match="row 1: 101 columns, more than the limit of 100"):
        import_contacts(session, put(tmp_path, wide.encode(), "wide.csv"), survey)
    header = ",".join(["email", *(f"c{i}" for i in range(40))])
    rows = "".join(f"p{n}@x.org," + ",".join("v" * 40) + "\n" for n in range(10_000))
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, put(tmp_path, f"{header}\n{rows}".encode(), "full.csv"), survey)
    assert "too many values (limit 400,000 filled cells): reached at row 9,758" in str(info.value)
    assert contacts(session) == 0


def test_reading_stops_after_the_time_limit(
    session: Session, tmp_path: Path, big_csv: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow file (simulated by a clock that advances a second a row) stops with a message."""
    from feedback.services import contact_files

    ticks = iter(range(10**9))
    monkeypatch.setattr(contact_files, "_clock", lambda: float(next(ticks)))
    survey = make_instrument(session, "s")
    lines = big_csv.decode().splitlines()[:101]
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, put(tmp_path, ("\n".join(lines) + "\n").encode(), "slow.csv"), survey)
    message = str(info.value)
    assert f"longer than {contact_files.MAX_SECONDS:.0f} seconds" in message and "row " in message
    assert contacts(session) == 0


def test_thousands_of_bad_rows_are_summarised(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    rows = "".join(f"not-an-address-{i},P{i}\n" for i in range(2_000))
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, put(tmp_path, f"email,name\n{rows}".encode(), "bad.csv"), survey)
    problems = info.value.problems
    assert problems[0] == "2,000 rows with problems; the first 20:"
    assert problems[1] == "row 2: 'not-an-address-0' is not an e-mail address"
    assert problems[20].startswith("row 21: ") and problems[-1] == "nothing was imported"
    assert len(problems) == 22 and len(str(info.value)) < 3_000


def test_a_zip_bomb_and_a_long_list_through_the_cli(
    runner: FlaskCliRunner, db: Database, tmp_path: Path, bomb: bytes, big_xlsx: bytes
) -> None:
    with db.write() as session:
        make_instrument(session, "s")
    result = invoke(runner, "contacts", "import", str(put(tmp_path, bomb, "b.xlsx")), "--instrument", "s")
    assert result.exit_code == 1 and "zip bomb" in result.output and len(result.output) < 1_000
    result = invoke(runner, "contacts", "import", str(put(tmp_path, big_xlsx, "l.xlsx")), "--instrument", "s")
    assert result.exit_code == 1 and "too many rows (limit 20,000)" in result.output
    rows = "".join(f"bad-{i},P{i}\n" for i in range(2_000))
    result = invoke(
        runner, "contacts", "import", str(put(tmp_path, f"email,name\n{rows}".encode(), "x.csv")),
        "--instrument", "s",
    )  # fmt: skip
    assert result.exit_code == 1 and "2,000 rows with problems; the first 20:" in result.output
    assert "row 22:" not in result.output and len(result.output.splitlines()) < 25


# --- the fieldwork page -------------------------------------------------------------------------


@pytest.fixture
def page(db: Database, client: FlaskClient, fast_hashing: None) -> FlaskClient:  # noqa: F811
    """Project "pilot" with one survey and an evaluator who may identify contacts, signed in."""
    with db.write() as session:
        make_instrument(session, "pilot-survey", project="pilot")
    make_user(db, "eve@example.org", roles={"pilot": "evaluator"}, identify=True)
    login(client, "eve@example.org")
    return client


def upload(client: FlaskClient, data: bytes, filename: str, **fields: str):  # type: ignore[no-untyped-def]
    token = page_token(client, "/staff/projects/pilot/fieldwork")
    form = {"csrf_token": token, "import_instrument": "pilot-survey",
            "contacts_file": (io.BytesIO(data), filename), **fields}  # fmt: skip
    return client.post(
        "/staff/projects/pilot/fieldwork/import", data=form, content_type="multipart/form-data"
    )


def text(response) -> str:  # type: ignore[no-untyped-def]
    return htmllib.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def after(client: FlaskClient, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, text(response)[-2000:]
    return text(client.get(response.headers["Location"]))


def stored_names(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Contact.name).order_by(Contact.id)))


def test_the_page_refuses_a_zip_bomb_and_a_long_list_with_a_short_message(
    page: FlaskClient, db: Database, bomb: bytes, big_xlsx: bytes
) -> None:
    started = time.monotonic()
    response = upload(page, bomb, "list.xlsx")
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "list.xlsx could not be imported" in text(response) and "zip bomb" in text(response)
    response = upload(page, big_xlsx, "everyone.xlsx")
    assert response.status_code == 400 and "too many rows (limit 20,000)" in text(response)
    assert len(response.get_data()) < 100_000
    rows = "".join(f"bad-{i},P{i}\n" for i in range(2_000))
    response = upload(page, f"email,name\n{rows}".encode(), "bad.csv")
    page_text = text(response)
    assert response.status_code == 400 and "2,000 rows with problems; the first 20:" in page_text
    assert "row 21: 'bad-19'" in page_text and "row 22:" not in page_text
    assert stored_names(db) == []


# --- 2. control characters ----------------------------------------------------------------------

CONTROL = (
    b"email,name,organisation\na@x.org,Ann\x00Smith,Alpha\nb@x.org,Bob\x07\x1b,Be\x0bta\nc@x.org,Cy,Gamma\n"
)


def test_control_characters_are_removed_and_counted(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    report = import_contacts(session, put(tmp_path, CONTROL, "c.csv"), survey)
    names = session.execute(select(Contact.name, Contact.organisation).order_by(Contact.id)).all()
    assert [tuple(n) for n in names] == [("AnnSmith", "Alpha"), ("Bob", "Beta"), ("Cy", "Gamma")]
    assert report.cleaned == 3
    assert any("3 values held control characters" in w and "rows 2 and 3" in w for w in report.warnings)


def test_the_mail_merge_works_after_importing_a_nul_through_the_cli(
    runner: FlaskCliRunner, db: Database, tmp_path: Path
) -> None:
    with db.write() as session:
        make_instrument(session, "s")
    result = invoke(runner, "contacts", "import", str(put(tmp_path, CONTROL, "c.csv")), "--instrument", "s")
    assert result.exit_code == 0, result.output
    out = tmp_path / "merge.xlsx"
    result = invoke(runner, "invitations", "mailmerge", "--instrument", "s", "-o", str(out))
    assert result.exit_code == 0, result.output
    names = [row[2] for row in load_workbook(out).worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert names == ["AnnSmith", "Bob", "Cy"]


def test_the_mail_merge_works_after_uploading_a_nul(page: FlaskClient, db: Database) -> None:
    assert "3 values held control characters" in after(page, upload(page, CONTROL, "list.csv"))
    response = page.get("/staff/projects/pilot/fieldwork/mailmerge?instrument=pilot-survey")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["AnnSmith", "Bob", "Cy"]


# --- 3. CSV encodings -----------------------------------------------------------------------------


def test_a_utf8_file_is_read_as_utf8_without_a_warning(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    path = put(tmp_path, "email,name\na@x.org,Zoë\nb@x.org,Łukasz\n".encode(), "u.csv")
    report = import_contacts(session, path, survey)
    assert list(session.scalars(select(Contact.name).order_by(Contact.id))) == ["Zoë", "Łukasz"]
    assert report.warnings == []


def test_a_windows_1252_file_is_read_with_a_warning_naming_its_rows(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    text_ = "email,name\na@x.org,Ann\nb@x.org,Zoë\nc@x.org,Cy\nd@x.org,Di\ne@x.org,Ed\nf@x.org,Renée\n"
    report = import_contacts(session, put(tmp_path, text_.encode("cp1252"), "w.csv"), survey)
    names = list(session.scalars(select(Contact.name).order_by(Contact.id)))
    assert names == ["Ann", "Zoë", "Cy", "Di", "Ed", "Renée"]
    assert len(report.warnings) == 1
    assert "rows 3 and 7 are not UTF-8: read as Windows-1252; check names such as 'Zoë'" in report.warnings[0]


def test_a_file_mixing_utf8_and_windows_1252_decodes_each_row(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    data = (
        "email,name\na@x.org,Zoë\n".encode()  # row 2: UTF-8
        + "b@x.org,Zoë\n".encode("cp1252")  # row 3: Windows-1252
        + 'c@x.org,"Cy\nCé"\n'.encode("cp1252")  # row 4: a quoted name over two lines, Windows-1252
        + "d@x.org,Łukasz\n".encode()  # row 5: UTF-8
    )
    report = import_contacts(session, put(tmp_path, data, "mixed.csv"), survey)
    names = list(session.scalars(select(Contact.name).order_by(Contact.id)))
    assert names == ["Zoë", "Zoë", "Cy\nCé", "Łukasz"]
    assert "ZoÃ«" not in names
    [warning] = report.warnings
    assert "rows 3 and 4 are not UTF-8: read as Windows-1252" in warning
    assert "rows 2 and 5 are UTF-8" in warning and "'Zoë'" in warning


def test_the_page_shows_the_encoding_warning_and_stores_zoe(page: FlaskClient, db: Database) -> None:
    data = "email,name\na@x.org,Zoë\n".encode() + "b@x.org,Zoë\n".encode("cp1252")
    shown = after(page, upload(page, data, "mixed.csv"))
    assert "row 3 is not UTF-8: read as Windows-1252" in shown
    assert stored_names(db) == ["Zoë", "Zoë"]


# --- 4. unreadable uploads ------------------------------------------------------------------------


def _damaged(kind: str) -> bytes:
    workbook = Workbook()
    workbook.worksheets[0].append(["email"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    if kind == "not a zip":
        return b"email\na@x.org\n"
    if kind == "truncated":
        return buffer.getvalue()[:700]
    if kind == "bad size":  # openpyxl's message for it names the file it was opening: the server's path
        return xlsx_bytes(iter([_row("email"), _row("a@x.org")]), "nonsense")
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                if kind == "no sheet":
                    continue
                if kind == "broken sheet":
                    data = b"<worksheet><sheetData><row>"
                if kind == "doctype":  # entity expansion ("billion laughs") starts with one of these
                    data = b'<!DOCTYPE x [<!ENTITY a "b">]>' + data.split(b"?>", 1)[-1]
            target.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "kind", ["not a zip", "truncated", "no sheet", "broken sheet", "doctype", "bad size"]
)
def test_an_unreadable_upload_names_the_users_file_only(page: FlaskClient, db: Database, kind: str) -> None:
    response = upload(page, _damaged(kind), "My list.xlsx")
    shown = text(response)
    assert response.status_code == 400
    assert "My list.xlsx could not be imported" in shown
    assert tempfile.gettempdir() not in shown and "contacts.xlsx" not in shown
    assert stored_names(db) == []


def test_the_service_names_the_file_it_is_told(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    path = put(tmp_path, _damaged("bad size"), "contacts.xlsx")
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, path, survey, name="My list.xlsx")
    assert info.value.source == "My list.xlsx"
    assert str(tmp_path) not in str(info.value) and str(info.value).startswith("My list.xlsx: ")
    assert "could not read worksheets from My list.xlsx" in str(info.value)
