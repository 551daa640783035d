"""Changing and removing one segment: PUT as upsert and its optimistic versions, JSON Patch and
merge patch (validated as a whole), and DELETE, which needs forceDelete while assignments exist."""

from __future__ import annotations

import pytest

from tests.api.segments_support import GOLD
from tests.api.segments_support import assign_something as _assign_something
from tests.api.segments_support import assignment_count as _assignment_count
from tests.api.segments_support import detail_fields as _detail_fields

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
