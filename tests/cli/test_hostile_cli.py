"""Hostile files through the CLI: each gets a message naming the problem, and the data stays as it was.

Instrument files (``feedback forms load``): a workbook that is not a zip, a zip bomb, an XML
external entity, 100,000 rows. Contact lists (``feedback contacts import``): a CSV with a BOM,
Windows line endings and semicolons (Excel's European "CSV") is read correctly; duplicate
e-mails are refused with both row numbers. The files are built in ``tmp_path``, as in
``tests/domain/test_xlsform.py``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from feedback.db import Base, Contact
from feedback.db.session import Database
from feedback.domain.instrument import Instrument, Question
from feedback.domain.loader.xlsform_writer import write_xlsform


def row_counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def said(result: Result) -> str:
    """Everything the command printed (Click 8.2+ keeps stderr apart from stdout)."""
    return result.output + (result.stderr if result.stderr_bytes is not None else "")


# ------------------------------------------------------------------------------ instrument files


def not_a_zip(tmp_path: Path) -> Path:
    path = tmp_path / "survey.xlsx"
    path.write_text("type,name,label\ntext,q1,Question\n")
    return path


def zip_bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(60):  # 60 MB of zeros, a few kB on disk
                member.write(bytes(1024 * 1024))
    return path


def external_entity(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    source = tmp_path / "source.xlsx"
    write_xlsform(Instrument("xxe", "X", "survey", None, "", (Question("text", "a", "PLACEHOLDER"),)), source)
    path = tmp_path / "xxe.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
                data = data.replace(b"PLACEHOLDER", b"&xxe;")
                declared = data.startswith(b"<?xml")
                data = data.replace(b"?>", b"?>" + doctype, 1) if declared else doctype + data
            new.writestr(item, data)
    return path


def _cells(row: int, values: tuple[str, ...]) -> str:
    cells = "".join(
        f'<c r="{col}{row}" t="inlineStr"><is><t>{value}</t></is></c>'
        for col, value in zip("ABC", values, strict=True)
    )
    return f'<row r="{row}">{cells}</row>'


def hundred_thousand_rows(tmp_path: Path) -> Path:
    """A real workbook whose survey sheet is replaced by 100,001 rows of XML (seconds, where
    openpyxl's writer takes much longer)."""
    source = tmp_path / "small.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "survey"  # type: ignore[union-attr]
    workbook.save(source)
    rows = [_cells(1, ("type", "name", "label"))]
    rows += [_cells(n, ("text", f"q{n}", "Q")) for n in range(2, 100_002)]
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    )
    path = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item, sheet if item.filename == "xl/worksheets/sheet1.xml" else old.read(item))
    return path


INSTRUMENT_FILES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("not a zip", not_a_zip, "not an Excel .xlsx workbook"),
    ("zip bomb", zip_bomb, "more than 50 MB"),
    ("external entity", external_entity, "DOCTYPE"),
    ("100,000 rows", hundred_thousand_rows, "the sheet has more than 20,000 rows"),
]


@pytest.mark.parametrize(
    ("build", "message"), [r[1:] for r in INSTRUMENT_FILES], ids=[r[0] for r in INSTRUMENT_FILES]
)
def test_hostile_instrument_files_are_refused(
    runner: FlaskCliRunner, db: Database, tmp_path: Path, build: Callable[[Path], Path], message: str
) -> None:
    path = build(tmp_path)
    before = row_counts(db)
    result = runner.invoke(args=["forms", "load", str(path)])
    output = said(result)
    assert result.exit_code == 1, output
    assert message in output and str(path) in output
    assert "nothing was loaded" in output
    assert "TOP-SECRET" not in output and "Traceback" not in output
    assert row_counts(db) == before


# --------------------------------------------------------------------------------- contact lists


def test_contacts_csv_with_bom_crlf_and_semicolons_is_read_as_excel_meant_it(
    runner: FlaskCliRunner, db: Database, loaded_forms, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    lines = ["E-mail;Name;Organisation;Region", "ann@example.org;Ann Jones;Clinks;North East",
             "bob@example.org;Bob;=HYPERLINK(\"http://x\");Wales"]  # fmt: skip
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    result = runner.invoke(args=["contacts", "import", str(path), "--instrument", "crisp-web-survey"])
    assert result.exit_code == 0, said(result)
    assert "contacts: 2 new" in said(result)
    with db.read() as session:
        contacts = session.scalars(select(Contact).order_by(Contact.email)).all()
        found = [(c.email, c.name, c.organisation, {a.key: a.value for a in c.attributes}) for c in contacts]
    assert found == [
        ("ann@example.org", "Ann Jones", "Clinks", {"region": "North East"}),  # no BOM, no \r
        ("bob@example.org", "Bob", '=HYPERLINK("http://x")', {"region": "Wales"}),  # kept as text
    ]


def test_contacts_with_duplicate_emails_are_refused_naming_both_rows(
    runner: FlaskCliRunner, db: Database, loaded_forms, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    rows = ["email,name", "ann@example.org,Ann", "bob@example.org,Bob", "ANN@example.org,Ann again"]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("utf-8-sig"))
    before = row_counts(db)
    result = runner.invoke(args=["contacts", "import", str(path), "--instrument", "crisp-web-survey"])
    assert result.exit_code == 1
    assert "row 4: e-mail 'ann@example.org' is also on row 2" in said(result)
    assert row_counts(db) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04 not really a zip", "expected an 'email' or 'id' column"),
        (b"", "expected a header row"),
        (b"email\r\nnot-an-address\r\n", "row 2: 'not-an-address' is not an e-mail address"),
        (b"email,name\r\na@example.org," + b"x" * 600 + b"\r\n", "row 2: column 'name' is longer than 500"),
    ],
    ids=["binary", "empty", "bad e-mail", "long value"],
)
def test_bad_contact_lists_are_refused(
    runner: FlaskCliRunner, db: Database, loaded_forms, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(content)
    before = row_counts(db)
    result = runner.invoke(args=["contacts", "import", str(path), "--instrument", "crisp-web-survey"])
    assert result.exit_code == 1, said(result)
    assert message in said(result) and "Traceback" not in said(result)
    assert row_counts(db) == before
