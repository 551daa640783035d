"""The segment operations of the contract, with the behaviours of conventions.md."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from segments_app.extensions import db
from segments_app.models import Customer, CustomerAssignment, ItemAssignment, Product, Segment
from tests.factories import add_assignment

GOLD = {
    "name": {"en": "Golden Segment", "de": "Goldenes Segment"},
    "description": {"en": "Our best customers"},
    "validity": {"from": "2024-04-17T08:00:00.000Z", "to": "2030-04-17T08:00:00.000Z"},
    "status": "ACTIVE",
    "siteCode": "main",
    "mixins": {"segmentAttributes": {"membershipStatus": "PREMIUM", "tier": 3}},
    "metadata": {"mixins": {"segmentAttributes": "https://example.com/schema.json"}},
}


def _detail_fields(response) -> set[str]:
    return {d["field"] for d in response.get_json().get("details", [])}


# --- create and read ---------------------------------------------------------------------------


def test_create_with_generated_id_and_read_back(api):
    response = api.post("/segments", json=GOLD)
    assert response.status_code == 201
    segment_id = response.get_json()["id"]
    assert re.fullmatch(r"[0-9a-f]{24}", segment_id)
    assert response.headers["Location"].endswith(f"/segments/{segment_id}")

    doc = api.get(f"/segments/{segment_id}").get_json()
    assert doc["id"] == segment_id
    assert doc["name"] == GOLD["name"]
    assert doc["description"] == GOLD["description"]
    assert doc["validity"] == GOLD["validity"]
    assert doc["status"] == "ACTIVE"
    assert doc["siteCode"] == "main"
    assert doc["mixins"] == GOLD["mixins"]
    meta = doc["metadata"]
    assert meta["version"] == 1
    assert meta["mixins"] == GOLD["metadata"]["mixins"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", meta["createdAt"])
    assert meta["createdAt"] == meta["modifiedAt"]


def test_custom_id_is_kept_case_sensitive(api):
    assert api.post("/segments", json={**GOLD, "id": "VIP-Gold"}).get_json() == {"id": "VIP-Gold"}
    assert api.get("/segments/VIP-Gold").status_code == 200
    assert api.get("/segments/vip-gold").status_code == 404


def test_post_with_existing_id_is_409(api):
    api.post("/segments", json={**GOLD, "id": "gold"})
    response = api.post("/segments", json={**GOLD, "id": "gold", "name": {"en": "Other"}})
    assert response.status_code == 409
    assert response.get_json()["message"] == "The resource already exists."
    assert api.get("/segments/gold").get_json()["name"] == GOLD["name"]


def test_status_defaults_to_inactive(api):
    segment_id = api.post("/segments", json={"name": {"en": "x"}, "siteCode": "main"}).get_json()[
        "id"
    ]
    assert api.get(f"/segments/{segment_id}").get_json()["status"] == "INACTIVE"


def test_unknown_segment_is_404_with_contract_body(api):
    response = api.get("/segments/nope")
    assert response.status_code == 404
    assert response.get_json() == {
        "code": 404,
        "status": "Not Found",
        "message": "The resource with id nope has not been found.",
        "resourceId": "nope",
    }


def test_reserved_ids_are_refused(api):
    response = api.post("/segments", json={**GOLD, "id": "bulk"})
    assert response.status_code == 400
    assert "reserved" in response.get_json()["details"][0]["message"]


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"siteCode": "main"}, "name"),
        ({"name": {}, "siteCode": "main"}, "name"),
        ({"name": 5, "siteCode": "main"}, "name"),
        ({"name": ["en"], "siteCode": "main"}, "name"),
        ({"name": {"en": 5}, "siteCode": "main"}, "name.en"),
        ({"name": {"en": "x"}}, "siteCode"),
        ({"name": {"en": "x"}, "siteCode": ""}, "siteCode"),
        ({"name": {"en": "x"}, "siteCode": "main", "status": "ON"}, "status"),
        (
            {"name": {"en": "x"}, "siteCode": "main", "validity": {"from": "yesterday"}},
            "validity.from",
        ),
        (
            {"name": {"en": "x"}, "siteCode": "main", "validity": {"to": "2024-02-30T00:00:00Z"}},
            "validity.to",
        ),
        (
            {"name": {"en": "x"}, "siteCode": "main", "validity": {"to": "2024-01-01T00:00:00"}},
            "validity.to",
        ),
        (
            {
                "name": {"en": "x"},
                "siteCode": "main",
                "validity": {"from": "2025-01-01T00:00:00Z", "to": "2024-01-01T00:00:00Z"},
            },
            "validity.from",
        ),
        ({"name": {"en": "x"}, "siteCode": "main", "mixins": []}, "mixins"),
        ({"name": {"en": "x"}, "siteCode": "main", "mixins": "x"}, "mixins"),
        ({"name": {"fr": "x"}, "siteCode": "main"}, "name.fr"),
        ({"name": {"en": "x"}, "siteCode": "main", "id": "has/slash"}, "id"),
        (
            {"name": {"en": "x"}, "siteCode": "main", "metadata": {"version": "one"}},
            "metadata.version",
        ),
    ],
)
def test_invalid_bodies_are_400_with_the_field(api, body, field):
    response = api.post("/segments", json=body)
    assert response.status_code == 400, response.get_json()
    payload = response.get_json()
    assert payload["code"] == 400 and payload["status"] == "Bad Request"
    assert field in _detail_fields(response), payload
    assert api.get("/segments", headers={"X-Total-Count": "true"}).headers["X-Total-Count"] == "0"


def test_every_problem_is_listed_at_once(api):
    response = api.post("/segments", json={"name": {}, "siteCode": "", "status": "ON"})
    assert {"name", "siteCode", "status"} <= _detail_fields(response)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2"])
def test_malformed_json_is_400(api, raw):
    response = api.post("/segments", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_body_must_be_an_object(api):
    assert api.post("/segments", json=["x"]).status_code == 400


# --- localization ------------------------------------------------------------------------------


def test_plain_string_with_content_language(api):
    body = {"name": "Gold", "description": "Beste", "siteCode": "main"}
    response = api.post("/segments", json=body, headers={"Content-Language": "de"})
    assert response.status_code == 201
    doc = api.get(f"/segments/{response.get_json()['id']}").get_json()
    assert doc["name"] == {"de": "Gold"}
    assert doc["description"] == {"de": "Beste"}


def test_plain_string_without_header_uses_tenant_default(api):
    segment_id = api.post("/segments", json={"name": "Gold", "siteCode": "m"}).get_json()["id"]
    assert api.get(f"/segments/{segment_id}").get_json()["name"] == {"en": "Gold"}


def test_plain_string_with_star_is_refused(api):
    response = api.post(
        "/segments", json={"name": "Gold", "siteCode": "m"}, headers={"Content-Language": "*"}
    )
    assert response.status_code == 400
    assert "name" in _detail_fields(response)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, {"en": "Golden Segment", "de": "Goldenes Segment"}),
        ("*", {"en": "Golden Segment", "de": "Goldenes Segment"}),
        ("de", {"de": "Goldenes Segment"}),
        ("de-AT", {"de": "Goldenes Segment"}),
        ("fr, de;q=0.5, en;q=0.9", {"en": "Golden Segment"}),
        ("fr", {"en": "Golden Segment"}),
    ],
)
def test_accept_language_picks_one_language(api, header, expected):
    segment_id = api.post("/segments", json=GOLD).get_json()["id"]
    headers = {"Accept-Language": header} if header else {}
    assert api.get(f"/segments/{segment_id}", headers=headers).get_json()["name"] == expected
    listed = api.get("/segments", headers=headers).get_json()
    assert listed[0]["name"] == expected


# --- versions, PUT upsert ----------------------------------------------------------------------


def test_put_creates_201_then_replaces_204(api):
    body = {
        "name": {"en": "Silver"},
        "siteCode": "main",
        "status": "ACTIVE",
        "description": {"en": "d"},
    }
    created = api.put("/segments/silver", json=body)
    assert created.status_code == 201
    assert created.get_json() == {"id": "silver"}
    replaced = api.put("/segments/silver", json={"name": {"en": "Silver 2"}, "siteCode": "main"})
    assert replaced.status_code == 204
    doc = api.get("/segments/silver").get_json()
    assert doc["name"] == {"en": "Silver 2"}
    assert "description" not in doc
    assert doc["status"] == "INACTIVE"
    assert doc["metadata"]["version"] == 2


def test_put_with_stale_version_is_409_and_changes_nothing(api):
    api.put("/segments/s", json={"name": {"en": "v1"}, "siteCode": "main"})
    api.put(
        "/segments/s", json={"name": {"en": "v2"}, "siteCode": "main", "metadata": {"version": 1}}
    )
    stale = api.put(
        "/segments/s", json={"name": {"en": "v3"}, "siteCode": "main", "metadata": {"version": 1}}
    )
    assert stale.status_code == 409
    assert stale.get_json()["message"].startswith(
        "The resource you are attempting to access has changed."
    )
    doc = api.get("/segments/s").get_json()
    assert doc["name"] == {"en": "v2"}
    assert doc["metadata"]["version"] == 2


def test_put_without_version_is_not_checked(api):
    api.put("/segments/s", json={"name": {"en": "v1"}, "siteCode": "main"})
    api.put("/segments/s", json={"name": {"en": "v2"}, "siteCode": "main"})
    assert (
        api.put("/segments/s", json={"name": {"en": "v3"}, "siteCode": "main"}).status_code == 204
    )
    assert api.get("/segments/s").get_json()["metadata"]["version"] == 3


def test_unchanged_put_keeps_the_version(api):
    body = {"name": {"en": "v1"}, "siteCode": "main"}
    api.put("/segments/s", json=body)
    api.put("/segments/s", json=body)
    assert api.get("/segments/s").get_json()["metadata"]["version"] == 1


def test_put_body_id_must_match_path(api):
    response = api.put("/segments/a", json={"id": "b", "name": {"en": "x"}, "siteCode": "m"})
    assert response.status_code == 400
    assert api.get("/segments/a").status_code == 404


# --- PATCH -------------------------------------------------------------------------------------


def test_json_patch(api):
    api.put("/segments/s", json=GOLD)
    ops = [
        {"op": "replace", "path": "/status", "value": "INACTIVE"},
        {"op": "remove", "path": "/description"},
        {"op": "replace", "path": "/mixins/segmentAttributes/tier", "value": 4},
        {"op": "add", "path": "/name/de", "value": "Gold"},
    ]
    response = api.patch(
        "/segments/s", json=ops, headers={"Content-Type": "application/json-patch+json"}
    )
    assert response.status_code == 204
    doc = api.get("/segments/s").get_json()
    assert doc["status"] == "INACTIVE"
    assert "description" not in doc
    assert doc["mixins"]["segmentAttributes"] == {"membershipStatus": "PREMIUM", "tier": 4}
    assert doc["name"] == {"en": "Golden Segment", "de": "Gold"}
    assert doc["metadata"]["version"] == 2


def test_merge_patch(api):
    api.put("/segments/s", json=GOLD)
    response = api.patch(
        "/segments/s", json={"status": "INACTIVE", "description": None, "name": {"de": None}}
    )
    assert response.status_code == 204
    doc = api.get("/segments/s").get_json()
    assert doc["status"] == "INACTIVE"
    assert "description" not in doc
    assert doc["name"] == {"en": "Golden Segment"}


def test_patch_result_is_validated_and_nothing_changes(api):
    api.put("/segments/s", json=GOLD)
    response = api.patch("/segments/s", json=[{"op": "replace", "path": "/status", "value": "ON"}])
    assert response.status_code == 400
    assert "status" in _detail_fields(response)
    response = api.patch("/segments/s", json=[{"op": "remove", "path": "/name"}])
    assert response.status_code == 400
    assert api.get("/segments/s").get_json()["metadata"]["version"] == 1


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "move", "from": "/name", "path": "/x"}],
        [{"op": "remove", "path": "/nothing/here"}],
        [{"op": "replace", "path": "/id", "value": "other"}],
        [{"op": "replace"}],
        [],
        "text",
    ],
)
def test_bad_patches_are_400(api, ops):
    api.put("/segments/s", json=GOLD)
    response = api.patch("/segments/s", json=ops)
    assert response.status_code == 400
    assert api.get("/segments/s").get_json()["metadata"]["version"] == 1


def test_patch_with_stale_version_is_409(api):
    api.put("/segments/s", json=GOLD)
    api.patch("/segments/s", json=[{"op": "replace", "path": "/status", "value": "INACTIVE"}])
    response = api.patch(
        "/segments/s",
        json=[
            {"op": "replace", "path": "/metadata/version", "value": 1},
            {"op": "replace", "path": "/status", "value": "ACTIVE"},
        ],
    )
    assert response.status_code == 409
    assert api.get("/segments/s").get_json()["status"] == "INACTIVE"


def test_patch_unknown_is_404(api):
    assert (
        api.patch(
            "/segments/none", json=[{"op": "replace", "path": "/status", "value": "ACTIVE"}]
        ).status_code
        == 404
    )


def test_patch_plain_string_with_content_language(api):
    api.put("/segments/s", json=GOLD)
    response = api.patch(
        "/segments/s",
        json=[{"op": "replace", "path": "/name", "value": "Gold"}],
        headers={"Content-Language": "de"},
    )
    assert response.status_code == 204
    assert api.get("/segments/s").get_json()["name"] == {"de": "Gold"}


# --- DELETE ------------------------------------------------------------------------------------


def _assign_something(app, segment_id: str) -> None:
    with app.app_context():
        segment = db.session.scalar(sa.select(Segment).where(Segment.id == segment_id))
        customer = Customer(
            tenant_id=segment.tenant_id, id="c1", email="c1@example.com", email_key="c1@example.com"
        )
        product = Product(tenant_id=segment.tenant_id, id="p1", code="P1", name={"en": "P"})
        db.session.add_all([customer, product])
        db.session.flush()
        add_assignment(CustomerAssignment(segment_pk=segment.pk, customer_pk=customer.pk))
        add_assignment(
            ItemAssignment(segment_pk=segment.pk, item_type="PRODUCT", product_pk=product.pk)
        )
        db.session.commit()


def _assignment_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(CustomerAssignment)
        ) + db.session.scalar(sa.select(sa.func.count()).select_from(ItemAssignment))


def test_delete(api):
    api.put("/segments/s", json=GOLD)
    assert api.delete("/segments/s").status_code == 204
    assert api.get("/segments/s").status_code == 404
    assert api.delete("/segments/s").status_code == 404


def test_delete_with_assignments_needs_force(app, api):
    api.put("/segments/s", json=GOLD)
    _assign_something(app, "s")
    refused = api.delete("/segments/s")
    assert refused.status_code == 400
    assert "forceDelete=true" in refused.get_json()["message"]
    assert "1 customer assignment" in refused.get_json()["message"]
    assert api.get("/segments/s").status_code == 200
    assert api.delete("/segments/s?forceDelete=false").status_code == 400
    assert api.delete("/segments/s?forceDelete=true").status_code == 204
    assert api.get("/segments/s").status_code == 404
    assert _assignment_count(app) == 0


def test_force_delete_must_be_boolean(api):
    api.put("/segments/s", json=GOLD)
    assert api.delete("/segments/s?forceDelete=maybe").status_code == 400


# --- lists: q, paging, sort, fields, totals ----------------------------------------------------


@pytest.fixture
def five(api):
    for i, (site, status) in enumerate(
        [
            ("main", "ACTIVE"),
            ("main", "INACTIVE"),
            ("outlet", "ACTIVE"),
            ("main", "ACTIVE"),
            ("outlet", "INACTIVE"),
        ]
    ):
        body = {
            "id": f"s{i}",
            "name": {"en": f"Segment {i}", "de": f"Segment {4 - i}"},
            "siteCode": site,
            "status": status,
            "mixins": {"attrs": {"rank": i, "tag": "even" if i % 2 == 0 else "odd"}},
        }
        assert api.post("/segments", json=body).status_code == 201
    return api


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [d["id"] for d in response.get_json()]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("siteCode:main", ["s0", "s1", "s3"]),
        ("siteCode:main status:ACTIVE", ["s0", "s3"]),
        ("id:(s1,s4)", ["s1", "s4"]),
        ('name.en:"Segment 2"', ["s2"]),
        ("name.en:~(ment 3)", ["s3"]),
        ("name:~4", ["s0", "s4"]),
        ("mixins.attrs.tag:odd", ["s1", "s3"]),
        ("mixins.attrs.rank:>=3", ["s3", "s4"]),
        ("mixins.attrs.rank:(>0 AND <3)", ["s1", "s2"]),
        ("mixins.other:missing", ["s0", "s1", "s2", "s3", "s4"]),
        ("mixins.attrs:exists status:INACTIVE", ["s1", "s4"]),
        ("description:null", ["s0", "s1", "s2", "s3", "s4"]),
        ('metadata.createdAt:>"2000-01-01T00:00:00.000Z"', ["s0", "s1", "s2", "s3", "s4"]),
        ("metadata.version:1", ["s0", "s1", "s2", "s3", "s4"]),
    ],
)
def test_q(five, q, expected):
    assert _ids(five.get("/segments", query_string={"q": q})) == expected
    assert _ids(five.post("/segments/search", json={"q": q})) == expected


@pytest.mark.parametrize(
    "q", ["siteCode", "nope:1", 'name.en:"open', "metadata.version:abc", "id:(a,b"]
)
def test_bad_q_is_400_saying_where(five, q):
    response = five.get("/segments", query_string={"q": q})
    assert response.status_code == 400
    assert response.get_json()["message"]


def test_paging_and_total(five):
    response = five.get("/segments?pageSize=2&pageNumber=2", headers={"X-Total-Count": "true"})
    assert _ids(response) == ["s2", "s3"]
    assert response.headers["X-Total-Count"] == "5"
    assert _ids(five.get("/segments?pageSize=2&pageNumber=3")) == ["s4"]
    assert _ids(five.get("/segments?pageSize=2&pageNumber=9")) == []
    assert "X-Total-Count" not in five.get("/segments").headers


@pytest.mark.parametrize(
    "query", ["pageSize=0", "pageSize=1001", "pageNumber=0", "pageNumber=x", "pageSize=-1"]
)
def test_bad_paging_is_400(five, query):
    assert five.get(f"/segments?{query}").status_code == 400


def test_page_size_default_is_60(api):
    for i in range(61):
        api.put(f"/segments/s{i:02d}", json={"name": {"en": "x"}, "siteCode": "m"})
    assert len(api.get("/segments").get_json()) == 60


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("id:desc", ["s4", "s3", "s2", "s1", "s0"]),
        ("siteCode,id:desc", ["s3", "s1", "s0", "s4", "s2"]),
        ("name.de", ["s4", "s3", "s2", "s1", "s0"]),
        ("mixins.attrs.tag:desc,id", ["s1", "s3", "s0", "s2", "s4"]),
    ],
)
def test_sort(five, sort, expected):
    assert _ids(five.get("/segments", query_string={"sort": sort})) == expected


def test_bare_localized_sort_follows_accept_language(five):
    response = five.get("/segments?sort=name", headers={"Accept-Language": "de"})
    assert _ids(response) == ["s4", "s3", "s2", "s1", "s0"]


@pytest.mark.parametrize("sort", ["nope", "id:sideways", "mixins"])
def test_bad_sort_is_400(five, sort):
    assert five.get("/segments", query_string={"sort": sort}).status_code == 400


def test_fields_projection_keeps_id(five):
    docs = five.get("/segments?fields=siteCode,metadata.version&pageSize=1").get_json()
    assert docs == [{"id": "s0", "siteCode": "main", "metadata": {"version": 1}}]
    one = five.get("/segments/s1?fields=status").get_json()
    assert one == {"id": "s1", "status": "INACTIVE"}
    assert five.get("/segments?fields=bogus").status_code == 400


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_create_207_in_request_order(api):
    api.post("/segments", json={**GOLD, "id": "taken"})
    body = [
        {**GOLD, "id": "a"},
        {"name": {}, "siteCode": "main"},
        {**GOLD, "id": "taken"},
        {"name": {"en": "generated"}, "siteCode": "main"},
    ]
    response = api.post("/segments/bulk", json=body)
    assert response.status_code == 207
    results = response.get_json()
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0] == {"index": 0, "id": "a", "code": 201, "status": "Created"}
    assert (
        results[1]["code"] == 400
        and results[1]["status"] == "Bad Request"
        and "name" in results[1]["message"]
    )
    assert results[2]["code"] == 409 and results[2]["id"] == "taken"
    assert results[3]["code"] == 201 and re.fullmatch(r"[0-9a-f]{24}", results[3]["id"])
    assert api.get("/segments", headers={"X-Total-Count": "true"}).headers["X-Total-Count"] == "3"


def test_bulk_upsert(api):
    api.put("/segments/a", json=GOLD)
    body = [
        {**GOLD, "id": "a", "status": "INACTIVE", "metadata": {"version": 1}},
        {**GOLD, "id": "b"},
        {**GOLD, "id": "a", "metadata": {"version": 1}},
    ]
    results = api.put("/segments/bulk", json=body).get_json()
    assert [(r["index"], r["code"]) for r in results] == [(0, 204), (1, 201), (2, 409)]
    assert results[0]["status"] == "OK"
    assert api.get("/segments/a").get_json()["status"] == "INACTIVE"


def test_bulk_delete(app, api):
    for sid in ("a", "b", "c"):
        api.put(f"/segments/{sid}", json=GOLD)
    _assign_something(app, "b")
    results = api.delete("/segments/bulk", json=["a", "b", "zzz", 7]).get_json()
    assert [(r["index"], r["code"]) for r in results] == [(0, 204), (1, 400), (2, 404), (3, 400)]
    assert results[1]["id"] == "b" and "forceDelete" in results[1]["message"]
    assert api.get("/segments/a").status_code == 404
    assert api.get("/segments/b").status_code == 200
    forced = api.delete("/segments/bulk?forceDelete=true", json=["b", "c"]).get_json()
    assert [r["code"] for r in forced] == [204, 204]
    assert _assignment_count(app) == 0


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_bulk_limit_is_200(api, method):
    body = [{"name": {"en": "x"}, "siteCode": "m"}] * 201 if method != "delete" else ["x"] * 201
    response = getattr(api, method)("/segments/bulk", json=body)
    assert response.status_code == 400
    assert "200" in response.get_json()["message"]
    assert api.get("/segments", headers={"X-Total-Count": "true"}).headers["X-Total-Count"] == "0"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_bulk_body_must_be_an_array(api, method):
    assert getattr(api, method)("/segments/bulk", json={"id": "x"}).status_code == 400


def test_literal_paths_win_over_segment_ids(api):
    # A segment may not be called "bulk" or "search", so these paths always reach their operation.
    assert api.post("/segments/search", json={}).status_code == 200
    assert api.post("/segments/bulk", json=[]).status_code == 207
    assert api.put("/segments/bulk", json=[]).status_code == 207
    assert api.delete("/segments/bulk", json=[]).status_code == 207


def test_unknown_api_path_is_json_404(api):
    response = api.get("/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_method_not_allowed_is_json(api):
    response = api.request("PATCH", "/segments")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405


def test_regex_postgres_cannot_run_is_400_not_500(app, five):
    # Python accepts named groups (SQLite runs Python's re); PostgreSQL's regex engine does not.
    response = five.get("/segments", query_string={"q": "name.en:~(?P<n>Seg)"})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert _ids(response) == ["s0", "s1", "s2", "s3", "s4"]
    else:
        assert response.status_code == 400
        assert "refused" in response.get_json()["message"]
