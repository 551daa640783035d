"""`fields=` on the directory's reads: a projection keeps `id` and what was asked for (as on
GET /segments), and the served document describes exactly that answer, so a client generated
from it (or schemathesis) takes `?fields=,` as well as a full record."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

RECORDS = {
    "legal-entities": {"id": "le1", "name": "Globex"},
    "categories": {"id": "c1", "code": "C1", "name": {"en": "Shoes"}},
    "products": {"id": "p1", "code": "P1", "name": {"en": "Boot"}, "categoryIds": ["c1"]},
    "customers": {"id": "ann", "email": "ann@example.com"},
}


def _validator(doc: dict, path: str, single: bool) -> jsonschema.Draft4Validator:
    """A validator of the 200 answer the served document gives for GET `path`."""
    full = f"/customer-segment/{{tenant}}/directory/{path}" + ("/{id}" if single else "")
    schema = doc["paths"][full]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return jsonschema.Draft4Validator({**schema, "components": doc["components"]})


@pytest.mark.parametrize("collection", list(RECORDS))
def test_projected_records_keep_to_the_served_document(api, client, collection):
    for name, record in RECORDS.items():
        assert api.put(f"/directory/{name}", json=[record]).status_code == 207
    doc = client.get("/openapi.json").get_json()
    record_id = RECORDS[collection]["id"]
    listed = _validator(doc, collection, single=False)
    one = _validator(doc, collection, single=True)
    for fields in ("", ",", "id", "metadata.version"):
        query: dict[str, Any] = {"fields": fields} if fields else {}
        page = api.get(f"/directory/{collection}", query_string=query)
        record = api.get(f"/directory/{collection}/{record_id}", query_string=query)
        assert page.status_code == record.status_code == 200, fields
        listed.validate(page.get_json())
        one.validate(record.get_json())
        if fields:  # the id, and only what was asked for
            assert set(record.get_json()) <= {"id", "metadata"}, fields
            assert record.get_json()["id"] == record_id


def test_a_record_written_still_needs_its_name(client):
    """The request bodies keep their required fields: only the answers are projections."""
    doc = client.get("/openapi.json").get_json()
    for name in ("DirectoryLegalEntity", "DirectoryCategory", "DirectoryProduct"):
        assert doc["components"]["schemas"][name]["required"] == ["id", "name"]
        assert doc["components"]["schemas"][f"{name}Document"]["required"] == ["id"]
