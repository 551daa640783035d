"""One segment through the contract's create and read operations: generated and custom ids,
the 404 and 409 answers, validation that lists every bad field, localized strings in and out
(conventions.md), and JSON errors outside the segment routes."""

from __future__ import annotations

import re

import pytest

from tests.api.segments_support import GOLD
from tests.api.segments_support import detail_fields as _detail_fields

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


# --- JSON errors outside the segment routes ----------------------------------------------------


def test_unknown_api_path_is_json_404(api):
    response = api.get("/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_method_not_allowed_is_json(api):
    response = api.request("PATCH", "/segments")
    assert response.status_code == 405
    assert response.get_json()["code"] == 405
