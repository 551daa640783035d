"""Bounded sizes of what a client stores (issue 11, item 7): names, descriptions, ids, mixins,
assignment mixins, directory records and match bodies each have a limit, and a value past it
is a 400 whose details name the field and the limit, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import time

import pytest

from segments_app.limits import ARRAY_MAX_ITEMS, MATCH_ITEMS_MAX
from tests.factories import add_customer, add_product, directory


def _details(response) -> dict[str, str]:
    body = response.get_json()
    assert response.status_code == 400, body
    return {d["field"]: d["type"] for d in body["details"]}


def test_a_10_mb_name_is_refused_with_details(api, app, monkeypatch):
    # within a raised body limit, the name's own limit answers
    monkeypatch.setitem(app.config, "API_JSON_MAX_BYTES", 64 * 1024 * 1024)
    response = api.post(
        "/segments", json={"name": {"en": "x" * 10_000_000}, "siteCode": "main", "id": "big"}
    )
    assert _details(response) == {"name.en": "maxLength"}
    (detail,) = response.get_json()["details"]
    assert "at most 255 characters long; it has 10,000,000" in detail["message"]
    assert api.get("/segments/big").status_code == 404


def test_a_million_element_mixins_array_is_refused_with_details(api):
    started = time.perf_counter()
    response = api.post(
        "/segments",
        json={"id": "big", "name": {"en": "Big"}, "siteCode": "main", "mixins": {"t": [0] * 10**6}},
    )
    assert _details(response) == {"mixins.t": "maxItems"}
    (detail,) = response.get_json()["details"]
    assert "has 1,000,000 elements; at most 1,000 are allowed" in detail["message"]
    assert time.perf_counter() - started < 2
    assert api.get("/segments/big").status_code == 404


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("change", "field", "kind"),
    [
        ({"name": {"en": "x" * 256}}, "name.en", "maxLength"),
        ({"description": {"en": "x" * 4001}}, "description.en", "maxLength"),
        ({"name": {f"l{n}": "x" for n in range(51)}}, "name", "maxProperties"),
        ({"siteCode": "s" * 256}, "siteCode", "maxLength"),
        ({"id": "i" * 256}, "id", "maxLength"),
        ({"mixins": _deep(9)}, "mixins.a.a.a.a.a.a.a.a", "maxDepth"),
        ({"mixins": {"k" * 129: 1}}, "mixins", "maxLength"),
        ({"mixins": {"text": "x" * 40_000}}, "mixins", "maxBytes"),
        (
            {"metadata": {"mixins": {f"m{n}": "https://x" for n in range(51)}}},
            "metadata.mixins",
            "maxProperties",
        ),
        (
            {"metadata": {"mixins": {"m": "https://" + "x" * 2041}}},
            "metadata.mixins.m",
            "maxLength",
        ),
    ],
)
def test_every_stored_field_has_a_limit(api, change, field, kind):
    body = {"name": {"en": "Gold"}, "siteCode": "main", **change}
    assert _details(api.post("/segments", json=body)) == {field: kind}
    at_limit = {"name": {"en": "x" * 255}, "siteCode": "s" * 255, "mixins": _deep(8)}
    assert api.post("/segments", json=at_limit).status_code == 201


def test_a_path_id_over_the_limit_is_refused(api):
    body = {"name": {"en": "Gold"}, "siteCode": "main"}
    assert _details(api.put("/segments/" + "i" * 256, json=body)) == {"id": "maxLength"}
    assert api.put("/segments/" + "i" * 255, json=body).status_code == 201


def test_assignment_mixins_are_bounded(api, app, tenant, make_segment):
    make_segment(id="gold")
    with directory(app):
        add_customer(tenant, "ann")
        add_product(tenant, "p1")
    for path in ("/segments/gold/customers/ann", "/segments/gold/items/PRODUCT/p1"):
        response = api.put(path, json={"mixins": {"tags": list(range(ARRAY_MAX_ITEMS + 1))}})
        assert _details(response) == {"mixins.tags": "maxItems"}
        assert api.put(path, json={"mixins": {"tags": [1, 2]}}).status_code == 201


@pytest.mark.parametrize(
    ("collection", "record", "field", "kind"),
    [
        ("products", {"id": "p1", "name": {"en": "x" * 256}}, "name.en", "maxLength"),
        (
            "products",
            {"id": "p1", "name": {"en": "Boot"}, "categoryIds": [f"c{n}" for n in range(1001)]},
            "categoryIds",
            "maxItems",
        ),
        (
            "customers",
            {"id": "c1", "legalEntityIds": [f"l{n}" for n in range(1001)]},
            "legalEntityIds",
            "maxItems",
        ),
        (
            "categories",
            {"id": "k1", "name": {"en": "Shoes"}, "ecn": ["e"] * 1001},
            "ecn",
            "maxItems",
        ),
        (
            "categories",
            {"id": "k1", "name": {"en": "Shoes"}, "localizedSlug": {"en": "s" * 4001}},
            "localizedSlug.en",
            "maxLength",
        ),
        ("customers", {"id": "c1", "firstName": "f" * 201}, "firstName", "maxLength"),
        ("legal-entities", {"id": "l" * 256, "name": "Acme"}, "id", "maxLength"),
    ],
)
def test_directory_records_are_bounded_on_both_databases(api, collection, record, field, kind):
    response = api.put(f"/directory/{collection}", json=[record])
    assert response.status_code == 207, response.get_json()
    (entry,) = response.get_json()
    assert entry["code"] == 400, entry
    assert {d["field"]: d["type"] for d in entry["details"]} == {field: kind}


def test_match_is_bounded(api):
    body = {"items": [{"id": "p1"}], "segmentIds": ["s"] * (ARRAY_MAX_ITEMS + 1), "site": "m"}
    assert _details(api.post("/segments/match", json=body)) == {"segmentIds": "maxItems"}
    body = {"items": [{"id": "p"}] * (MATCH_ITEMS_MAX + 1), "segmentIds": ["s"], "site": "m"}
    assert _details(api.post("/segments/match", json=body)) == {"items": "maxItems"}
