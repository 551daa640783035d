"""Dashboard fixtures: clients logged in as each role, the CSRF token, a query counter."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from segments_app.extensions import db
from segments_app.services.accounts import create_user
from tests.factories import tenant_named
from tests.logins import CSRF, PASSWORD, log_in
from tests.sql import statements


class Browser:
    """A test client with its own cookies, logged in, that sends the CSRF token like htmx does."""

    def __init__(self, client, email: str):
        self.client = client
        self.email = email
        self.csrf = ""

    def refresh_csrf(self) -> str:
        page = self.client.get("/login")
        match = CSRF.search(page.get_data(as_text=True))
        if match is None:  # logged in: /login redirects; take the token from the overview
            page = self.client.get("/")
            match = CSRF.search(page.get_data(as_text=True))
        self.csrf = match.group(1)
        return self.csrf

    def get(self, url, htmx: bool = False, **kw):
        return self.client.get(url, headers=self._headers(htmx, kw.pop("headers", None)), **kw)

    def post(self, url, htmx: bool = False, csrf: bool = True, **kw):
        headers = self._headers(htmx, kw.pop("headers", None))
        if csrf:
            headers["X-CSRFToken"] = self.csrf
        return self.client.post(url, headers=headers, **kw)

    def request(self, method: str, url, htmx: bool = False, csrf: bool = True, **kw):
        headers = self._headers(htmx, kw.pop("headers", None))
        if csrf:
            headers["X-CSRFToken"] = self.csrf
        return self.client.open(url, method=method, headers=headers, **kw)

    @staticmethod
    def _headers(htmx: bool, extra: dict | None) -> dict:
        headers = {"HX-Request": "true"} if htmx else {}
        headers.update(extra or {})
        return headers


def _login(app, email: str, team: str) -> Browser:
    browser = Browser(app.test_client(), email)
    response = log_in(browser.client, team, email, PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)
    browser.refresh_csrf()
    return browser


@pytest.fixture
def make_browser(app, tenant):
    """Log in a new marketer of tenant 'acme' with `role`."""

    def make(role: str = "editor", email: str | None = None, tenant_name: str = "acme") -> Browser:
        email = email or f"{role}@{tenant_name}.example"
        with app.app_context():
            create_user(tenant_named(tenant_name), email, role, PASSWORD)
            db.session.commit()
        return _login(app, email, tenant_name)

    return make


@pytest.fixture
def admin(make_browser) -> Browser:
    return make_browser("admin")


@pytest.fixture
def editor(make_browser) -> Browser:
    return make_browser("editor")


@pytest.fixture
def viewer(make_browser) -> Browser:
    return make_browser("viewer")


@pytest.fixture
def count_queries(app):
    """`with count_queries() as n: ...` then `n()` is the number of SQL statements run."""

    @contextmanager
    def counting():
        with statements(app) as sent:
            yield lambda: len(sent)

    return counting
