"""Segment documents are written by the database (query.jsonout): what comes out must be exactly
the contract's document, whatever the stored values hold."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update

from segments_app.extensions import db
from segments_app.models import Segment
from segments_app.services.segment_document import document
from segments_app.services.segment_listing import DocumentCache

AWKWARD = {
    "name": {"en": 'Quote " backslash \\ tab \t </script>', "de": "Grüße ✓ 🎉"},
    "description": {"en": "line\nbreak", "de": "\u2028 separator"},
    "siteCode": "main",
    "status": "ACTIVE",
    "validity": {"from": "2025-01-02T03:04:05.678Z"},
    "mixins": {"nothing": None, "deep": {"list": [1, None, 'x"y', 2.5, True, {}]}, "empty": {}},
    "metadata": {"mixins": {"deep": "https://example.com/schemas/deep.json"}},
}


def _store(app, segment_id: str, **values) -> None:
    with app.app_context():
        db.session.execute(update(Segment).where(Segment.id == segment_id).values(**values))
        db.session.commit()


def test_awkward_values_come_back_exactly(app, api):
    assert api.put("/segments/odd", json=AWKWARD).status_code == 201
    _store(
        app,
        "odd",
        created_at=datetime(2024, 2, 29, 23, 59, 59, 999999),
        modified_at=datetime(2024, 3, 1, 0, 0, 0),
    )
    doc = api.get("/segments/odd").get_json()
    assert doc == {
        "id": "odd",
        "name": AWKWARD["name"],
        "description": AWKWARD["description"],
        "validity": {"from": "2025-01-02T03:04:05.678Z"},
        "status": "ACTIVE",
        "siteCode": "main",
        "mixins": AWKWARD["mixins"],
        "metadata": {
            "version": 1,
            # milliseconds are cut, never rounded up into the next day
            "createdAt": "2024-02-29T23:59:59.999Z",
            "modifiedAt": "2024-03-01T00:00:00.000Z",
            "mixins": AWKWARD["metadata"]["mixins"],
        },
    }
    listed = api.get("/segments?q=id:odd").get_json()
    assert listed == [doc]
    # a plain json.loads of the raw body reads the same document (no lenient parsing needed)
    assert json.loads(api.get("/segments/odd").get_data(as_text=True)) == doc


def test_absent_and_empty_members_are_left_out(app, api):
    body = {"name": {"en": "Bare"}, "siteCode": "main"}
    assert api.put("/segments/bare", json=body).status_code == 201
    _store(app, "bare", description={}, metadata_mixins={}, valid_to=datetime(2030, 1, 1))
    doc = api.get("/segments/bare").get_json()
    assert set(doc) == {"id", "name", "validity", "status", "siteCode", "metadata"}
    assert doc["validity"] == {"to": "2030-01-01T00:00:00.000Z"}
    assert set(doc["metadata"]) == {"version", "createdAt", "modifiedAt"}
    _store(app, "bare", valid_to=None, mixins={})
    doc = api.get("/segments/bare").get_json()
    assert "validity" not in doc
    assert doc["mixins"] == {}  # an empty mixins object is the client's, and kept


def test_languages_and_fields_shape_the_stored_document(api):
    assert api.put("/segments/odd", json=AWKWARD).status_code == 201
    german = api.get("/segments/odd", headers={"Accept-Language": "de"}).get_json()
    assert german["name"] == {"de": "Grüße ✓ 🎉"}
    assert german["mixins"] == AWKWARD["mixins"]
    response = api.get(
        "/segments?fields=name", headers={"Accept-Language": "en-US", "X-Total-Count": "true"}
    )
    assert response.get_json() == [{"id": "odd", "name": {"en": AWKWARD["name"]["en"]}}]
    assert response.headers["X-Total-Count"] == "1"


def test_patch_starts_from_the_stored_document(api):
    assert api.put("/segments/odd", json=AWKWARD).status_code == 201
    response = api.patch(
        "/segments/odd",
        json=[{"op": "replace", "path": "/mixins/deep/list/1", "value": "filled"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert response.status_code == 204, response.get_json()
    doc = api.get("/segments/odd").get_json()
    assert doc["mixins"]["deep"]["list"] == [1, "filled", 'x"y', 2.5, True, {}]
    assert doc["mixins"]["nothing"] is None
    assert doc["validity"] == AWKWARD["validity"]
    assert doc["metadata"]["version"] == 2


def test_a_listing_shows_each_write_at_once_though_it_keeps_documents(app, api):
    # listings keep the documents they have read (services.segment_listing.DOCUMENTS), by version
    assert (
        api.put("/segments/kept", json={"name": {"en": "First"}, "siteCode": "main"}).status_code
        == 201
    )
    assert [d["name"] for d in api.get("/segments?q=id:kept").get_json()] == [{"en": "First"}]
    assert api.patch("/segments/kept", json={"name": {"en": "Second"}}).status_code == 204
    listed = api.get("/segments?q=id:kept").get_json()
    assert [(d["name"], d["metadata"]["version"]) for d in listed] == [({"en": "Second"}, 2)]
    # deleted and made again under the same id: version 1 again, yet a new document
    assert api.delete("/segments/kept").status_code == 204
    assert api.get("/segments?q=id:kept").get_json() == []
    assert (
        api.put("/segments/kept", json={"name": {"en": "Third"}, "siteCode": "main"}).status_code
        == 201
    )
    listed = api.get("/segments?q=id:kept").get_json()
    assert [(d["name"], d["metadata"]["version"]) for d in listed] == [({"en": "Third"}, 1)]
    assert listed == [api.get("/segments/kept").get_json()]


def test_the_kept_documents_are_bounded():
    cache = DocumentCache(size=10)
    cache.put([((pk, 1, None), f"doc {pk}") for pk in range(25)])
    assert len(cache) <= 10
    assert cache.get((24, 1, None)) == "doc 24"
    assert cache.get((0, 1, None)) is None


def test_python_writes_the_document_the_database_writes(app, api):
    # a PATCH starts from the Python rendering, the API answers with the database's
    assert api.put("/segments/odd", json=AWKWARD).status_code == 201
    assert api.put("/segments/bare", json={"name": {"en": "B"}, "siteCode": "main"}).status_code
    _store(app, "odd", created_at=datetime(2024, 2, 29, 23, 59, 59, 999999))
    _store(app, "bare", description={}, metadata_mixins={}, valid_to=datetime(2030, 1, 1))
    with app.app_context():
        for segment in db.session.scalars(select(Segment)):
            assert document(segment) == api.get(f"/segments/{segment.id}").get_json()
