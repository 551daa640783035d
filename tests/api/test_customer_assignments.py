"""Customer assignments one at a time and in bulk: PUT, GET and DELETE on
/segments/{segmentId}/customers/{customerId}[/{legalEntityId}] (B2C and B2B), the bulk
endpoints answering 207 per element, the literal paths that win over customer ids, and deleting
a segment that still has assignments."""

from __future__ import annotations

import re

import pytest

from tests.api.directory_support import MIXINS, customers_of
from tests.apis import statuses
from tests.factories import add_product, directory

SCHEMA = {"segmentAttributes": "https://example.com/segmentAttributes.json"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


# --- single upsert, read, delete ---------------------------------------------------------------


def test_put_b2c_creates_then_replaces_and_reads_back_in_contract_shape(api, people, segment):
    body = {"mixins": MIXINS, "metadata": {"mixins": SCHEMA}}
    response = api.put("/segments/gold/customers/ann", json=body)
    assert response.status_code == 201
    assert response.get_data() == b""
    assert response.headers["Location"].endswith("/segments/gold/customers/ann")

    doc = api.get("/segments/gold/customers/ann").get_json()
    assert doc["segmentId"] == "gold"
    assert doc["customer"] == {
        "id": "ann",
        "firstName": "Ann",
        "lastName": "Archer",
        "email": "ann@example.com",
    }
    assert "legalEntity" not in doc
    assert doc["assignmentType"] == "MANUAL"
    assert doc["mixins"] == MIXINS
    meta = doc["metadata"]
    assert meta["version"] == 1 and meta["mixins"] == SCHEMA
    assert TIMESTAMP.fullmatch(meta["createdAt"]) and meta["createdAt"] == meta["modifiedAt"]

    assert api.put("/segments/gold/customers/ann", json=body).status_code == 204
    assert api.get("/segments/gold/customers/ann").get_json()["metadata"]["version"] == 1

    response = api.put("/segments/gold/customers/ann", json={"metadata": {"version": 1}})
    assert response.status_code == 204
    doc = api.get("/segments/gold/customers/ann").get_json()
    assert doc["metadata"]["version"] == 2
    assert "mixins" not in doc and "mixins" not in doc["metadata"]


def test_put_without_a_body_assigns(api, people, segment):
    assert api.put("/segments/gold/customers/ann").status_code == 201
    assert customers_of(api, "gold") == [("ann", None)]


def test_b2b_assignment_embeds_the_legal_entity_and_differs_from_b2c(api, people, segment):
    assert api.put("/segments/gold/customers/bob", json={}).status_code == 201
    response = api.put("/segments/gold/customers/bob/acme-le", json={"mixins": MIXINS})
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/segments/gold/customers/bob/acme-le")

    doc = api.get("/segments/gold/customers/bob/acme-le").get_json()
    assert doc["legalEntity"] == {"id": "acme-le", "name": "Acme Ltd"}
    assert doc["customer"]["id"] == "bob" and doc["mixins"] == MIXINS
    assert "mixins" not in api.get("/segments/gold/customers/bob").get_json()
    assert customers_of(api, "gold") == [("bob", None), ("bob", "acme-le")]

    assert api.delete("/segments/gold/customers/bob").status_code == 204
    assert customers_of(api, "gold") == [("bob", "acme-le")]
    assert api.get("/segments/gold/customers/bob").status_code == 404
    assert api.get("/segments/gold/customers/bob/beta-le").status_code == 404


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/segments/gold/customers/nobody", "nobody"),
        ("/segments/gold/customers/ann/acme-le", "acme-le"),
        ("/segments/gold/customers/bob/no-such-le", "no-such-le"),
        ("/segments/gold/customers/nobody/acme-le", "nobody"),
    ],
    ids=["unknown-customer", "not-a-member", "unknown-legal-entity", "unknown-b2b-customer"],
)
def test_unknown_reference_data_is_400_naming_the_id(api, people, segment, path, named):
    response = api.put(path, json={})
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and named in body["message"]
    assert customers_of(api, "gold") == []


def test_unknown_segment_is_404(api, people):
    for method in ("GET", "PUT", "DELETE"):
        response = api.request(method, "/segments/nope/customers/ann")
        assert response.status_code == 404, method
        assert response.get_json()["resourceId"] == "nope"
    assert api.get("/segments/nope/customers").status_code == 404
    assert api.post("/segments/nope/customers/search", json={}).status_code == 404
    assert api.put("/segments/nope/customers/bulk", json=[]).status_code == 404


def test_version_mismatch_is_409_and_changes_nothing(api, people, segment):
    api.put("/segments/gold/customers/ann", json={"mixins": MIXINS})
    response = api.put(
        "/segments/gold/customers/ann", json={"mixins": {}, "metadata": {"version": 7}}
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == 409
    doc = api.get("/segments/gold/customers/ann").get_json()
    assert doc["mixins"] == MIXINS and doc["metadata"]["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mixins": "premium"}, "mixins"),
        ({"metadata": {"version": "one"}}, "metadata.version"),
        ({"metadata": {"mixins": {"a": 1}}}, "metadata.mixins.a"),
        ([], ""),
    ],
    ids=["mixins", "version", "schema-url", "array"],
)
def test_invalid_body_is_400_with_details(api, people, segment, body, field):
    response = api.put("/segments/gold/customers/ann", json=body)
    assert response.status_code == 400
    assert field in {d["field"] for d in response.get_json()["details"]}
    assert customers_of(api, "gold") == []


def test_malformed_json_is_400(api, people, segment):
    response = api.put(
        "/segments/gold/customers/ann", data="{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["message"]


def test_get_and_delete_of_absent_assignments_are_404(api, people, segment):
    assert api.get("/segments/gold/customers/ann").status_code == 404
    response = api.delete("/segments/gold/customers/ann")
    assert response.status_code == 404
    assert response.get_json()["resourceId"] == "ann"
    assert api.delete("/segments/gold/customers/cid/acme-le").status_code == 404
    api.put("/segments/gold/customers/cid/acme-le")
    assert api.delete("/segments/gold/customers/cid").status_code == 404
    assert api.delete("/segments/gold/customers/cid/acme-le").status_code == 204
    assert api.get("/segments/gold/customers/cid/acme-le").status_code == 404


def test_fields_projects_a_single_assignment(api, people, segment):
    api.put("/segments/gold/customers/cid/acme-le", json={"mixins": MIXINS})
    doc = api.get("/segments/gold/customers/cid/acme-le?fields=customer.email,mixins").get_json()
    assert doc == {
        "segmentId": "gold",
        "customer": {"id": "cid", "email": "cid@example.com"},
        "legalEntity": {"id": "acme-le"},
        "mixins": MIXINS,
    }
    assert api.get("/segments/gold/customers/cid/acme-le?fields=nope").status_code == 400


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_upsert_reports_each_element_in_request_order(api, people, segment):
    response = api.put(
        "/segments/gold/customers/bulk",
        json=[
            {"customerId": "ann", "mixins": MIXINS},
            {"customerId": "bob", "legalEntityId": "acme-le"},
            {"customerId": "nobody"},
            {"customerId": "ann", "metadata": {"version": 1}},
            "ann",
            {"legalEntityId": "acme-le"},
            {"customerId": "cid", "mixins": "x"},
            {"customerId": "ann", "metadata": {"version": 1}},
            {"customerId": "ann", "legalEntityId": "beta-le"},
        ],
    )
    assert statuses(response) == [201, 201, 400, 204, 400, 400, 400, 409, 400]
    body = response.get_json()
    assert body[0] == {"index": 0, "code": 201, "status": "Created"}
    assert body[3] == {"index": 3, "code": 204, "status": "OK"}
    assert "nobody" in body[2]["message"] and body[2]["status"] == "Bad Request"
    assert "customerId" in body[5]["message"]
    assert "mixins" in body[6]["message"]
    assert "beta-le" in body[8]["message"]
    assert customers_of(api, "gold") == [("ann", None), ("bob", "acme-le")]
    doc = api.get("/segments/gold/customers/ann").get_json()
    assert doc["metadata"]["version"] == 2 and "mixins" not in doc


def test_bulk_delete_removes_each_element_on_its_own(api, people, segment):
    api.put("/segments/gold/customers/ann")
    api.put("/segments/gold/customers/bob/acme-le")
    api.put("/segments/gold/customers/cid")
    response = api.delete(
        "/segments/gold/customers/bulk",
        json=[
            {"customerId": "ann"},
            {"customerId": "bob", "legalEntityId": "acme-le"},
            {"customerId": "ann"},
            {"customerId": "nobody"},
            {"customerId": "bob"},
            "cid",
            {"customerId": "cid", "legalEntityId": 3},
        ],
    )
    assert statuses(response) == [204, 204, 404, 404, 404, 400, 400]
    assert response.get_json()[1] == {"index": 1, "code": 204, "status": "OK"}
    assert customers_of(api, "gold") == [("cid", None)]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_bulk_requests_over_the_limit_or_not_arrays_are_400(api, people, segment, method):
    response = api.request(
        method, "/segments/gold/customers/bulk", json=[{"customerId": "a"}] * 201
    )
    assert response.status_code == 400
    assert "200" in response.get_json()["message"]
    response = api.request(method, "/segments/gold/customers/bulk", json={"customerId": "ann"})
    assert response.status_code == 400


# --- literal paths -----------------------------------------------------------------------------


def test_literal_paths_win_over_customer_ids(api, people, segment):
    response = api.put("/segments/gold/customers/bulk", json=[{"customerId": "ann"}])
    assert statuses(response) == [201]
    response = api.post("/segments/gold/customers/search", json={})
    assert [d["customer"]["id"] for d in response.get_json()] == ["ann"]
    # no GET on .../bulk: the path is the B2C assignment of a customer named "bulk"
    response = api.get("/segments/gold/customers/bulk")
    assert response.status_code == 404 and response.get_json()["resourceId"] == "bulk"


# --- deleting a segment with assignments -------------------------------------------------------


def test_segments_with_assignments_are_deleted_only_when_forced(app, api, people, make_segment):
    with directory(app):
        add_product("acme", "p1")
    for segment_id in ("gold", "silver"):
        make_segment(id=segment_id)
        assert api.put(f"/segments/{segment_id}/customers/ann").status_code == 201
        assert api.put(f"/segments/{segment_id}/items/PRODUCT/p1").status_code == 201

    response = api.delete("/segments/gold")
    assert response.status_code == 400
    assert "forceDelete" in response.get_json()["message"]
    response = api.delete("/segments/bulk", json=["silver"])
    assert statuses(response) == [400]
    assert customers_of(api, "gold") == [("ann", None)]
    assert customers_of(api, "silver") == [("ann", None)]

    assert api.delete("/segments/gold?forceDelete=true").status_code == 204
    assert statuses(api.delete("/segments/bulk?forceDelete=true", json=["silver"])) == [204]
    for segment_id in ("gold", "silver"):
        assert api.get(f"/segments/{segment_id}/customers").status_code == 404
    assert api.get("/segments/items").get_json() == []
    # the same ids start again empty
    make_segment(id="gold")
    assert customers_of(api, "gold") == []
