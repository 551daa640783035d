"""Helpers shared by the directory API tests and the customer-assignment API tests.

For /directory/<collection>: one sample record of each kind (and a change a replace must
store), writing records with PUT and reading the per-record 207 answer, and reading records
back one at a time or as a list. For /segments/<id>/customers: a mixins payload and the
assignments of a segment as (customer id, legal entity id) pairs."""

from __future__ import annotations

CUSTOMER = {"id": "c1", "firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}
SAMPLES = {
    "customers": CUSTOMER,
    "legal-entities": {"id": "le1", "name": "Acme Ltd"},
    "categories": {"id": "cat1", "name": {"en": "Shoes", "de": "Schuhe"}, "code": "SHOES"},
    "products": {"id": "p1", "code": "P-1", "name": {"en": "Boot"}, "categoryIds": ["cat1"]},
}
#: a change to each sample that a replace must store
CHANGES = {
    "customers": {"lastName": "Roe"},
    "legal-entities": {"name": "Acme Group"},
    "categories": {"code": "FOOTWEAR"},
    "products": {"categoryIds": ["cat1", "cat2"]},
}
COLLECTIONS = list(SAMPLES)


def put(api, collection: str, records, **kw):
    return api.put(f"/directory/{collection}", json=records, **kw)


def entries(response) -> list[dict]:
    assert response.status_code == 207, response.get_data(as_text=True)
    body = response.get_json()
    assert [entry["index"] for entry in body] == list(range(len(body)))
    return body


def codes(response) -> list[int]:
    return [entry["code"] for entry in entries(response)]


def stored(api, collection: str, record_id: str, **kw) -> dict:
    response = api.get(f"/directory/{collection}/{record_id}", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def listed(api, collection: str, query: str = "", **kw) -> list[str]:
    response = api.get(f"/directory/{collection}{query}", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [doc["id"] for doc in response.get_json()]


def cat(category_id: str, parent: str | None = None) -> dict:
    record: dict = {"id": category_id, "name": {"en": category_id.title()}}
    if parent is not None:
        record["parentId"] = parent
    return record


MIXINS = {"segmentAttributes": {"membershipStatus": "PREMIUM"}}


def customers_of(api, segment_id, **kw) -> list[tuple[str, str | None]]:
    response = api.get(f"/segments/{segment_id}/customers", **kw)
    assert response.status_code == 200, response.get_json()
    return [(d["customer"]["id"], d.get("legalEntity", {}).get("id")) for d in response.get_json()]
