"""Who may use the directory API: a token is needed for every operation, the read and
manage scopes are kept apart, and neither another tenant's token nor a storefront customer's
token gets in."""

from __future__ import annotations

import pytest

from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from tests.api.directory_support import COLLECTIONS, CUSTOMER, SAMPLES, codes, put
from tests.factories import OTHER_TENANT


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_operation_needs_a_token(client, tenant, collection):
    base = f"/customer-segment/{tenant}/directory/{collection}"
    for method, path in [
        ("GET", base),
        ("PUT", base),
        ("GET", base + "/x"),
        ("DELETE", base + "/x"),
    ]:
        response = client.open(path, method=method, json=[])
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_scopes_separate_reading_from_writing(make_api, collection):
    reader = make_api(scopes=(SCOPE_READ,))
    writer = make_api(scopes=(SCOPE_MANAGE,))
    assert put(reader, collection, []).status_code == 403
    assert reader.delete(f"/directory/{collection}/x").status_code == 403
    assert "segment_manage" in put(reader, collection, []).get_json()["message"]
    assert codes(put(writer, collection, [SAMPLES[collection]])) == [201]
    assert writer.get(f"/directory/{collection}").status_code == 403
    assert writer.get(f"/directory/{collection}/x").status_code == 403
    assert reader.get(f"/directory/{collection}").status_code == 200


def test_another_tenants_token_is_forbidden(make_api, tenant, other_tenant):
    stranger = make_api(tenant=OTHER_TENANT)
    stranger.tenant = tenant
    assert stranger.get("/directory/customers").status_code == 403
    assert put(stranger, "customers", [CUSTOMER]).status_code == 403
    assert stranger.delete("/directory/customers/c1").status_code == 403


def test_a_storefront_customer_token_cannot_read_the_directory(api, client, make_client, cli):
    put(api, "customers", [CUSTOMER])
    result = cli.invoke(
        args=["customers", "set-password", "--tenant", api.tenant, "c1"], input="long enough\n"
    )
    assert result.exit_code == 0, result.output
    creds = make_client(scopes=(SCOPE_READ_OWN,), grants=("password",))
    token = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": CUSTOMER["email"], "password": "long enough"},
        headers={"Authorization": creds.basic},
    ).get_json()["access_token"]
    response = client.get(
        f"/customer-segment/{api.tenant}/directory/customers",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
