"""Customer and legal entity `attributes` through the directory API, and the attribute keys."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.limits import ATTRIBUTES_MAX_BYTES
from segments_app.models import AttributeKey, Customer
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from segments_app.services.directory.shape import record_schema
from segments_app.services.validation import conforms

ATTRS = {
    "country": "DE",
    "tier": "gold",
    "lifetimeValue": 1840.5,
    "orders": 12,
    "newsletter": True,
    "lastOrderAt": "2026-11-02T10:00:00+01:00",
    "signupDate": "2024-03-01",
    "tags": ["newsletter", "b2b", "newsletter"],
    "gone": None,
}
CANONICAL = {
    "country": "DE",
    "tier": "gold",
    "lifetimeValue": 1840.5,
    "orders": 12,
    "newsletter": True,
    "lastOrderAt": "2026-11-02T09:00:00.000Z",
    "signupDate": "2024-03-01",
    "tags": ["newsletter", "b2b"],
}


def put(api, records, collection="customers"):
    response = api.put(f"/directory/{collection}", json=records)
    assert response.status_code == 207, response.get_data(as_text=True)
    return response.get_json()


def customer(record_id="c1", **attributes):
    return {"id": record_id, "email": f"{record_id}@example.com", "attributes": attributes}


def test_round_trip_in_canonical_form(api):
    assert [e["code"] for e in put(api, [{"id": "c1", "attributes": ATTRS}])] == [201]
    doc = api.get("/directory/customers/c1").get_json()
    assert doc["attributes"] == CANONICAL
    listed = api.get("/directory/customers?fields=id,attributes").get_json()
    assert listed == [{"id": "c1", "attributes": CANONICAL}]
    # the same document again changes nothing: its version stays
    again = put(api, [{**doc}])
    assert again[0]["code"] == 204
    assert api.get("/directory/customers/c1").get_json()["metadata"]["version"] == 1


def test_absent_attributes_clear_them(api):
    put(api, [customer(tier="gold")])
    put(api, [{"id": "c1"}])
    assert "attributes" not in api.get("/directory/customers/c1").get_json()
    put(api, [customer(tier=None, tags=[])])
    assert "attributes" not in api.get("/directory/customers/c1").get_json()


def test_legal_entities_have_attributes(api):
    record = {"id": "le1", "name": "Acme", "attributes": {"industry": "retail", "employees": 40}}
    assert put(api, [record], "legal-entities")[0]["code"] == 201
    doc = api.get("/directory/legal-entities/le1").get_json()
    assert doc["attributes"] == {"industry": "retail", "employees": 40}
    keys = api.get("/directory/attributes?owner=legalEntity").get_json()
    assert keys == [
        {"owner": "legalEntity", "key": "employees", "type": "number", "examples": [40]},
        {"owner": "legalEntity", "key": "industry", "type": "string", "examples": ["retail"]},
    ]


def test_keys_listing_types_and_examples(api):
    put(
        api,
        [
            customer(f"c{n}", tier=tier, tags=["a", f"t{n}"])
            for n, tier in enumerate(["gold", "silver", "gold", "bronze", "iron", "wood", "stone"])
        ],
    )
    put(api, [{"id": "c1", "attributes": ATTRS}])
    keys = {k["key"]: k for k in api.get("/directory/attributes").get_json()}
    assert keys["tier"]["examples"] == ["gold", "silver", "bronze", "iron", "wood"]
    assert keys["tags"] == {
        "owner": "customer",
        "key": "tags",
        "type": "tags",
        "examples": ["a", "t0", "t1", "t2", "t3"],
    }
    assert {k: v["type"] for k, v in keys.items()} == {
        "country": "string",
        "tier": "string",
        "lifetimeValue": "number",
        "orders": "number",
        "newsletter": "boolean",
        "lastOrderAt": "datetime",
        "signupDate": "date",
        "tags": "tags",
    }
    assert keys["lastOrderAt"]["examples"] == ["2026-11-02T09:00:00.000Z"]


def test_keys_listing_needs_read_scope_and_a_known_owner(api, make_api):
    assert make_api(scopes=(SCOPE_MANAGE,)).get("/directory/attributes").status_code == 403
    assert make_api(scopes=(SCOPE_READ,)).get("/directory/attributes").status_code == 200
    response = api.get("/directory/attributes?owner=segment")
    assert response.status_code == 400
    assert response.get_json()["message"] == (
        "owner must be one of customer, legalEntity; got 'segment'."
    )


def test_wrong_type_rejects_the_record_and_writes_nothing(api):
    put(api, [customer("c1", tier=3)])
    body = put(api, [customer("c2", tier="gold", country="DE"), customer("c3", tier=4)])
    assert [e["code"] for e in body] == [400, 201]
    assert body[0]["details"] == [
        {
            "field": "attributes.tier",
            "type": "type",
            "message": 'attributes.tier holds numbers; "gold" is text.',
        }
    ]
    assert api.get("/directory/customers/c2").status_code == 404
    # its new key was not recorded either
    assert [k["key"] for k in api.get("/directory/attributes").get_json()] == ["tier"]


def test_type_is_fixed_by_the_first_record_of_a_batch(api):
    body = put(api, [customer("c1", score=True), customer("c2", score="high")])
    assert [e["code"] for e in body] == [201, 400]
    assert "attributes.score holds true or false" in body[1]["message"]


def test_dates_and_text(api):
    put(api, [customer("c1", note="hello", lastOrderAt="2026-01-01T00:00:00Z", day="2026-01-01")])
    body = put(
        api,
        [
            # a date-time is text too
            customer("c2", note="2026-11-02T10:00:00Z"),
            # a date is not a date-time
            customer("c3", lastOrderAt="2026-11-02"),
            customer("c4", day="2026-11-02T10:00:00Z"),
            customer("c5", day="soon"),
        ],
    )
    assert [e["code"] for e in body] == [201, 400, 400, 400]
    assert body[1]["details"][0]["message"] == (
        'attributes.lastOrderAt holds date-times; "2026-11-02" is a date. '
        "Send a date-time such as 2026-11-02T00:00:00Z."
    )
    assert body[3]["details"][0]["message"] == 'attributes.day holds dates; "soon" is text.'


@pytest.mark.parametrize(
    ("attributes", "field", "words"),
    [
        ({f"k{n}": n for n in range(51)}, "attributes", "51 keys; at most 50"),
        ({"1abc": 1}, "attributes.1abc", "starts with a letter"),
        ({"a-b": 1}, "attributes.a-b", "starts with a letter"),
        ({"k" * 65: 1}, "attributes." + "k" * 65, "at most 64"),
        ({"note": "x" * 1001}, "attributes.note", "1,001 characters; at most 1,000"),
        ({"tags": [f"t{n}" for n in range(101)]}, "attributes.tags", "101 elements"),
        ({"tags": ["x" * 101]}, "attributes.tags[0]", "a tag has at most 100"),
        ({"tags": ["a", 2]}, "attributes.tags[1]", "holds text only"),
        ({"tags": [["a"]]}, "attributes.tags[0]", "holds text only"),
        ({"address": {"city": "Berlin"}}, "attributes.address", "do not nest"),
        ({"day": "2026-02-30"}, "attributes.day", "not a calendar date"),
        ({"at": "2026-02-03T10:00:00"}, "attributes.at", "no time zone"),
        ({"big": 2**60}, "attributes.big", "2^53"),
        (
            {f"k{n}": "x" * 900 for n in range(20)},
            "attributes",
            f"at most {ATTRIBUTES_MAX_BYTES:,} are allowed",
        ),
    ],
)
def test_limits(app, api, attributes, field, words):
    body = put(api, [{"id": "c1", "attributes": attributes}, {"id": "c2", "attributes": []}])
    assert body[0]["code"] == 400
    assert [d["field"] for d in body[0]["details"]] == [field]
    assert words in body[0]["details"][0]["message"]
    assert body[1]["code"] == 400
    assert body[1]["details"][0]["field"] == "attributes"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 0
        assert db.session.scalar(select(func.count()).select_from(AttributeKey)) == 0


def test_attribute_problems_come_with_the_record_s_other_problems(api):
    body = put(api, [{"id": "c1", "firstName": 5, "attributes": {"tags": [1]}}])
    assert [d["field"] for d in body[0]["details"]] == ["firstName", "attributes.tags[0]"]


def test_non_finite_number(api):
    raw = '[{"id": "c1", "attributes": {"score": NaN}}]'
    response = api.put(
        "/directory/customers", data=raw, headers={"Content-Type": "application/json"}
    )
    if response.status_code == 207:
        assert response.get_json()[0]["code"] == 400
    else:
        assert response.status_code == 400


def test_keys_are_per_tenant(api, make_api, other_tenant):
    put(api, [customer("c1", tier=1)])
    other = make_api(tenant=other_tenant)
    body = put(other, [customer("c1", tier="gold")])
    assert body[0]["code"] == 201
    assert other.get("/directory/attributes").get_json() == [
        {"owner": "customer", "key": "tier", "type": "string", "examples": ["gold"]}
    ]
    assert api.get("/directory/attributes").get_json()[0]["type"] == "number"


def test_customer_and_legal_entity_keys_are_apart(api):
    put(api, [customer("c1", size=1)])
    body = put(
        api, [{"id": "le1", "name": "Acme", "attributes": {"size": "large"}}], "legal-entities"
    )
    assert body[0]["code"] == 201


def test_served_schema_describes_attributes(client):
    doc = client.get("/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    for name in ("DirectoryCustomer", "DirectoryLegalEntity"):
        ref = schemas[name]["properties"]["attributes"]["$ref"]
        assert ref == "#/components/schemas/DirectoryAttributes"
    attributes = schemas["DirectoryAttributes"]
    assert attributes["maxProperties"] == 50
    assert "/customer-segment/{tenant}/directory/attributes" in doc["paths"]
    assert json.dumps(attributes)  # serializable as served


@pytest.mark.parametrize("name", ["DirectoryCustomer", "DirectoryLegalEntity"])
def test_the_schema_agrees_with_the_checks(name):
    base = {"id": "r1", "name": "Acme"} if name == "DirectoryLegalEntity" else {"id": "r1"}
    schema = record_schema(name)
    assert conforms(schema, {**base, "attributes": CANONICAL})
    for refused in (
        {f"k{n}": n for n in range(51)},
        {"note": "x" * 1001},
        {"tags": [1]},
        {"tags": ["x" * 101]},
        {"address": {"city": "Berlin"}},
    ):
        assert not conforms(schema, {**base, "attributes": refused})
