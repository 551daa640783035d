"""Settings for admins: the pages and their fragments, that only admins see or change them,
and the users of the tenant with their roles (adding, changing a role, removing)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import ApiClient, Tenant, User
from segments_app.models.tenants import SCOPE_MANAGE
from segments_app.services.accounts import create_user
from tests.logins import PASSWORD, log_in
from tests.pages import hx_events
from tests.web.dashboard_support import tenant_now as _tenant_now

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
