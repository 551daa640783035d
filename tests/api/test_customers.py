"""Customer assignments: /segments/{segmentId}/customers..., B2C and B2B."""

from __future__ import annotations

import re

import pytest

from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from tests.apis import customer_api, statuses
from tests.factories import add_customer, add_legal_entity, add_product, directory

MIXINS = {"segmentAttributes": {"membershipStatus": "PREMIUM"}}
SCHEMA = {"segmentAttributes": "https://example.com/segmentAttributes.json"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def people(app, tenant):
    """ann: B2C only; bob: of acme-le and beta-le (can sign in); cid: of acme-le."""
    with directory(app):
        add_legal_entity(tenant, "acme-le", "Acme Ltd")
        add_legal_entity(tenant, "beta-le", "Beta GmbH")
        add_customer(tenant, "ann", "ann@example.com", "Ann", "Archer")
        add_customer(
            tenant,
            "bob",
            "bob@example.org",
            "Bob",
            "Baker",
            legal_entity_ids=("acme-le", "beta-le"),
            password="bob-secret",
        )
        add_customer(tenant, "cid", "cid@example.com", "Cid", "Cole", ("acme-le",))


@pytest.fixture
def segment(make_segment):
    return make_segment(id="gold")


def customers_of(api, segment_id, **kw) -> list[tuple[str, str | None]]:
    response = api.get(f"/segments/{segment_id}/customers", **kw)
    assert response.status_code == 200, response.get_json()
    return [(d["customer"]["id"], d.get("legalEntity", {}).get("id")) for d in response.get_json()]


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


# --- lists: q, sort, paging, fields, X-Total-Count ---------------------------------------------


EVERYONE = [("ann", None), ("bob", "acme-le"), ("cid", "acme-le"), ("cid", None)]


@pytest.fixture
def members(api, people, segment):
    api.put("/segments/gold/customers/ann", json={"mixins": MIXINS})
    api.put("/segments/gold/customers/bob/acme-le")
    api.put("/segments/gold/customers/cid/acme-le")
    api.put("/segments/gold/customers/cid")
    return "gold"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("assignmentType:MANUAL", EVERYONE),
        ("assignmentType:AUTOMATIC", []),
        ("customer.email:~example.com", [("ann", None), ("cid", "acme-le"), ("cid", None)]),
        ("legalEntity.id:acme-le", [("bob", "acme-le"), ("cid", "acme-le")]),
        ('legalEntity.name:"Acme Ltd" customer.firstName:Bob', [("bob", "acme-le")]),
        ("legalEntity.id:null", [("ann", None), ("cid", None)]),
        ("customer.id:(ann,bob)", [("ann", None), ("bob", "acme-le")]),
        ("customer.lastName:~^C", [("cid", "acme-le"), ("cid", None)]),
        ("mixins.segmentAttributes.membershipStatus:PREMIUM", [("ann", None)]),
        ("segmentId:gold metadata.version:1", EVERYONE),
        ('metadata.createdAt:>"2000-01-01T00:00:00.000Z"', EVERYONE),
    ],
)
def test_q_filters_the_list_and_the_search(api, members, q, expected):
    assert customers_of(api, "gold", query_string={"q": q}) == expected
    response = api.post("/segments/gold/customers/search", json={"q": q})
    assert response.status_code == 200
    found = [(d["customer"]["id"], d.get("legalEntity", {}).get("id")) for d in response.get_json()]
    assert found == expected


def test_bad_q_is_400_saying_where(api, members):
    response = api.get("/segments/gold/customers", query_string={"q": "customer.age:3"})
    assert response.status_code == 400
    assert "customer.age" in response.get_json()["message"]
    response = api.post("/segments/gold/customers/search", json={"q": "assignmentType:(MANUAL"})
    assert response.status_code == 400
    assert "position" in response.get_json()["message"]
    assert api.post("/segments/gold/customers/search", json=["q"]).status_code == 400


def test_sort_paging_fields_and_total(api, members):
    got = customers_of(api, "gold", query_string={"sort": "customer.email:desc,legalEntity.id"})
    assert got == [("cid", "acme-le"), ("cid", None), ("bob", "acme-le"), ("ann", None)]

    response = api.get(
        "/segments/gold/customers",
        query_string={"sort": "customer.id,legalEntity.id", "pageSize": 2, "pageNumber": 2},
        headers={"X-Total-Count": "true"},
    )
    assert response.headers["X-Total-Count"] == "4"
    assert [d["customer"]["id"] for d in response.get_json()] == ["cid", "cid"]
    assert "X-Total-Count" not in api.get("/segments/gold/customers").headers

    response = api.post(
        "/segments/gold/customers/search?fields=assignmentType&pageSize=1",
        json={"q": "customer.id:bob"},
        headers={"X-Total-Count": "true"},
    )
    assert response.headers["X-Total-Count"] == "1"
    assert response.get_json() == [
        {
            "segmentId": "gold",
            "customer": {"id": "bob"},
            "legalEntity": {"id": "acme-le"},
            "assignmentType": "MANUAL",
        }
    ]


@pytest.mark.parametrize(
    "query",
    [{"sort": "customer.age"}, {"sort": "customer.id:up"}, {"fields": "age"}, {"pageSize": 0}],
)
def test_bad_list_parameters_are_400(api, members, query):
    assert api.get("/segments/gold/customers", query_string=query).status_code == 400


# --- literal paths -----------------------------------------------------------------------------


def test_literal_paths_win_over_customer_ids(api, people, segment):
    response = api.put("/segments/gold/customers/bulk", json=[{"customerId": "ann"}])
    assert statuses(response) == [201]
    response = api.post("/segments/gold/customers/search", json={})
    assert [d["customer"]["id"] for d in response.get_json()] == ["ann"]
    # no GET on .../bulk: the path is the B2C assignment of a customer named "bulk"
    response = api.get("/segments/gold/customers/bulk")
    assert response.status_code == 404 and response.get_json()["resourceId"] == "bulk"


# --- access ------------------------------------------------------------------------------------


def test_without_a_token_is_401(client, tenant, people, segment):
    response = client.get("/customer-segment/acme/segments/gold/customers")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == 401


def test_scopes_decide_reads_and_writes(make_api, people, segment):
    reader = make_api(scopes=(SCOPE_READ,))
    writer = make_api(scopes=(SCOPE_MANAGE,))
    assert reader.put("/segments/gold/customers/ann").status_code == 403
    assert reader.put("/segments/gold/customers/bulk", json=[]).status_code == 403
    assert reader.delete("/segments/gold/customers/ann").status_code == 403
    assert writer.put("/segments/gold/customers/ann").status_code == 201
    response = writer.get("/segments/gold/customers")
    assert response.status_code == 403 and "Missing scope" in response.get_json()["message"]
    assert writer.get("/segments/gold/customers/ann").status_code == 403
    assert reader.get("/segments/gold/customers/ann").status_code == 200


def test_another_tenants_token_is_403(make_api, other_tenant, people, segment):
    stranger = make_api(tenant=other_tenant)
    stranger.tenant = "acme"
    assert stranger.get("/segments/gold/customers").status_code == 403


@pytest.fixture
def bob(client, make_client, people):
    return customer_api(client, make_client, "bob@example.org", "bob-secret")


def test_customer_token_sees_only_its_own_assignments_of_its_effective_segments(
    api, bob, make_segment, people
):
    make_segment(id="gold")
    make_segment(id="dormant", status="INACTIVE")
    make_segment(id="past", validity={"to": "2020-01-01T00:00:00.000Z"})
    make_segment(id="other")
    for segment_id in ("gold", "dormant", "past"):
        api.put(f"/segments/{segment_id}/customers/bob")
    api.put("/segments/gold/customers/bob/acme-le")
    api.put("/segments/gold/customers/ann")
    api.put("/segments/other/customers/ann")

    assert customers_of(bob, "gold") == [("bob", None), ("bob", "acme-le")]
    got = customers_of(bob, "gold", query_string={"q": "legalEntity.id:acme-le"})
    assert got == [("bob", "acme-le")]
    for segment_id in ("dormant", "past", "other", "nope"):
        response = bob.get(f"/segments/{segment_id}/customers")
        assert response.status_code == 404, segment_id
        assert response.get_json()["resourceId"] == segment_id


def test_customer_token_legal_entity_picks_which_b2b_assignments_count(api, bob, make_segment):
    make_segment(id="acme-deals")
    api.put("/segments/acme-deals/customers/bob/acme-le")
    assert customers_of(bob, "acme-deals") == [("bob", "acme-le")]
    query = {"legalEntityId": "acme-le"}
    assert customers_of(bob, "acme-deals", query_string=query) == [("bob", "acme-le")]
    response = bob.get("/segments/acme-deals/customers", query_string={"legalEntityId": "beta-le"})
    assert response.status_code == 404
    response = bob.get("/segments/acme-deals/customers", query_string={"legalEntityId": "zeta"})
    assert response.status_code == 400


def test_customer_token_cannot_search_read_one_or_write(api, bob, segment):
    api.put("/segments/gold/customers/bob")
    assert bob.post("/segments/gold/customers/search", json={}).status_code == 403
    assert bob.get("/segments/gold/customers/bob").status_code == 403
    assert bob.get("/segments/gold/customers/bob/acme-le").status_code == 403
    assert bob.put("/segments/gold/customers/bob").status_code == 403
    assert bob.delete("/segments/gold/customers/bob").status_code == 403
    assert bob.put("/segments/gold/customers/bulk", json=[]).status_code == 403
    assert bob.delete("/segments/gold/customers/bulk", json=[]).status_code == 403


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
