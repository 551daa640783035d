"""The token endpoint and the bearer check in front of every API route."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from segments_app.extensions import db
from segments_app.models import AccessToken
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from segments_app.models.types import utcnow
from tests.apis import Api
from tests.factories import add_customer, directory


def _token(client, creds, **data):
    form = {"grant_type": "client_credentials", **data}
    return client.post("/oauth/token", data=form, headers={"Authorization": creds.basic})


def test_client_credentials_with_basic_auth(client, tenant, make_client):
    creds = make_client(scopes=(SCOPE_MANAGE, SCOPE_READ))
    response = _token(client, creds)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {SCOPE_MANAGE, SCOPE_READ}
    assert len(body["access_token"]) >= 40
    assert response.headers["Cache-Control"] == "no-store"


def test_client_secret_post(client, tenant, make_client):
    creds = make_client()
    response = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert response.status_code == 200
    assert response.get_json()["access_token"]


def test_scope_can_be_narrowed_but_not_widened(client, tenant, make_client):
    creds = make_client(scopes=(SCOPE_READ,))
    narrowed = _token(client, creds, scope=SCOPE_READ)
    assert narrowed.status_code == 200
    assert narrowed.get_json()["scope"] == SCOPE_READ
    widened = _token(client, creds, scope=f"{SCOPE_READ} {SCOPE_MANAGE}")
    assert widened.status_code == 400
    assert widened.get_json()["error"] == "invalid_scope"


def test_wrong_secret_is_an_oauth_error(client, tenant, make_client):
    creds = make_client()
    creds.client_secret = "not-the-secret"
    response = _token(client, creds)
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"


def test_unsupported_grant(client, tenant, make_client):
    creds = make_client()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code"},
        headers={"Authorization": creds.basic},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "unsupported_grant_type"


def test_password_grant_needs_a_password_client(client, tenant, make_client):
    creds = make_client()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "a@b.c", "password": "x"},
        headers={"Authorization": creds.basic},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "unauthorized_client"


def test_plain_http_outside_localhost_is_an_oauth_error_not_a_500(client, tenant, make_client):
    creds = make_client()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": creds.basic},
        base_url="http://segments.example.com",
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "insecure_transport"


def test_tokens_are_stored_as_digests(app, client, tenant, make_client):
    token = _token(client, make_client()).get_json()["access_token"]
    with app.app_context():
        stored = db.session.scalars(sa.select(AccessToken.token_hash)).all()
    assert stored and token not in stored
    assert all(len(h) == 64 for h in stored)


def test_missing_token_is_401_with_contract_body(client, tenant):
    response = Api(client, None).get("/segments")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.get_json()
    assert body["code"] == 401 and body["status"] == "Unauthorized" and body["message"]


def test_invalid_token_is_401(client, tenant):
    response = Api(client, "made-up-token").get("/segments")
    assert response.status_code == 401
    assert response.get_json()["code"] == 401
    assert "WWW-Authenticate" in response.headers


def test_expired_token_is_401(app, client, tenant, make_token):
    token = make_token()
    with app.app_context():
        db.session.execute(
            sa.update(AccessToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = Api(client, token).get("/segments")
    assert response.status_code == 401
    assert "expired" in response.get_json()["message"]


def test_revoking_a_client_stops_its_tokens_at_once(client, cli, tenant, make_client):
    creds = make_client()
    token = _token(client, creds).get_json()["access_token"]
    api = Api(client, token)
    assert api.get("/segments").status_code == 200
    result = cli.invoke(args=["api-clients", "revoke", creds.client_id])
    assert result.exit_code == 0, result.output
    assert api.get("/segments").status_code == 401
    assert _token(client, creds).status_code == 401


def test_missing_scope_is_403(make_api):
    reader = make_api(scopes=(SCOPE_READ,))
    response = reader.post("/segments", json={"name": {"en": "x"}, "siteCode": "main"})
    assert response.status_code == 403
    assert response.get_json()["code"] == 403
    assert SCOPE_MANAGE in response.get_json()["message"]


def test_manage_alone_cannot_read(make_api):
    writer = make_api(scopes=(SCOPE_MANAGE,))
    assert writer.get("/segments").status_code == 403


def test_other_tenant_token_is_403_and_reveals_nothing(
    client, tenant, other_tenant, make_api, make_segment
):
    segment_id = make_segment()
    outsider = make_api(tenant=other_tenant)
    outsider.tenant = tenant
    existing = outsider.get(f"/segments/{segment_id}")
    missing = outsider.get("/segments/no-such-segment")
    assert existing.status_code == missing.status_code == 403
    assert existing.get_json() == missing.get_json()


def test_malformed_tenant_is_400(api):
    api.tenant = "Bad-Tenant"
    response = api.get("/segments")
    assert response.status_code == 400
    assert "Tenant" in response.get_json()["message"]


def test_emporix_tenant_header_must_agree(api):
    response = api.get("/segments", headers={"Emporix-Tenant": "other"})
    assert response.status_code == 400
    assert api.get("/segments", headers={"Emporix-Tenant": "acme"}).status_code == 200


def test_read_own_is_only_for_customer_tokens(cli, tenant):
    result = cli.invoke(
        args=["api-clients", "create", "--tenant", "acme", "--scope", SCOPE_READ_OWN]
    )
    assert result.exit_code != 0
    assert "password grant" in result.output


def test_cli_refuses_a_password_client_without_read_own(cli, tenant):
    result = cli.invoke(
        args=[
            "api-clients",
            "create",
            "--tenant",
            "acme",
            "--scope",
            SCOPE_READ,
            "--grant",
            "password",
        ]
    )
    assert result.exit_code != 0
    assert SCOPE_READ_OWN in result.output


def test_cli_refuses_unknown_tenant(cli, app):
    result = cli.invoke(args=["api-clients", "create", "--tenant", "nobody", "--scope", SCOPE_READ])
    assert result.exit_code != 0
    assert "No tenant" in result.output


def test_client_ids_are_plain_letters_and_digits_so_the_cli_takes_them():
    from segments_app.services.accounts import new_client_id

    ids = {new_client_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 24 and i.isascii() and i.isalnum() for i in ids)


def _password_grant(client, creds, username: str, password: str, address: str = "10.1.1.1"):
    return client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers={"Authorization": creds.basic},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_password_grant_is_throttled_alike_for_known_and_unknown_customers(
    app, client, tenant, make_client
):
    with directory(app):
        add_customer("acme", "c1", "shopper@acme.example", password="shopper's password")
    creds = make_client(scopes=(SCOPE_READ_OWN,), grants=("password",))
    answers = {}
    for login in ("shopper@acme.example", "nobody@acme.example"):
        answers[login] = [
            _password_grant(client, creds, login, "a guess", address=f"10.1.1.{len(answers)}")
            for _ in range(7)
        ]
    for login, responses in answers.items():
        assert [r.status_code for r in responses] == [400] * 5 + [429] * 2, login
        assert responses[-1].get_json()["error"] == "invalid_grant"
        assert responses[-1].get_json()["error_description"].startswith("Too many attempts.")
        assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60
    known, unknown = answers.values()
    assert [r.get_json() for r in known[:5]] == [r.get_json() for r in unknown[:5]]

    refused = _password_grant(
        client, creds, "SHOPPER@acme.example", "shopper's password", "10.1.1.0"
    )
    assert refused.status_code == 429  # the right password waits too, at that address
    elsewhere = _password_grant(
        client, creds, "shopper@acme.example", "shopper's password", "10.2.2.2"
    )
    assert elsewhere.status_code == 200


def test_many_customers_failing_from_one_storefront_do_not_hold_the_others_back(
    app, client, tenant, make_client, monkeypatch
):
    """A storefront's server signs every customer in from one address: the password grant has
    no limit per address alone."""
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_ATTEMPTS", 3)
    with directory(app):
        add_customer("acme", "c1", "shopper@acme.example", password="shopper's password")
    creds = make_client(scopes=(SCOPE_READ_OWN,), grants=("password",))
    for n in range(8):
        assert _password_grant(client, creds, f"c{n}@acme.example", "typo").status_code == 400
    right = _password_grant(client, creds, "shopper@acme.example", "shopper's password")
    assert right.status_code == 200
