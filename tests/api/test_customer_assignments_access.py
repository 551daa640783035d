"""Who may read and write a segment's customer assignments: a token is needed, the read and
manage scopes are kept apart, another tenant is refused, and a storefront customer's token sees
only its own assignments of segments in effect (and may not search or write)."""

from __future__ import annotations

import pytest

from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from tests.api.directory_support import customers_of
from tests.apis import customer_api


def test_without_a_token_is_401(client, tenant, people, segment):
    response = client.get("/customer-segment/acme/segments/gold/customers")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["code"] == 401


def test_scopes_decide_reads_and_writes(make_api, people, segment):
    reader = make_api(scopes=(SCOPE_READ,))
    writer = make_api(scopes=(SCOPE_MANAGE,))
    assert reader.put("/segments/gold/customers/ann").status_code == 403
    assert reader.put("/segments/gold/customers/bulk", json=[]).status_code == 403
    assert reader.delete("/segments/gold/customers/ann").status_code == 403
    assert writer.put("/segments/gold/customers/ann").status_code == 201
    response = writer.get("/segments/gold/customers")
    assert response.status_code == 403 and "Missing scope" in response.get_json()["message"]
    assert writer.get("/segments/gold/customers/ann").status_code == 403
    assert reader.get("/segments/gold/customers/ann").status_code == 200


def test_another_tenants_token_is_403(make_api, other_tenant, people, segment):
    stranger = make_api(tenant=other_tenant)
    stranger.tenant = "acme"
    assert stranger.get("/segments/gold/customers").status_code == 403


@pytest.fixture
def bob(client, make_client, people):
    return customer_api(client, make_client, "bob@example.org", "bob-secret")


def test_customer_token_sees_only_its_own_assignments_of_its_effective_segments(
    api, bob, make_segment, people
):
    make_segment(id="gold")
    make_segment(id="dormant", status="INACTIVE")
    make_segment(id="past", validity={"to": "2020-01-01T00:00:00.000Z"})
    make_segment(id="other")
    for segment_id in ("gold", "dormant", "past"):
        api.put(f"/segments/{segment_id}/customers/bob")
    api.put("/segments/gold/customers/bob/acme-le")
    api.put("/segments/gold/customers/ann")
    api.put("/segments/other/customers/ann")

    assert customers_of(bob, "gold") == [("bob", None), ("bob", "acme-le")]
    got = customers_of(bob, "gold", query_string={"q": "legalEntity.id:acme-le"})
    assert got == [("bob", "acme-le")]
    for segment_id in ("dormant", "past", "other", "nope"):
        response = bob.get(f"/segments/{segment_id}/customers")
        assert response.status_code == 404, segment_id
        assert response.get_json()["resourceId"] == segment_id


def test_customer_token_legal_entity_picks_which_b2b_assignments_count(api, bob, make_segment):
    make_segment(id="acme-deals")
    api.put("/segments/acme-deals/customers/bob/acme-le")
    assert customers_of(bob, "acme-deals") == [("bob", "acme-le")]
    query = {"legalEntityId": "acme-le"}
    assert customers_of(bob, "acme-deals", query_string=query) == [("bob", "acme-le")]
    response = bob.get("/segments/acme-deals/customers", query_string={"legalEntityId": "beta-le"})
    assert response.status_code == 404
    response = bob.get("/segments/acme-deals/customers", query_string={"legalEntityId": "zeta"})
    assert response.status_code == 400


def test_customer_token_cannot_search_read_one_or_write(api, bob, segment):
    api.put("/segments/gold/customers/bob")
    assert bob.post("/segments/gold/customers/search", json={}).status_code == 403
    assert bob.get("/segments/gold/customers/bob").status_code == 403
    assert bob.get("/segments/gold/customers/bob/acme-le").status_code == 403
    assert bob.put("/segments/gold/customers/bob").status_code == 403
    assert bob.delete("/segments/gold/customers/bob").status_code == 403
    assert bob.put("/segments/gold/customers/bulk", json=[]).status_code == 403
    assert bob.delete("/segments/gold/customers/bulk", json=[]).status_code == 403
