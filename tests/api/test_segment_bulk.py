"""The bulk segment operations: multi-status answers in request order for create, upsert and
delete, the 200-element limit, and the literal paths that no segment id can shadow."""

from __future__ import annotations

import re

import pytest

from tests.api.segments_support import GOLD
from tests.api.segments_support import assign_something as _assign_something
from tests.api.segments_support import assignment_count as _assignment_count

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
