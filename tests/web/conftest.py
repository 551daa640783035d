"""Dashboard fixtures: clients logged in as each role, the CSRF token, a query counter; segments
made through the service, segment 'gold' and its members. Helpers the test modules import live
in tests/web/dashboard_support.py (see tests/conftest.py)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import CustomerAssignment, ItemAssignment, LegalEntity, Segment
from segments_app.services.accounts import create_user
from segments_app.services.segments import create_segment
from tests.factories import (
    add_assignment,
    add_customer,
    add_legal_entity,
    add_product,
    tenant_named,
)
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


# segments and members


@pytest.fixture
def seed(app, tenant):
    """Create a segment of tenant 'acme' through the service, with `members` customers and
    `items` products assigned; returns its id."""

    def make(segment_id: str, name=None, members: int = 0, items: int = 0, **doc) -> str:
        with app.app_context():
            body = {
                "id": segment_id,
                "name": name or {"en": segment_id.title()},
                "siteCode": "main",
                "status": "ACTIVE",
                **doc,
            }
            segment = create_segment(tenant_named(), body, "")
            for n in range(members):
                customer = add_customer("acme", f"{segment_id}-c{n}")
                add_assignment(CustomerAssignment(segment_pk=segment.pk, customer_pk=customer.pk))
            for n in range(items):
                product = add_product("acme", f"{segment_id}-p{n}")
                add_assignment(
                    ItemAssignment(
                        segment_pk=segment.pk, item_type="PRODUCT", product_pk=product.pk
                    )
                )
            db.session.commit()
            return segment.id

    return make


def _gold_segment() -> Segment:
    return db.session.scalar(select(Segment).where(Segment.id == "gold"))


@pytest.fixture
def gold(app, tenant) -> str:
    """Segment 'gold' of tenant 'acme', without members."""
    with app.app_context():
        create_segment(
            tenant_named(), {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}, ""
        )
        db.session.commit()
    return "gold"


@pytest.fixture
def member(app, gold):
    """Add a directory customer (and its legal entities) and, unless `join` is False, make it a
    member of 'gold' (for `entity` when given); returns the customer id."""

    def make(
        customer_id: str,
        first_name: str = "Jane",
        last_name: str = "Doe",
        email: str | None = None,
        entities: tuple[str, ...] = (),
        entity: str | None = None,
        join: bool = True,
        mixins: dict | None = None,
    ) -> str:
        with app.app_context():
            for entity_id in entities:
                if db.session.scalar(select(LegalEntity).where(LegalEntity.id == entity_id)):
                    continue
                add_legal_entity("acme", entity_id, f"{entity_id.title()} GmbH")
            customer = add_customer(
                "acme", customer_id, email, first_name, last_name, legal_entity_ids=entities
            )
            if join:
                entity_pk = None
                if entity:
                    entity_pk = db.session.scalar(
                        select(LegalEntity.pk).where(LegalEntity.id == entity)
                    )
                add_assignment(
                    CustomerAssignment(
                        segment_pk=_gold_segment().pk,
                        customer_pk=customer.pk,
                        legal_entity_pk=entity_pk,
                        mixins=mixins,
                    )
                )
            db.session.commit()
            return customer_id

    return make
