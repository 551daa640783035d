"""Settings for admins: the tenant's API clients, whose secret is shown once and works at the
token endpoint, the errors beside the form's fields, revoking a client, and other tenants'
clients kept out of sight."""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import ApiClient
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from tests.pages import hx_events


def _token(client, client_id: str, secret: str):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )


def _create_client(admin, **data) -> tuple[str, str, str]:
    """Create an API client through the page; (client id, secret, the page's text)."""
    form = {"name": "CRM sync", "scopes": [SCOPE_MANAGE, SCOPE_READ]} | data
    response = admin.post("/settings/clients", data=form)
    assert response.status_code == 201, response.text
    body = response.text
    client_id = re.search(r'id="new-client-id">([^<]+)<', body).group(1)
    secret = re.search(r'id="new-client-secret">([^<]+)<', body).group(1)
    return client_id, secret, body


def test_create_a_client_shows_the_secret_once_and_it_works(app, admin, client):
    client_id, secret, body = _create_client(admin)
    assert "shown only this once" in body
    assert f"curl -u '{client_id}:{secret}'" in body
    assert "http://localhost/oauth/token" in body

    token = _token(client, client_id, secret)
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
    assert client.get("/customer-segment/acme/segments", headers=bearer).status_code == 200

    listing = admin.get("/settings/clients").text
    assert "CRM sync" in listing
    assert client_id in listing
    assert secret not in listing
    assert re.search(r'<td class="num">1</td>', listing)


def test_create_a_client_with_htmx_reloads_the_list(admin):
    response = admin.post(
        "/settings/clients", data={"name": "Shop", "scopes": [SCOPE_READ]}, htmx=True
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert response.text.lstrip().startswith('<section class="card" id="client-add"')
    assert hx_events(response)["clients-changed"] is True


def test_a_password_grant_client_gets_the_customer_command(admin):
    _, _, body = _create_client(
        admin, name="Storefront", scopes=[SCOPE_READ_OWN], grants=["password"]
    )
    assert "grant_type=password" in body
    assert "grant_type=client_credentials" not in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "x"}, "scopes", "Choose at least one scope."),
        ({"scopes": [SCOPE_READ_OWN]}, "grants", "add the password grant"),
        ({"scopes": [SCOPE_READ], "grants": ["password"]}, "scopes", f"add {SCOPE_READ_OWN}"),
        ({"scopes": [SCOPE_READ], "name": "n" * 201}, "name", "at most 200 characters"),
    ],
)
def test_client_errors_are_shown_beside_the_fields(app, admin, data, field, message):
    response = admin.post("/settings/clients", data=data, htmx=True)
    assert response.status_code == 422
    body = response.text
    assert body.lstrip().startswith('<section class="card" id="client-add"')
    errors = re.search(rf'<ul class="field-errors" id="f-{field}-errors">(.*?)</ul>', body, re.S)
    assert errors and message in errors.group(1)
    with app.app_context():
        assert db.session.scalar(select(ApiClient)) is None


def test_revoke_stops_the_clients_tokens_at_once(app, admin, client):
    client_id, secret, _ = _create_client(admin)
    access = _token(client, client_id, secret).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    assert client.get("/customer-segment/acme/segments", headers=bearer).status_code == 200

    confirm = admin.get(f"/settings/clients/{client_id}/revoke")
    assert confirm.status_code == 200
    assert "Revoke CRM sync?" in confirm.text
    assert "1 live token stop working at once" in confirm.text

    response = admin.post(f"/settings/clients/{client_id}/revoke", htmx=True)
    assert response.status_code == 200
    assert "Revoked" in response.text
    assert hx_events(response)["notify"]["message"].startswith("Revoked CRM sync")

    assert client.get("/customer-segment/acme/segments", headers=bearer).status_code == 401
    assert _token(client, client_id, secret).status_code in (400, 401)
    listing = admin.get("/settings/clients").text
    assert "badge-danger" in listing
    assert f"/settings/clients/{client_id}/revoke" not in listing


def test_revoke_without_javascript_redirects(admin):
    client_id, _, _ = _create_client(admin)
    response = admin.post(f"/settings/clients/{client_id}/revoke")
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings/clients"


def test_clients_of_another_tenant_are_not_found(admin, make_client, other_tenant):
    theirs = make_client(other_tenant)
    assert admin.get(f"/settings/clients/{theirs.client_id}/revoke").status_code == 404
    assert admin.post(f"/settings/clients/{theirs.client_id}/revoke").status_code == 404
    assert theirs.client_id not in admin.get("/settings/clients").text


def test_clients_page_runs_no_query_per_row(admin, client, count_queries):
    client_id, secret, _ = _create_client(admin)
    _token(client, client_id, secret)
    with count_queries() as few:
        assert admin.get("/settings/clients").status_code == 200
    for _ in range(5):
        client_id, secret, _ = _create_client(admin)
        _token(client, client_id, secret)
    with count_queries() as many:
        assert admin.get("/settings/clients").status_code == 200
    assert many() == few()


def test_the_clients_page_says_what_to_do_when_empty(admin):
    assert "No API clients yet" in admin.get("/settings/clients").text
