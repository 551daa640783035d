"""Marketer login: sessions, lockout, CSRF, cookies, logout."""

from __future__ import annotations

from tests.web.conftest import CSRF, PASSWORD


def _csrf(client) -> str:
    return CSRF.search(client.get("/login").get_data(as_text=True)).group(1)


def test_pages_need_login(client, tenant):
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")


def test_login_and_logout(app, make_browser):
    browser = make_browser("viewer")
    page = browser.get("/")
    assert page.status_code == 200
    assert "viewer@acme.example" in page.get_data(as_text=True)
    out = browser.post("/logout", data={"csrf_token": browser.csrf})
    assert out.status_code == 303
    assert browser.get("/").status_code == 303


def test_wrong_password_is_refused_beside_the_field(app, client, make_browser):
    make_browser("editor", email="anna@acme.example")
    response = client.post(
        "/login",
        data={"email": "anna@acme.example", "password": "wrong", "csrf_token": _csrf(client)},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Email or password is not right." in body
    assert 'aria-invalid="true"' in body


def test_five_failures_in_a_minute_lock_the_account(app, client, make_browser):
    make_browser("editor", email="anna@acme.example")
    token = _csrf(client)
    for _ in range(5):
        client.post(
            "/login", data={"email": "anna@acme.example", "password": "nope", "csrf_token": token}
        )
    locked = client.post(
        "/login", data={"email": "anna@acme.example", "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 422
    assert "Try again in" in locked.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(app, client, make_browser):
    make_browser("editor", email="anna@acme.example")
    response = client.post("/login", data={"email": "anna@acme.example", "password": PASSWORD})
    assert response.status_code == 400


def test_session_cookie_is_httponly_and_lax(app, client, make_browser):
    make_browser("editor", email="anna@acme.example")
    response = client.post(
        "/login",
        data={"email": "anna@acme.example", "password": PASSWORD, "csrf_token": _csrf(client)},
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_does_not_redirect_off_site(app, client, make_browser):
    make_browser("editor", email="anna@acme.example")
    response = client.post(
        "/login",
        data={
            "email": "anna@acme.example",
            "password": PASSWORD,
            "csrf_token": _csrf(client),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/"


def test_htmx_request_without_login_gets_a_location_not_a_page(client, tenant):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert "/login" in response.headers["HX-Redirect"]
