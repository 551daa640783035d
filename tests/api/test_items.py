"""Item assignments: /segments/{segmentId}/items... and /segments/items."""

from __future__ import annotations

import pytest

from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from tests.apis import customer_api, ids, statuses
from tests.factories import add_category, add_customer, add_product, directory

MIXINS = {"segmentAttributes": {"membershipStatus": "PREMIUM"}}
SCHEMA = {"segmentAttributes": "https://example.com/segmentAttributes.json"}


@pytest.fixture
def catalog(app, tenant):
    """Products hammer, saw, drill; categories tools > hand-tools; a category also named 'drill'."""
    with directory(app):
        add_category(tenant, "tools", name={"en": "Tools", "de": "Werkzeuge"})
        add_category(tenant, "hand-tools", "tools", name={"en": "Hand tools"})
        add_category(tenant, "drill", name={"en": "Drill category"}, code="CAT-DRILL")
        add_product(tenant, "hammer", ("hand-tools",), {"en": "Hammer", "de": "Hammer DE"}, "H-1")
        add_product(tenant, "saw", name={"en": "Saw", "de": "Säge"}, code="S-2")
        add_product(tenant, "drill", name={"en": "Drill"}, code="D-3")


@pytest.fixture
def segment(make_segment):
    return make_segment(id="gold")


def item_keys(response) -> list[tuple[str, str]]:
    return ids(response, lambda d: (d["type"], d["item"]["id"]))


# --- single upsert, read, delete ---------------------------------------------------------------


def test_put_creates_then_replaces_and_reads_back_in_contract_shape(api, catalog, segment):
    body = {"mixins": MIXINS, "metadata": {"mixins": SCHEMA}}
    response = api.put("/segments/gold/items/product/hammer", json=body)
    assert response.status_code == 201
    assert response.get_data() == b""
    assert response.headers["Location"].endswith("/segments/gold/items/PRODUCT/hammer")

    doc = api.get("/segments/gold/items/PRODUCT/hammer").get_json()
    assert doc["segmentId"] == "gold"
    assert doc["item"] == {
        "id": "hammer",
        "code": "H-1",
        "name": {"en": "Hammer", "de": "Hammer DE"},
    }
    assert doc["type"] == "PRODUCT"
    assert doc["mixins"] == MIXINS
    assert doc["metadata"]["version"] == 1 and doc["metadata"]["mixins"] == SCHEMA
    assert set(doc["metadata"]) == {"version", "createdAt", "modifiedAt", "mixins"}

    assert api.put("/segments/gold/items/Product/hammer", json=body).status_code == 204
    assert api.get("/segments/gold/items/product/hammer").get_json()["metadata"]["version"] == 1
    assert api.put("/segments/gold/items/PRODUCT/hammer", json={}).status_code == 204
    doc = api.get("/segments/gold/items/PRODUCT/hammer").get_json()
    assert doc["metadata"]["version"] == 2 and "mixins" not in doc


def test_categories_and_products_with_one_id_are_separate_assignments(api, catalog, segment):
    assert api.put("/segments/gold/items/category/drill").status_code == 201
    assert api.put("/segments/gold/items/PRODUCT/drill").status_code == 201
    doc = api.get("/segments/gold/items/CATEGORY/drill").get_json()
    assert doc["type"] == "CATEGORY"
    assert doc["item"] == {"id": "drill", "code": "CAT-DRILL", "name": {"en": "Drill category"}}
    assert item_keys(api.get("/segments/gold/items")) == [
        ("CATEGORY", "drill"),
        ("PRODUCT", "drill"),
    ]
    assert api.delete("/segments/gold/items/product/drill").status_code == 204
    assert item_keys(api.get("/segments/gold/items")) == [("CATEGORY", "drill")]


def test_accept_language_localizes_the_item_name(api, catalog, segment):
    api.put("/segments/gold/items/PRODUCT/saw")
    api.put("/segments/gold/items/CATEGORY/tools")
    german = {"Accept-Language": "de"}
    doc = api.get("/segments/gold/items/PRODUCT/saw", headers=german).get_json()
    assert doc["item"]["name"] == {"de": "Säge"}
    docs = api.get("/segments/gold/items", headers={"Accept-Language": "fr, de;q=0.5"}).get_json()
    assert [d["item"]["name"] for d in docs] == [{"de": "Säge"}, {"de": "Werkzeuge"}]
    docs = api.get("/segments/gold/items", headers={"Accept-Language": "*"}).get_json()
    assert docs[0]["item"]["name"] == {"en": "Saw", "de": "Säge"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_unknown_type_is_400(api, catalog, segment, method):
    response = api.request(method, "/segments/gold/items/brand/hammer")
    assert response.status_code == 400
    assert "PRODUCT or CATEGORY" in response.get_json()["message"]
    assert api.request(method, "/segments/gold/items/brand/bulk", json=[]).status_code == 400


@pytest.mark.parametrize(
    ("path", "named"),
    [("/segments/gold/items/PRODUCT/nope", "nope"), ("/segments/gold/items/CATEGORY/saw", "saw")],
    ids=["unknown-product", "not-a-category"],
)
def test_unknown_items_are_400_naming_the_id(api, catalog, segment, path, named):
    response = api.put(path, json={})
    assert response.status_code == 400
    assert named in response.get_json()["message"]
    assert response.get_json()["resourceId"] == named


def test_unknown_segment_is_404(api, catalog):
    for method in ("GET", "PUT", "DELETE"):
        response = api.request(method, "/segments/nope/items/PRODUCT/hammer")
        assert response.status_code == 404, method
    assert api.get("/segments/nope/items").status_code == 404
    assert api.post("/segments/nope/items/search", json={}).status_code == 404
    assert api.put("/segments/nope/items/PRODUCT/bulk", json=[]).status_code == 404
    assert api.delete("/segments/nope/items/PRODUCT/bulk", json=[]).status_code == 404


def test_absent_assignments_are_404_to_get_and_delete(api, catalog, segment):
    response = api.get("/segments/gold/items/PRODUCT/hammer")
    assert response.status_code == 404 and response.get_json()["resourceId"] == "hammer"
    assert api.delete("/segments/gold/items/PRODUCT/hammer").status_code == 404
    assert api.delete("/segments/gold/items/PRODUCT/nope").status_code == 404
    api.put("/segments/gold/items/PRODUCT/hammer")
    assert api.get("/segments/gold/items/CATEGORY/hammer").status_code == 404
    assert api.delete("/segments/gold/items/PRODUCT/hammer").status_code == 204
    assert api.get("/segments/gold/items/PRODUCT/hammer").status_code == 404


def test_version_mismatch_is_409_and_changes_nothing(api, catalog, segment):
    api.put("/segments/gold/items/PRODUCT/saw", json={"mixins": MIXINS})
    response = api.put("/segments/gold/items/PRODUCT/saw", json={"metadata": {"version": 2}})
    assert response.status_code == 409
    doc = api.get("/segments/gold/items/PRODUCT/saw").get_json()
    assert doc["mixins"] == MIXINS and doc["metadata"]["version"] == 1
    body = {"mixins": {}, "metadata": {"version": 1}}
    assert api.put("/segments/gold/items/PRODUCT/saw", json=body).status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [({"mixins": [1]}, "mixins"), ({"metadata": {"version": 0}}, "metadata.version"), ("x", "")],
)
def test_invalid_body_is_400_with_details(api, catalog, segment, body, field):
    response = api.put("/segments/gold/items/PRODUCT/saw", json=body)
    assert response.status_code == 400
    assert field in {d["field"] for d in response.get_json()["details"]}


def test_fields_keep_what_identifies_the_assignment(api, catalog, segment):
    api.put("/segments/gold/items/PRODUCT/saw", json={"mixins": MIXINS})
    doc = api.get("/segments/gold/items/PRODUCT/saw?fields=item.name,metadata.version").get_json()
    assert doc == {
        "segmentId": "gold",
        "item": {"id": "saw", "name": {"en": "Saw", "de": "Säge"}},
        "type": "PRODUCT",
        "metadata": {"version": 1},
    }


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_upsert_reports_each_element_in_request_order(api, catalog, segment):
    response = api.put(
        "/segments/gold/items/product/bulk",
        json=[
            {"id": "hammer", "mixins": MIXINS},
            {"id": "nope"},
            {"id": "hammer", "metadata": {"version": 9}},
            "saw",
            {"mixins": MIXINS},
            {"id": "saw", "mixins": 3},
            {"id": "saw"},
            {"id": "hammer", "metadata": {"version": 1}},
        ],
    )
    assert statuses(response) == [201, 400, 409, 400, 400, 400, 201, 204]
    body = response.get_json()
    assert body[0] == {"index": 0, "code": 201, "status": "Created"}
    assert body[7] == {"index": 7, "code": 204, "status": "OK"}
    assert "nope" in body[1]["message"]
    assert body[2]["status"] == "Conflict"
    assert item_keys(api.get("/segments/gold/items")) == [("PRODUCT", "hammer"), ("PRODUCT", "saw")]
    doc = api.get("/segments/gold/items/PRODUCT/hammer").get_json()
    assert doc["metadata"]["version"] == 2 and "mixins" not in doc


def test_bulk_delete_takes_a_list_of_ids(api, catalog, segment):
    api.put("/segments/gold/items/CATEGORY/tools")
    api.put("/segments/gold/items/CATEGORY/drill")
    api.put("/segments/gold/items/PRODUCT/drill")
    response = api.delete(
        "/segments/gold/items/Category/bulk", json=["tools", "tools", "nope", 5, {"id": "drill"}]
    )
    assert statuses(response) == [204, 404, 404, 400, 400]
    assert "nope" in response.get_json()[2]["message"]
    assert item_keys(api.get("/segments/gold/items")) == [
        ("CATEGORY", "drill"),
        ("PRODUCT", "drill"),
    ]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_bulk_requests_over_the_limit_or_not_arrays_are_400(api, catalog, segment, method):
    response = api.request(method, "/segments/gold/items/PRODUCT/bulk", json=["saw"] * 201)
    assert response.status_code == 400
    assert "200" in response.get_json()["message"]
    response = api.request(method, "/segments/gold/items/PRODUCT/bulk", json={"id": "saw"})
    assert response.status_code == 400


# --- lists -------------------------------------------------------------------------------------


@pytest.fixture
def assigned(api, catalog, make_segment):
    """gold (main): hammer, saw, tools; silver (main, inactive): drill; bronze (outlet): saw."""
    make_segment(id="gold")
    make_segment(id="silver", status="INACTIVE")
    make_segment(id="bronze", siteCode="outlet")
    api.put("/segments/gold/items/PRODUCT/hammer", json={"mixins": MIXINS})
    api.put("/segments/gold/items/PRODUCT/saw")
    api.put("/segments/gold/items/CATEGORY/tools")
    api.put("/segments/silver/items/PRODUCT/drill")
    api.put("/segments/bronze/items/PRODUCT/saw")


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("type:PRODUCT", ["hammer", "saw"]),
        ("type:CATEGORY", ["tools"]),
        ("item.id:(saw,tools)", ["saw", "tools"]),
        ("item.code:H-1", ["hammer"]),
        ("item.name:~^Werk", ["tools"]),
        ("item.name.en:~(Ham|Sa)", ["hammer", "saw"]),
        ("item.name.de:Säge", ["saw"]),
        ("segmentId:gold mixins:exists", ["hammer"]),
        ("mixins.segmentAttributes.membershipStatus:PREMIUM", ["hammer"]),
        ("metadata.version:>=1 metadata.mixins:null", ["hammer", "saw", "tools"]),
    ],
)
def test_q_filters_a_segments_items(api, assigned, q, expected):
    response = api.get("/segments/gold/items", query_string={"q": q})
    assert ids(response, lambda d: d["item"]["id"]) == expected
    response = api.post("/segments/gold/items/search", json={"q": q})
    assert ids(response, lambda d: d["item"]["id"]) == expected


def test_sort_paging_fields_and_total_on_a_segments_items(api, assigned):
    response = api.get("/segments/gold/items?sort=item.name.en:desc")
    assert ids(response, lambda d: d["item"]["id"]) == ["tools", "saw", "hammer"]
    german = {"Accept-Language": "de"}
    response = api.get("/segments/gold/items?sort=item.name", headers=german)
    assert ids(response, lambda d: d["item"]["id"]) == ["hammer", "saw", "tools"]
    response = api.get(
        "/segments/gold/items?sort=type:desc,item.code&pageSize=2&pageNumber=1&fields=type",
        headers={"X-Total-Count": "true"},
    )
    assert response.headers["X-Total-Count"] == "3"
    assert response.get_json() == [
        {"segmentId": "gold", "item": {"id": "hammer"}, "type": "PRODUCT"},
        {"segmentId": "gold", "item": {"id": "saw"}, "type": "PRODUCT"},
    ]
    for bad in ("sort=item.colour", "fields=colour", "pageNumber=0", "q=item.colour:red"):
        assert api.get(f"/segments/gold/items?{bad}").status_code == 400, bad


def test_all_segments_items_with_filters(api, assigned):
    def listed(**query):
        response = api.get("/segments/items", query_string=query)
        return ids(response, lambda d: (d["segmentId"], d["item"]["id"]))

    everything = [
        ("gold", "hammer"),
        ("gold", "saw"),
        ("gold", "tools"),
        ("silver", "drill"),
        ("bronze", "saw"),
    ]
    assert listed() == everything
    assert listed(onlyActive="false") == everything
    assert listed(onlyActive="true") == [x for x in everything if x[0] != "silver"]
    assert listed(siteCode="outlet") == [("bronze", "saw")]
    assert listed(siteCode="main", onlyActive="true", q="type:PRODUCT") == everything[:2]
    got = listed(q="type:PRODUCT segmentId:(silver,bronze)", sort="segmentId:desc")
    assert got == [("silver", "drill"), ("bronze", "saw")]
    response = api.get(
        "/segments/items?pageSize=2&pageNumber=3&fields=metadata",
        headers={"X-Total-Count": "true", "Accept-Language": "de"},
    )
    assert response.headers["X-Total-Count"] == "5"
    [doc] = response.get_json()
    assert doc["item"] == {"id": "saw"} and set(doc) == {"segmentId", "item", "type", "metadata"}
    assert api.get("/segments/items?onlyActive=maybe").status_code == 400


def test_segments_items_is_not_a_segment_id(api, assigned):
    # GET /segments/items lists item assignments; "items" itself cannot become a segment id
    assert isinstance(api.get("/segments/items").get_json(), list)
    body = {"name": {"en": "x"}, "siteCode": "main"}
    response = api.put("/segments/items", json=body)
    assert response.status_code == 400 and "reserved" in response.get_json()["message"]


def test_literal_bulk_wins_over_item_ids(api, catalog, segment):
    assert statuses(api.put("/segments/gold/items/PRODUCT/bulk", json=[{"id": "saw"}])) == [201]
    response = api.get("/segments/gold/items/PRODUCT/bulk")
    assert response.status_code == 404 and response.get_json()["resourceId"] == "bulk"
    response = api.post("/segments/gold/items/search", json={"q": "type:PRODUCT"})
    assert ids(response, lambda d: d["item"]["id"]) == ["saw"]


# --- access ------------------------------------------------------------------------------------


def test_without_a_token_is_401(client, tenant):
    for path in ("/segments/items", "/segments/gold/items", "/segments/gold/items/PRODUCT/x"):
        response = client.get(f"/customer-segment/acme{path}")
        assert response.status_code == 401
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_scopes_decide_reads_and_writes(make_api, catalog, segment):
    reader = make_api(scopes=(SCOPE_READ,))
    writer = make_api(scopes=(SCOPE_MANAGE,))
    assert reader.put("/segments/gold/items/PRODUCT/saw").status_code == 403
    assert reader.delete("/segments/gold/items/PRODUCT/saw").status_code == 403
    assert reader.put("/segments/gold/items/PRODUCT/bulk", json=[]).status_code == 403
    assert writer.put("/segments/gold/items/PRODUCT/saw").status_code == 201
    assert writer.get("/segments/gold/items").status_code == 403
    assert writer.get("/segments/items").status_code == 403
    assert reader.get("/segments/gold/items/PRODUCT/saw").status_code == 200


@pytest.fixture
def eve(app, client, make_client, tenant):
    with directory(app):
        add_customer(tenant, "eve", "eve@example.com", password="eve-secret")
    return customer_api(client, make_client, "eve@example.com", "eve-secret")


def test_customer_token_sees_items_of_its_effective_segments_only(api, assigned, eve):
    api.put("/segments/gold/customers/eve")
    api.put("/segments/silver/customers/eve")

    response = eve.get("/segments/items")
    assert ids(response, lambda d: (d["segmentId"], d["item"]["id"])) == [
        ("gold", "hammer"),
        ("gold", "saw"),
        ("gold", "tools"),
    ]
    response = eve.get("/segments/items?onlyActive=false&q=type:PRODUCT")
    assert ids(response, lambda d: d["item"]["id"]) == ["hammer", "saw"]
    assert eve.get("/segments/items?siteCode=outlet").get_json() == []

    assert ids(eve.get("/segments/gold/items"), lambda d: d["item"]["id"]) == [
        "hammer",
        "saw",
        "tools",
    ]
    response = eve.post("/segments/gold/items/search", json={"q": "type:CATEGORY"})
    assert ids(response, lambda d: d["item"]["id"]) == ["tools"]
    assert eve.get("/segments/gold/items/product/saw").get_json()["item"]["id"] == "saw"
    for segment_id in ("silver", "bronze", "nope"):
        assert eve.get(f"/segments/{segment_id}/items").status_code == 404, segment_id
        assert eve.post(f"/segments/{segment_id}/items/search", json={}).status_code == 404
        assert eve.get(f"/segments/{segment_id}/items/PRODUCT/saw").status_code == 404


def test_customer_token_cannot_write_items(api, assigned, eve):
    api.put("/segments/gold/customers/eve")
    assert eve.put("/segments/gold/items/PRODUCT/drill").status_code == 403
    assert eve.delete("/segments/gold/items/PRODUCT/saw").status_code == 403
    assert eve.put("/segments/gold/items/PRODUCT/bulk", json=[]).status_code == 403
    assert eve.delete("/segments/gold/items/PRODUCT/bulk", json=[]).status_code == 403
