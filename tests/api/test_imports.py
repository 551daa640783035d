"""/segments/{segmentId}/imports: upload, preview, apply, rejected rows, revert, history."""

from __future__ import annotations

import csv
import io
import re

import pytest

from segments_app.extensions import db
from segments_app.models.tenants import SCOPE_READ
from segments_app.services.imports import create_import
from tests.factories import tenant_named
from tests.imports_support import (
    DATA,
    IMPORTS,
    api_upload,
    csv_bytes,
    finished,
    members,
)

pytestmark = pytest.mark.usefixtures("directory")

HEX24 = re.compile(r"^[0-9a-f]{24}$")


def test_preview_apply_rejected_rows_and_revert_end_to_end(api):
    data = (DATA / "unknown_ids.csv").read_bytes()
    created = api_upload(api, data, "unknown_ids.csv")
    assert created.status_code == 202, created.get_json()
    doc = created.get_json()
    assert HEX24.match(doc["id"])
    assert (doc["status"], doc["mode"], doc["dryRun"], doc["segmentId"]) == (
        "queued",
        "add",
        True,
        "gold",
    )
    assert doc["file"] == {
        "name": "unknown_ids.csv",
        "size": len(data),
        "format": "csv",
        "encoding": "utf-8",
        "encodingDetected": "utf-8",
        "encodingCertain": False,
        "delimiter": ",",
    }
    location = created.headers["Location"]
    assert location.endswith(f"{IMPORTS}/{doc['id']}")

    preview = finished(api, location)
    assert preview["status"] == "previewed"
    assert preview["file"]["encodingCertain"] is True
    assert preview["counts"]["membersToAdd"] == 2
    assert preview["counts"]["unknownCustomers"] == 2
    assert preview["problems"][0] == {
        "row": 3,
        "column": "customerId",
        "reason": "Customer x-404 is not in the directory.",
    }
    assert preview["columns"] == {"used": {"customerId": "customerId"}, "ignored": []}
    assert preview["progress"]["rowsDone"] == 4
    assert members() == set()

    applying = api.post(f"{IMPORTS}/{doc['id']}/apply")
    assert applying.status_code == 202
    assert applying.get_json()["status"] == "queued"
    applied = finished(api, applying.headers["Location"])
    assert applied["status"] == "applied", applied.get("error")
    assert applied["dryRun"] is False and applied["appliedAt"].endswith("Z")
    assert members() == {("c1", None), ("c2", None)}

    rejected = api.get(f"{IMPORTS}/{doc['id']}/rejected.csv")
    assert rejected.status_code == 200
    assert rejected.mimetype == "text/csv"
    assert 'filename="unknown_ids-rejected.csv"' in rejected.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(rejected.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows == [
        ["customerId", "row", "reason"],
        ["x-404", "3", "Customer x-404 is not in the directory."],
        ["x-405", "5", "Customer x-405 is not in the directory."],
    ]

    reverted = api.post(f"{IMPORTS}/{doc['id']}/revert")
    assert reverted.status_code == 200
    assert reverted.get_json()["status"] == "reverted"
    assert reverted.get_json()["counts"]["revert"]["membersRemoved"] == 2
    assert members() == set()
    again = api.post(f"{IMPORTS}/{doc['id']}/revert")
    assert again.status_code == 409
    assert "reverted already" in again.get_json()["message"]


def test_a_text_csv_body_with_file_name_applied_at_once(api):
    response = api.post(
        f"{IMPORTS}?fileName=vip.csv&dryRun=false&mode=replace",
        data=csv_bytes("Customer ID", "c1", "c2"),
        content_type="text/csv",
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["file"]["name"] == "vip.csv"
    doc = finished(api, response.headers["Location"])
    assert (doc["status"], doc["mode"]) == ("applied", "replace")
    assert members() == {("c1", None), ("c2", None)}


@pytest.mark.parametrize("name", ["members.csv.gz", "members.zip", "utf16.csv"])
def test_compressed_and_utf16_uploads(api, name):
    response = api_upload(api, (DATA / name).read_bytes(), name, dryRun="false")
    assert response.status_code == 202
    doc = finished(api, response.headers["Location"])
    assert doc["status"] == "applied", doc.get("error")
    assert doc["counts"]["validRows"] >= 2


def test_multipart_form_fields_choose_mode_and_encoding(api):
    response = api.post(
        IMPORTS,
        data={
            "file": (io.BytesIO((DATA / "windows1252.csv").read_bytes()), "w.csv"),
            "mode": "replace",
            "encoding": "windows-1252",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    doc = response.get_json()
    assert (doc["mode"], doc["file"]["encodingChosen"], doc["file"]["encoding"]) == (
        "replace",
        "windows-1252",
        "windows-1252",
    )


def test_preview_again_with_another_encoding(api):
    doc = finished(
        api, api_upload(api, (DATA / "windows1252.csv").read_bytes()).headers["Location"]
    )
    assert (doc["file"]["encoding"], doc["file"]["encodingCertain"]) == ("windows-1252", False)
    again = api.post(f"{IMPORTS}/{doc['id']}/preview?encoding=iso-8859-1")
    assert again.status_code == 202
    redone = finished(api, again.headers["Location"])
    assert redone["status"] == "previewed"
    assert redone["file"]["encoding"] == "iso-8859-1"
    assert redone["counts"]["validRows"] == 2


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("junk.csv", 400, "This is not a text file"),
        ("empty.csv", 400, "The file is empty"),
        ("two_files.zip", 400, "The zip file holds 2 files"),
        ("missing_id_column.csv", 400, "no customer id or e-mail column"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_the_reason(api, name, status, message):
    response = api_upload(api, (DATA / name).read_bytes(), name)
    assert response.status_code == status
    body = response.get_json()
    assert body["code"] == status and body["status"] == "Bad Request"
    assert message in body["message"]
    assert api.get(IMPORTS).get_json() == []


def test_a_file_over_the_limit_is_refused_naming_the_limit(api, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 2048)
    response = api_upload(api, csv_bytes("customerId", *(["c1"] * 2000)))
    assert response.status_code == 413
    assert "limit of 2 KB" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("mode=merge", "mode must be one of add, remove, replace"),
        ("dryRun=maybe", "dryRun must be true or false"),
        ("encoding=klingon", "encoding 'klingon' is not supported"),
    ],
)
def test_bad_parameters_are_400(api, query, message):
    response = api.post(f"{IMPORTS}?{query}", data=csv_bytes("customerId", "c1"))
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def test_no_file_is_400(api):
    assert api.post(IMPORTS).status_code == 400
    response = api.post(IMPORTS, data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "multipart field 'file'" in response.get_json()["message"]


def test_a_second_import_of_the_segment_is_refused_while_one_runs(api, app):
    with app.app_context():
        running = _running_import()
    response = api_upload(api, csv_bytes("customerId", "c1"))
    assert response.status_code == 409
    body = response.get_json()
    assert f"Import {running} (busy.csv) is running for segment gold" in body["message"]
    assert body["resourceId"] == running
    assert api.get(f"{IMPORTS}/{running}/rejected.csv").status_code == 409
    assert upload_to(api, "silver").status_code == 202


def test_unknown_segment_or_import_is_404_and_another_tenant_403(api, make_api, other_tenant):
    assert api.get("/segments/nope/imports").status_code == 404
    assert api.get(f"{IMPORTS}/{'0' * 24}").status_code == 404
    assert api.post(f"{IMPORTS}/{'0' * 24}/apply").status_code == 404
    assert api.get(f"{IMPORTS}/{'0' * 24}/rejected.csv").status_code == 404
    foreign = make_api(tenant=other_tenant)
    foreign.tenant = "acme"
    assert foreign.get(IMPORTS).status_code == 403


def test_reading_imports_needs_the_manage_scope(make_api):
    reader = make_api(scopes=(SCOPE_READ,))
    response = reader.get(IMPORTS)
    assert response.status_code == 403
    assert "customersegment.segment_manage" in response.get_json()["message"]


def test_history_lists_imports_newest_first_with_paging(api):
    ids = []
    for n in range(3):
        response = api_upload(api, csv_bytes("customerId", f"c{n + 1}"), f"list-{n}.csv")
        ids.append(finished(api, response.headers["Location"])["id"])
    page = api.get(f"{IMPORTS}?pageSize=2", headers={"X-Total-Count": "true"})
    assert page.headers["X-Total-Count"] == "3"
    assert [doc["id"] for doc in page.get_json()] == [ids[2], ids[1]]
    assert [doc["file"]["name"] for doc in api.get(f"{IMPORTS}?pageNumber=2&pageSize=2").json] == [
        "list-0.csv"
    ]
    assert api.get("/segments/silver/imports").get_json() == []


def test_applying_an_applied_import_is_a_conflict(api):
    response = api_upload(api, csv_bytes("customerId", "c1"), dryRun="false")
    doc = finished(api, response.headers["Location"])
    refused = api.post(f"{IMPORTS}/{doc['id']}/apply")
    assert refused.status_code == 409
    assert "cannot be applied again" in refused.get_json()["message"]


def test_revert_is_refused_while_a_later_import_is_applied(api):
    first = finished(
        api, api_upload(api, csv_bytes("customerId", "c1"), dryRun="false").headers["Location"]
    )
    second = finished(
        api, api_upload(api, csv_bytes("customerId", "c2"), dryRun="false").headers["Location"]
    )
    refused = api.post(f"{IMPORTS}/{first['id']}/revert")
    assert refused.status_code == 409
    assert f"Import {second['id']}" in refused.get_json()["message"]
    assert api.post(f"{IMPORTS}/{second['id']}/revert").status_code == 200
    assert api.post(f"{IMPORTS}/{first['id']}/revert").status_code == 200
    assert members() == set()


def test_the_served_document_describes_the_import_operations(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    base = "/customer-segment/{tenant}/segments/{segmentId}/imports"
    assert set(paths[base]) >= {"get", "post"}
    for tail in (
        "/{importId}",
        "/{importId}/apply",
        "/{importId}/revert",
        "/{importId}/rejected.csv",
    ):
        assert base + tail in paths


def upload_to(api, segment_id: str):
    return api.post(
        f"/segments/{segment_id}/imports",
        data={"file": (io.BytesIO(csv_bytes("customerId", "c1")), "m.csv")},
        content_type="multipart/form-data",
    )


def _running_import() -> str:
    """An import of gold that a (pretend) runner is working on."""
    imp = create_import(
        tenant_named(),
        "gold",
        io.BytesIO(csv_bytes("customerId", "c1")),
        "busy.csv",
        enqueue=False,
    )
    imp.status = "running"
    db.session.commit()
    return imp.id
