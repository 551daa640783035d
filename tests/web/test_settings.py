"""Settings for admins: users and roles, API clients, the tenant's languages."""

from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import ApiClient, Tenant, User
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from segments_app.services.accounts import create_user
from tests.factories import tenant_named
from tests.logins import PASSWORD, log_in
from tests.pages import hx_events

PAGES = ("/settings", "/settings/clients", "/settings/languages")


def _can_log_in(app, email: str, password: str, team: str = "acme") -> bool:
    return log_in(app.test_client(), team, email, password).status_code == 303


def _user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def _add_user(app, email: str, role: str = "editor", tenant: str = "acme") -> int:
    with app.app_context():
        t = db.session.scalar(select(Tenant).where(Tenant.name == tenant))
        user = create_user(t, email, role, PASSWORD)
        db.session.commit()
        return user.id


def _tenant_now(app) -> Tenant:
    """Tenant acme as the database has it now, detached."""
    with app.app_context():
        tenant = tenant_named()
        db.session.expunge_all()
        return tenant


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


# pages, fragments and who may see them


def test_admin_sees_every_settings_page_and_the_nav_entry(admin):
    for url in PAGES:
        response = admin.get(url)
        assert response.status_code == 200, url
        body = response.text
        assert '<a href="/settings" aria-current="page">Settings</a>' in body
        assert "<html" in body


def test_htmx_gets_the_fragments(admin):
    expected = {
        "/settings": '<div id="users-table"',
        "/settings/clients": '<div id="clients-table"',
        "/settings/languages": '<section class="card" id="languages"',
    }
    for url, start in expected.items():
        response = admin.get(url, htmx=True)
        assert response.status_code == 200
        assert response.text.lstrip().startswith(start), url
        assert "<html" not in response.text
        assert "HX-Request" in response.headers["Vary"]


def test_users_page_lists_the_tenants_users_only(app, admin, other_tenant):
    _add_user(app, "nina@acme.example", "viewer")
    _add_user(app, "olaf@globex.example", "admin", tenant=other_tenant)
    body = admin.get("/settings").text
    assert "nina@acme.example" in body
    assert "admin@acme.example" in body
    assert "olaf@globex.example" not in body
    assert "Never" in body  # nina never logged in


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editors_and_viewers_get_403_and_no_nav_entry(app, make_browser, role):
    browser = make_browser(role)
    other = _add_user(app, "nina@acme.example")
    for url in (*PAGES, f"/settings/users/{other}/delete", "/settings/clients/abc/revoke"):
        response = browser.get(url)
        assert response.status_code == 403, url
        assert 'href="/settings"' not in response.text
    writes = {
        "/settings/users": {"email": "x@acme.example", "role": "admin", "password": ""},
        f"/settings/users/{other}/role": {"role": "admin"},
        f"/settings/users/{other}/delete": {},
        "/settings/clients": {"scopes": SCOPE_MANAGE},
        "/settings/clients/abc/revoke": {},
        "/settings/languages": {"add": "fr"},
    }
    for url, data in writes.items():
        assert browser.post(url, data=data).status_code == 403, url
        assert browser.post(url, data=data, htmx=True).status_code == 403, url
    assert _user(app, "x@acme.example") is None
    assert _user(app, "nina@acme.example").role == "editor"
    assert _tenant_now(app).languages == ["en", "de"]


def test_writes_without_csrf_token_are_refused(app, admin):
    other = _add_user(app, "nina@acme.example")
    writes = {
        "/settings/users": {"email": "x@acme.example", "role": "admin", "password": ""},
        f"/settings/users/{other}/role": {"role": "admin"},
        f"/settings/users/{other}/delete": {},
        "/settings/clients": {"scopes": SCOPE_MANAGE},
        "/settings/languages": {"add": "fr"},
    }
    for url, data in writes.items():
        assert admin.post(url, data=data, csrf=False).status_code == 400, url
        assert admin.post(url, data=data, csrf=False, htmx=True).status_code == 400, url
    assert _user(app, "x@acme.example") is None
    assert _user(app, "nina@acme.example").role == "editor"
    assert _tenant_now(app).languages == ["en", "de"]
    with app.app_context():
        assert db.session.scalar(select(ApiClient)) is None


# users


def test_create_user_with_a_typed_password(app, admin):
    response = admin.post(
        "/settings/users",
        data={"email": " Nina@Acme.example ", "role": "viewer", "password": "a long secret phrase"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/settings"
    page = admin.get("/settings").text
    assert "Added nina@acme.example as viewer." in page
    assert "a long secret phrase" not in page
    assert _user(app, "nina@acme.example").role == "viewer"
    assert _can_log_in(app, "nina@acme.example", "a long secret phrase")


def test_create_user_with_htmx_and_a_typed_password_resets_the_form(app, admin):
    response = admin.post(
        "/settings/users",
        data={"email": "nina@acme.example", "role": "editor", "password": "a long secret phrase"},
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="user-add"')
    events = hx_events(response)
    assert events["notify"]["message"] == "Added nina@acme.example as editor."
    assert events["users-changed"] is True


@pytest.mark.parametrize("htmx", [True, False])
def test_a_generated_password_is_shown_once_and_works(app, admin, htmx):
    response = admin.post(
        "/settings/users",
        data={"email": "nina@acme.example", "role": "editor", "password": ""},
        htmx=htmx,
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    body = response.text
    password = re.search(r'id="new-password">([^<]+)<', body).group(1)
    assert len(password) >= 10
    assert "shown only this once" in body
    assert ("<html" in body) is not htmx
    if htmx:
        assert hx_events(response)["users-changed"] is True
    assert password not in admin.get("/settings").text
    assert _can_log_in(app, "nina@acme.example", password)


def test_create_user_errors_are_shown_beside_the_fields(app, admin):
    response = admin.post(
        "/settings/users",
        data={"email": "not-an-email", "role": "editor", "password": "short"},
        htmx=True,
    )
    assert response.status_code == 422
    body = response.text
    assert body.lstrip().startswith('<section class="card" id="user-add"')
    assert 'id="f-email-errors"' in body
    assert "Enter an email address" in body
    assert 'aria-invalid="true"' in body
    assert 'value="not-an-email"' in body

    short = admin.post(
        "/settings/users",
        data={"email": "nina@acme.example", "role": "editor", "password": "short"},
    )
    assert short.status_code == 422
    assert 'id="f-password-errors"' in short.text
    assert "Use at least 10 characters." in short.text
    assert "<html" in short.text

    taken = admin.post(
        "/settings/users", data={"email": "admin@acme.example", "role": "editor", "password": ""}
    )
    assert taken.status_code == 422
    assert "admin@acme.example already has an account here." in taken.text
    assert _user(app, "nina@acme.example") is None


def test_change_a_role_in_place(app, admin):
    nina = _add_user(app, "nina@acme.example", "viewer")
    response = admin.post(f"/settings/users/{nina}/role", data={"role": "editor"}, htmx=True)
    assert response.status_code == 200
    row = response.text
    assert row.lstrip().startswith(f'<tr id="user-row-{nina}"')
    assert '<option value="editor" selected>' in row
    assert hx_events(response)["notify"]["message"] == "nina@acme.example is now editor."
    assert _user(app, "nina@acme.example").role == "editor"

    without_js = admin.post(f"/settings/users/{nina}/role", data={"role": "admin"})
    assert without_js.status_code == 303
    assert _user(app, "nina@acme.example").role == "admin"


def test_an_unknown_role_is_refused_beside_the_select(app, admin):
    nina = _add_user(app, "nina@acme.example", "viewer")
    response = admin.post(f"/settings/users/{nina}/role", data={"role": "owner"}, htmx=True)
    assert response.status_code == 422
    assert f'id="role-{nina}-errors"' in response.text
    assert _user(app, "nina@acme.example").role == "viewer"


@pytest.mark.parametrize("htmx", [True, False])
def test_the_last_admin_cannot_be_demoted(app, admin, htmx):
    me = _user(app, "admin@acme.example")
    response = admin.post(f"/settings/users/{me.id}/role", data={"role": "editor"}, htmx=htmx)
    assert response.status_code == 422
    body = response.text
    assert "A tenant keeps at least one admin" in body
    assert '<option value="admin" selected>' in body
    assert ("<html" in body) is not htmx
    assert _user(app, "admin@acme.example").role == "admin"


def test_an_admin_who_demotes_themself_leaves_settings(app, admin):
    _add_user(app, "boss@acme.example", "admin")
    me = _user(app, "admin@acme.example")
    response = admin.post(f"/settings/users/{me.id}/role", data={"role": "editor"}, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/"
    assert _user(app, "admin@acme.example").role == "editor"
    assert admin.get("/settings").status_code == 403


def test_remove_a_user_after_confirming(app, admin):
    nina = _add_user(app, "nina@acme.example")
    confirm = admin.get(f"/settings/users/{nina}/delete")
    assert confirm.status_code == 200
    assert "Remove nina@acme.example?" in confirm.text
    response = admin.post(f"/settings/users/{nina}/delete")
    assert response.status_code == 303
    assert "Removed nina@acme.example." in admin.get("/settings").text
    assert _user(app, "nina@acme.example") is None
    assert not _can_log_in(app, "nina@acme.example", PASSWORD)


def test_remove_a_user_with_htmx_drops_the_row(app, admin):
    olaf = _add_user(app, "olaf@acme.example", "admin")
    response = admin.post(f"/settings/users/{olaf}/delete", htmx=True)
    assert response.status_code == 200
    assert response.text == ""
    assert hx_events(response)["notify"]["message"] == "Removed olaf@acme.example."
    assert _user(app, "olaf@acme.example") is None


def test_an_admin_cannot_remove_themself(app, admin):
    me = _user(app, "admin@acme.example")
    assert f"/settings/users/{me.id}/delete" not in admin.get("/settings").text
    assert admin.get(f"/settings/users/{me.id}/delete").status_code == 409
    response = admin.post(f"/settings/users/{me.id}/delete", htmx=True)
    assert response.status_code == 409
    assert "You cannot remove yourself" in response.text
    assert _user(app, "admin@acme.example") is not None


def test_users_of_another_tenant_are_not_found(app, admin, other_tenant):
    olaf = _add_user(app, "olaf@globex.example", "editor", tenant=other_tenant)
    assert admin.post(f"/settings/users/{olaf}/role", data={"role": "viewer"}).status_code == 404
    assert admin.post(f"/settings/users/{olaf}/delete").status_code == 404
    assert _user(app, "olaf@globex.example").role == "editor"


def test_users_page_runs_no_query_per_row(app, admin, count_queries):
    _add_user(app, "one@acme.example")
    with count_queries() as few:
        assert admin.get("/settings").status_code == 200
    for n in range(8):
        _add_user(app, f"user{n}@acme.example")
    with count_queries() as many:
        assert admin.get("/settings").status_code == 200
    assert many() == few()


# API clients


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


# languages


def test_languages_page_shows_the_languages_and_the_default(admin):
    body = admin.get("/settings/languages").text
    # by name, the code beside it
    assert 'English <code class="muted">en</code>' in body
    assert 'German — Deutsch <code class="muted">de</code>' in body
    assert re.search(r'name="default" value="en" checked', body)


def test_add_and_remove_languages_and_pick_a_new_default(app, admin):
    response = admin.post(
        "/settings/languages", data={"remove": "de", "add": "fr, it-CH", "default": "+"}
    )
    assert response.status_code == 303
    tenant = _tenant_now(app)
    assert tenant.languages == ["en", "fr", "it-CH"]
    assert tenant.default_language == "fr"
    assert "Saved: en, fr, it-CH; default fr." in admin.get("/settings/languages").text


def test_save_languages_with_htmx(app, admin):
    response = admin.post("/settings/languages", data={"default": "de"}, htmx=True)
    assert response.status_code == 200
    body = response.text
    assert body.lstrip().startswith('<section class="card" id="languages"')
    assert re.search(r'name="default" value="de" checked', body)
    assert hx_events(response)["notify"]["message"] == "Saved: en, de; default de."
    assert _tenant_now(app).default_language == "de"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"default": "en", "add": "fr, not a tag"}, "languages", "Not a language tag: not a tag"),
        ({"default": "en", "remove": ["en", "de"]}, "languages", "Name at least one language."),
        ({"default": "de", "remove": "de"}, "defaultLanguage", "must be one of the languages"),
    ],
)
def test_language_errors_are_shown_beside_the_fields(app, admin, data, field, message):
    response = admin.post("/settings/languages", data=data, htmx=True)
    assert response.status_code == 422
    body = response.text
    errors = re.search(rf'<ul class="field-errors" id="f-{field}-errors">(.*?)</ul>', body, re.S)
    assert errors and message in errors.group(1)
    assert 'aria-invalid="true"' in body
    for code in [data["remove"]] if isinstance(data.get("remove"), str) else data.get("remove", []):
        assert re.search(rf'name="remove" value="{code}" checked', body)
    if "add" in data:
        assert f'value="{data["add"]}"' in body
    tenant = _tenant_now(app)
    assert tenant.languages == ["en", "de"]
    assert tenant.default_language == "en"
