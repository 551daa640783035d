"""Validating directory records on PUT /directory/<collection>: each field of each kind is
checked and a refused record names the field and rule in its 207 entry; the fast shape check
never lets through what the JSON schema refuses; passwords, nulls and NUL characters."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments_app.errors import ValidationFailed
from segments_app.services.directory import KINDS
from segments_app.services.directory.shape import known_properties, record_schema
from segments_app.services.validation import conforms, validate
from tests.api.directory_support import CUSTOMER, SAMPLES, codes, entries, put, stored


@pytest.mark.parametrize(
    ("collection", "record", "field", "type_"),
    [
        ("customers", {"id": ""}, "id", "minLength"),
        ("customers", {"id": "x" * 256}, "id", "maxLength"),
        ("customers", {"id": "a b"}, "id", "pattern"),
        ("customers", {"id": 7}, "id", "type"),
        ("customers", {"id": "c1", "firstName": 5}, "firstName", "type"),
        ("customers", {"id": "c1", "lastName": "x" * 201}, "lastName", "maxLength"),
        ("customers", {"id": "c1", "email": "not-an-email"}, "email", "format"),
        ("customers", {"id": "c1", "legalEntityIds": ["a", "a"]}, "legalEntityIds", "uniqueItems"),
        ("customers", {"id": "c1", "legalEntityIds": "le1"}, "legalEntityIds", "type"),
        ("customers", {"id": "c1", "metadata": {"version": 0}}, "metadata.version", "minimum"),
        ("customers", {"id": "c1", "nickname": "J"}, "nickname", "unknown"),
        ("legal-entities", {"id": "le1"}, "name", "required"),
        ("legal-entities", {"id": "le1", "name": ""}, "name", "minLength"),
        ("categories", {"id": "k"}, "name", "required"),
        ("categories", {"id": "k", "name": {}}, "name", "minProperties"),
        ("categories", {"id": "k", "name": {"fr": "Chaussures"}}, "name.fr", "language"),
        ("categories", {"id": "k", "name": {"en": "K"}, "position": -1}, "position", "minimum"),
        ("categories", {"id": "k", "name": {"en": "K"}, "published": "yes"}, "published", "type"),
        ("categories", {"id": "k", "name": {"en": "K"}, "parentId": "a/b"}, "parentId", "pattern"),
        (
            "categories",
            {"id": "k", "name": {"en": "K"}, "validity": {"from": "tomorrow"}},
            "validity.from",
            "format",
        ),
        (
            "categories",
            {
                "id": "k",
                "name": {"en": "K"},
                "validity": {"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"},
            },
            "validity.from",
            "range",
        ),
        ("products", {"id": "p", "name": {"en": "P"}, "categoryIds": [""]}, "categoryIds.0", None),
        ("products", {"id": "p", "name": {"en": "P"}, "code": 12}, "code", "type"),
    ],
)
def test_each_field_is_validated_with_details(api, collection, record, field, type_):
    (entry,) = entries(put(api, collection, [record]))
    assert entry["code"] == 400, entry
    assert field in [d["field"] for d in entry["details"]], entry
    if type_:
        assert type_ in [d["type"] for d in entry["details"] if d["field"] == field], entry
    assert api.get(f"/directory/{collection}").get_json() == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=6,
)


PLAUSIBLE = {
    "id": ["c1", "", "a b", "x" * 256, 1],
    "parentId": ["root", "a/b", ""],
    "name": [{"en": "N"}, {}, {"en": ""}, {"en": 1}, "Acme", "", "x" * 501],
    "email": ["a@b.co", "x" * 321, ""],
    "position": [0, 1.0, -1, True, 2**31, "1"],
    "published": [True, 0, "true"],
    "ecn": [["e"], [1], "e"],
    "validity": [{"from": "2024-01-01T00:00:00Z"}, {"to": "soon"}, {"from": 1}],
    "legalEntityIds": [["a"], ["a", "a"], [1], [], ["a/b"]],
    "categoryIds": [["a"], ["a", "a"], [""]],
    "metadata": [{"version": 1}, {"version": 0}, {"version": 1.0}, {"version": True}],
}


def _near_valid(schema: str, sample: dict) -> st.SearchStrategy[dict]:
    """`sample` with a few of its fields replaced, removed or added, plausibly or not."""
    keys = [*known_properties(schema), "other"]
    value = {key: st.sampled_from(PLAUSIBLE.get(key, ["x"])) | JSON for key in keys}
    change = st.sampled_from(keys).flatmap(
        lambda key: st.tuples(st.just(key), st.none() | value[key])
    )

    def apply(changes: list) -> dict:
        doc = dict(sample)
        for key, new in changes:
            if new is None:
                doc.pop(key, None)
            else:
                doc[key] = new
        return doc

    return st.lists(change, max_size=3).map(apply)


@pytest.mark.parametrize("schema", [kind.schema for kind in KINDS.values()])
def test_the_fast_shape_check_never_accepts_what_the_schema_refuses(schema):
    name = record_schema(schema)

    def fast(doc: dict) -> bool:
        return conforms(name, doc)

    sample = SAMPLES[next(k.collection for k in KINDS.values() if k.schema == schema)]
    assert fast(sample)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_near_valid(schema, sample))
    def check(doc):
        if fast(doc):
            try:
                validate(schema, doc)
            except ValidationFailed as exc:  # pragma: no cover - the failure being tested for
                pytest.fail(f"fast check accepted {doc!r}: {exc.details}")

    check()


def test_a_password_is_refused_with_a_message_that_says_how_to_set_one(api):
    (entry,) = entries(put(api, "customers", [{**CUSTOMER, "password": "secret123"}]))
    assert entry["code"] == 400
    assert entry["details"][0]["field"] == "password"
    assert "customers set-password" in entry["message"]


def test_nulls_mean_absent(api):
    record = {**CUSTOMER, "firstName": None, "metadata": None}
    assert codes(put(api, "customers", [record])) == [201]
    assert "firstName" not in stored(api, "customers", "c1")


def test_an_id_with_a_nul_character_is_refused_with_its_field(api, tenant):
    """PostgreSQL text cannot hold NUL: the record is refused by name, the others written."""
    body = [
        {"id": "fine", "name": "Fine GmbH"},
        {"id": "bad\u0000id", "name": "Bad GmbH"},
        {"id": "linked", "legalEntityIds": ["le\u0000x"]},
    ]
    entities = api.put("/directory/legal-entities", json=body[:2])
    assert entities.status_code == 207, entities.get_json()
    first, second = entities.get_json()
    assert first["code"] == 201
    assert second["code"] == 400 and "NUL" in second["message"]
    customers = api.put("/directory/customers", json=body[2:])
    assert customers.get_json()[0]["code"] == 400
    assert "legalEntityIds[0]" in customers.get_json()[0]["message"]
    assert api.get("/directory/legal-entities/fine").status_code == 200
