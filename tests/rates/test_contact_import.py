"""Importing contact lists and drawing samples, through the service and the CLI."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import Result
from flask.testing import FlaskCliRunner
from openpyxl import Workbook
from rates_support import make_instrument
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedback.db import Case, Contact, ContactAttribute
from feedback.db.sampling import SampleDraw
from feedback.db.session import Database
from feedback.services.contacts import ContactImportError, import_contacts
from feedback.services.sampling import allocate

GOOD = (
    "email,name,organisation,region,org_type\na@x.org,Ann,Alpha,North,VCO\nb@x.org,Bob,Beta,South,Statutory\n"
)


def write_csv(tmp_path: Path, text: str, name: str = "contacts.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def invoke(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(args=list(args))


@pytest.fixture
def survey(db: Database) -> str:
    with db.write() as session:
        make_instrument(session, "crisp-web-survey")
    return "crisp-web-survey"


def table(db: Database) -> tuple[list[tuple[str | None, str, str]], dict[tuple[str, str], str], int]:
    with db.read() as session:
        contacts = session.execute(
            select(Contact.email, Contact.name, Contact.organisation).order_by(Contact.id)
        ).all()
        attrs = session.execute(
            select(Contact.email, ContactAttribute.key, ContactAttribute.value).join(
                ContactAttribute, ContactAttribute.contact_id == Contact.id
            )
        ).all()
        cases = session.scalar(select(func.count()).select_from(Case)) or 0
    return [tuple(c) for c in contacts], {(e, k): v for e, k, v in attrs}, cases


def test_good_file_imports_contacts_attributes_and_cases(
    runner: FlaskCliRunner, db: Database, survey: str, tmp_path: Path
) -> None:
    result = invoke(runner, "contacts", "import", str(write_csv(tmp_path, GOOD)), "--instrument", survey)
    assert result.exit_code == 0, result.output
    assert "2 new, 0 updated" in result.output
    contacts, attrs, cases = table(db)
    assert contacts == [("a@x.org", "Ann", "Alpha"), ("b@x.org", "Bob", "Beta")]
    assert attrs[("a@x.org", "region")] == "North" and attrs[("b@x.org", "org_type")] == "Statutory"
    assert cases == 2
    with db.read() as session:
        tokens = list(session.scalars(select(Case.token)))
    assert all(len(t) >= 43 for t in tokens)  # token_urlsafe(32): 256 random bits


def test_reimport_updates_rather_than_duplicates(
    runner: FlaskCliRunner, db: Database, survey: str, tmp_path: Path
) -> None:
    invoke(runner, "contacts", "import", str(write_csv(tmp_path, GOOD)), "--instrument", survey)
    again = "email,name,organisation,region\nA@x.org,Ann Smith,Alpha Trust,East\nc@x.org,Cy,Gamma,West\n"
    result = invoke(
        runner, "contacts", "import", str(write_csv(tmp_path, again, "v2.csv")), "--instrument", survey
    )
    assert result.exit_code == 0, result.output
    assert "1 new, 1 updated" in result.output
    contacts, attrs, cases = table(db)
    assert contacts == [
        ("a@x.org", "Ann Smith", "Alpha Trust"),
        ("b@x.org", "Bob", "Beta"),
        ("c@x.org", "Cy", "Gamma"),
    ]
    assert attrs[("a@x.org", "region")] == "East"
    assert attrs[("a@x.org", "org_type")] == "VCO"  # a column not in the new file is kept
    assert cases == 3


def test_bad_row_stops_the_import_and_names_the_row(
    runner: FlaskCliRunner, db: Database, survey: str, tmp_path: Path
) -> None:
    bad = "email,name\na@x.org,Ann\nnot-an-address,Bob\n,Nobody\n"
    result = invoke(runner, "contacts", "import", str(write_csv(tmp_path, bad)), "--instrument", survey)
    assert result.exit_code == 1
    assert "row 3: 'not-an-address' is not an e-mail address" in result.output
    assert "row 4: no e-mail" in result.output
    assert "nothing was imported" in result.output
    assert table(db) == ([], {}, 0)


def test_skip_invalid_imports_the_rest_and_reports_each_row(
    runner: FlaskCliRunner, db: Database, survey: str, tmp_path: Path
) -> None:
    bad = "email,name\na@x.org,Ann\nnot-an-address,Bob\nc@x.org,Cy\n"
    result = invoke(
        runner, "contacts", "import", str(write_csv(tmp_path, bad)), "--instrument", survey, "--skip-invalid"
    )
    assert result.exit_code == 0, result.output
    assert "skipped row 3: 'not-an-address' is not an e-mail address" in result.output
    assert "2 new, 0 updated, 1 skipped" in result.output
    assert [c[0] for c in table(db)[0]] == ["a@x.org", "c@x.org"]


def test_duplicate_emails_in_the_file_name_both_rows(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    path = write_csv(tmp_path, "email,name\na@x.org,Ann\nb@x.org,Bob\nA@X.org,Ann again\n")
    with pytest.raises(ContactImportError) as info:
        import_contacts(session, path, survey)
    assert "row 4: e-mail 'a@x.org' is also on row 2" in str(info.value)


def test_excel_csv_with_bom_crlf_and_semicolons(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    text = "\ufeffE-mail;Name;Region\r\na@x.org;Ann;North\r\nb@x.org;Bob, Jr;South\r\n"
    report = import_contacts(session, write_csv(tmp_path, text), survey)
    assert report.created == 2
    rows = session.execute(select(Contact.email, Contact.name).order_by(Contact.id)).all()
    assert [tuple(r) for r in rows] == [("a@x.org", "Ann"), ("b@x.org", "Bob, Jr")]
    regions = session.scalars(select(ContactAttribute.value).where(ContactAttribute.key == "region")).all()
    assert sorted(regions) == ["North", "South"]


def test_xlsx_with_ids_instead_of_emails(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "Name", "Region"])
    ws.append([1042, "Agency A", "North"])
    ws.append([1043, "Agency B", None])
    path = tmp_path / "agencies.xlsx"
    wb.save(path)
    report = import_contacts(session, path, survey)
    assert (report.created, report.cases_created) == (2, 2)
    ids = session.scalars(select(Contact.external_id).order_by(Contact.id)).all()
    assert ids == ["1042", "1043"]  # not "1042.0"
    assert import_contacts(session, path, survey).updated == 2


def test_a_file_without_email_or_id_is_refused(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    with pytest.raises(
        ContactImportError, match="row 1: expected an 'email' or 'id' column, found name, phone"
    ):
        import_contacts(session, write_csv(tmp_path, "name,phone\nAnn,1\n"), survey)


# --- sampling ---------------------------------------------------------------------------------


def population(tmp_path: Path, n: int = 100) -> Path:
    regions = ["North"] * 50 + ["South"] * 30 + ["East"] * 20
    lines = ["email,region"] + [f"p{i}@x.org,{regions[i % 100]}" for i in range(n)]
    return write_csv(tmp_path, "\n".join(lines) + "\n", "population.csv")


def sampled(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(Contact.email).join(Case, Case.contact_id == Contact.id)))


def test_sample_is_reproducible_by_seed(
    runner: FlaskCliRunner, db: Database, survey: str, tmp_path: Path
) -> None:
    path = population(tmp_path)
    result = invoke(
        runner, "contacts", "import", str(path), "--instrument", survey, "--sample", "10", "--seed", "42"
    )
    assert result.exit_code == 0, result.output
    assert "sample: 10 of 100 drawn, seed 42" in result.output
    first = sampled(db)
    assert len(first) == 10
    # The same list in another database with the same seed gives the same people.
    with db.write() as session:
        session.execute(Case.__table__.delete())
    invoke(runner, "contacts", "import", str(path), "--instrument", survey, "--sample", "10", "--seed", "42")
    assert sampled(db) == first
    with db.write() as session:
        session.execute(Case.__table__.delete())
    invoke(runner, "contacts", "import", str(path), "--instrument", survey, "--sample", "10", "--seed", "43")
    assert sampled(db) != first
    with db.read() as session:
        draws = session.execute(select(SampleDraw.seed, SampleDraw.n, SampleDraw.population)).all()
    assert [tuple(d) for d in draws] == [(42, 10, 100), (42, 10, 100), (43, 10, 100)]


def test_stratified_sample_is_proportional(
    runner: FlaskCliRunner, db: Database, survey: str, tmp_path: Path
) -> None:
    result = invoke(
        runner, "contacts", "import", str(population(tmp_path)), "--instrument", survey,
        "--sample", "11", "--seed", "7", "--strata", "region",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with db.read() as session:
        regions = session.scalars(
            select(ContactAttribute.value)
            .join(Case, Case.contact_id == ContactAttribute.contact_id)
            .where(ContactAttribute.key == "region")
        ).all()
        allocation = session.scalar(select(SampleDraw.allocation))
    # 11 x (50, 30, 20)% = 5.5, 3.3, 2.2: whole parts 5+3+2, the spare seat to the largest remainder.
    assert Counter(regions) == {"North": 6, "South": 3, "East": 2}
    assert allocation["North"] == {"population": 50, "drawn": 6}


def test_sample_larger_than_the_list_is_refused(
    runner: FlaskCliRunner, db: Database, survey: str, tmp_path: Path
) -> None:
    result = invoke(
        runner, "contacts", "import", str(population(tmp_path, 5)), "--instrument", survey, "--sample", "6"
    )
    assert result.exit_code == 1
    assert "cannot draw 6 contacts: the project has 5" in result.output
    assert table(db) == ([], {}, 0)


def test_largest_remainder_allocation() -> None:
    assert allocate({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}
    assert allocate({"a": 7, "b": 2, "c": 1}, 10) == {"a": 7, "b": 2, "c": 1}
    assert sum(allocate({"a": 13, "b": 17, "c": 71}, 37).values()) == 37


def test_an_email_already_used_by_another_contact_names_the_row(session: Session, tmp_path: Path) -> None:
    survey = make_instrument(session, "s")
    import_contacts(session, write_csv(tmp_path, "id,email\n1,a@x.org\n"), survey)
    with pytest.raises(
        ContactImportError, match=r"row 2: e-mail 'a@x.org' already belongs to another contact \(1\)"
    ):
        import_contacts(session, write_csv(tmp_path, "id,email\n2,a@x.org\n", "second.csv"), survey)
