"""The CSV downloads (a segment's members, an import's rejected rows): their file names in any
script, and cells that a spreadsheet would run as formulas written as text."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote, unquote

import pytest
import requests

from segments_app.extensions import db
from segments_app.models import CustomerAssignment
from segments_app.services.segments import create_segment
from tests.factories import TENANT, add_assignment, add_customer, add_legal_entity, tenant_named
from tests.imports_support import csv_bytes, members_of, uploaded, wait_for_jobs
from tests.logins import PASSWORD, log_in

HAN = "段"
EXPORT = f"/segments/{quote(HAN)}/members.csv"
#: an e-mail the directory keeps, which a spreadsheet would run as a command
EVIL_EMAIL = "=cmd|' /C calc'!A0"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _disposition_name(header: str) -> str:
    """The file name a browser saves as: RFC 6266's filename*, decoded."""
    match = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert match, header
    return unquote(match.group(1))


@pytest.fixture
def han(app, tenant):
    """Segment '段' with customers whose e-mail and names look like formulas."""
    with app.app_context():
        segment = create_segment(
            tenant_named(), {"id": HAN, "name": {"en": "Han"}, "siteCode": "main"}, ""
        )
        entity = add_legal_entity("acme", "-le1", "@Acme GmbH")
        customers = [
            add_customer("acme", "-42", EVIL_EMAIL, "+1", "-Doe", legal_entity_ids=("-le1",)),
            add_customer("acme", "=c2", "anna@example.com", "Anna", "\tBerg"),
        ]
        add_assignment(
            CustomerAssignment(
                segment_pk=segment.pk, customer_pk=customers[0].pk, legal_entity_pk=entity.pk
            )
        )
        add_assignment(CustomerAssignment(segment_pk=segment.pk, customer_pk=customers[1].pk))
        db.session.commit()


def _check_export(headers, text: str) -> None:
    disposition = headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="segment-_-members.csv"; ')
    assert _disposition_name(disposition) == f"segment-{HAN}-members.csv"
    rows = _rows(text)
    assert rows[0][:6] == [
        "customerId",
        "email",
        "firstName",
        "lastName",
        "legalEntityId",
        "legalEntityName",
    ]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["-42"][:6] == ["-42", "'" + EVIL_EMAIL, "'+1", "'-Doe", "-le1", "'@Acme GmbH"]
    assert by_id["=c2"][:4] == ["=c2", "anna@example.com", "Anna", "'\tBerg"]


def test_the_members_export_of_a_segment_named_outside_latin1(editor, han):
    response = editor.get(EXPORT)
    assert response.status_code == 200
    _check_export(response.headers, response.get_data(as_text=True))


def _logged_in(base: str, email: str) -> requests.Session:
    """A browser session against the real server, logged in as `email`."""
    session = requests.Session()
    response = log_in(session, TENANT, email, PASSWORD, base)
    assert response.status_code == 303, response.text
    return session


def test_the_members_export_named_outside_latin1_over_http(live_server, editor, han):
    """A real server encodes headers as Latin-1: a name outside it must not break the answer."""
    session = _logged_in(live_server, editor.email)
    response = session.get(live_server + EXPORT, timeout=10)
    assert response.status_code == 200
    _check_export(response.headers, response.content.decode())


#: a file with a customer id and legal entity id that look like formulas, an e-mail column and
#: a free-text column; every row is rejected
REJECTED = csv_bytes(
    "customerId,legalEntityId,email,note",
    "-404,-le9,=1+2@example.com,=cmd|calc!A1",
    "c1,le2,jane@example.com,@SUM(A1)",
)
UPLOAD_NAME = f"Kündigungen {HAN}.csv"


def _check_rejected(headers, text: str) -> None:
    disposition = headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Kundigungen__-rejected.csv"; ')
    assert _disposition_name(disposition) == f"Kündigungen {HAN}-rejected.csv"
    rows = _rows(text)
    assert rows[0] == ["customerId", "legalEntityId", "email", "note", "row", "reason"]
    assert rows[1][:5] == ["-404", "-le9", "'=1+2@example.com", "'=cmd|calc!A1", "2"]
    assert rows[2][:5] == ["c1", "le2", "jane@example.com", "'@SUM(A1)", "3"]


@pytest.mark.usefixtures("seeded_directory")
def test_the_rejected_rows_of_a_file_named_outside_latin1(editor):
    url = uploaded(editor, REJECTED, UPLOAD_NAME)
    response = editor.get(f"{url}/rejected.csv")
    assert response.status_code == 200
    _check_rejected(response.headers, response.get_data(as_text=True))


@pytest.mark.usefixtures("seeded_directory")
def test_the_rejected_rows_of_a_file_named_outside_latin1_over_http(live_server, editor):
    url = uploaded(editor, REJECTED, UPLOAD_NAME)
    session = _logged_in(live_server, editor.email)
    response = session.get(f"{live_server}{url}/rejected.csv", timeout=10)
    assert response.status_code == 200
    _check_rejected(response.headers, response.content.decode())


@pytest.mark.usefixtures("seeded_directory")
def test_a_neutralised_email_uploaded_again_finds_its_customer(app, editor):
    """The rejected rows are meant to be fixed and uploaded again: an e-mail the file quotes
    for spreadsheets is read back as it was."""
    with app.app_context():
        add_customer("acme", "c9", "=1+2@example.com")
        db.session.commit()
    url = uploaded(editor, csv_bytes("email,legalEntityId", "=1+2@example.com,le9"))
    rejected = _rows(editor.get(f"{url}/rejected.csv").get_data(as_text=True))
    assert rejected[1][:2] == ["'=1+2@example.com", "le9"]
    fixed = "\r\n".join(",".join(row[:2]) for row in [rejected[0], [rejected[1][0], ""]])
    url = uploaded(editor, fixed.encode(), mode="add")
    editor.post(f"{url}/apply")
    wait_for_jobs(app)
    assert members_of(app) == {("c9", None)}
