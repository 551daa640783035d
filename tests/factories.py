"""Factories for tests: directory records inserted straight through the models, assignments
written through the service that keeps segments' counts, the tenants the fixtures create."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from segments_app.extensions import db
from segments_app.models import (
    Category,
    Customer,
    CustomerAssignment,
    CustomerLegalEntity,
    ItemAssignment,
    LegalEntity,
    Product,
    ProductCategory,
    Tenant,
)
from segments_app.services.assignments.common import add

#: the tenant of the `tenant` fixture (languages en and de), and of `other_tenant` (en)
TENANT = "acme"
OTHER_TENANT = "globex"


def tenant_named(name: str = TENANT) -> Tenant:
    """The tenant's row; in an app context."""
    found = db.session.scalar(select(Tenant).where(Tenant.name == name))
    assert found is not None, f"no tenant {name}"
    return found


@contextmanager
def directory(app) -> Iterator[None]:
    """Insert reference data with the factories; committed when the block ends."""
    with app.app_context():
        yield
        db.session.commit()


def add_legal_entity(tenant: str, id: str, name: str | None = None) -> LegalEntity:
    entity = LegalEntity(tenant_id=tenant_named(tenant).id, id=id, name=name or f"{id} Ltd")
    db.session.add(entity)
    db.session.flush()
    return entity


def add_customer(
    tenant: str,
    id: str,
    email: str | None = None,
    first_name: str = "Jane",
    last_name: str = "Doe",
    legal_entity_ids: tuple[str, ...] = (),
    password: str | None = None,
) -> Customer:
    t = tenant_named(tenant)
    email = email if email is not None else f"{id}@example.com"
    customer = Customer(
        tenant_id=t.id,
        id=id,
        first_name=first_name,
        last_name=last_name,
        email=email,
        email_key=email.lower() if email else None,
        password_hash=generate_password_hash(password) if password else None,
    )
    customer.legal_entity_links = [
        CustomerLegalEntity(legal_entity_id=le, tenant_id=t.id, position=n)
        for n, le in enumerate(legal_entity_ids)
    ]
    db.session.add(customer)
    db.session.flush()
    return customer


def add_category(
    tenant: str,
    id: str,
    parent_id: str | None = None,
    name: dict | None = None,
    position: int = 0,
    published: bool = True,
    **extra,
) -> Category:
    category = Category(
        tenant_id=tenant_named(tenant).id,
        id=id,
        parent_id=parent_id,
        code=extra.pop("code", id.upper()),
        name=name or {"en": id.title()},
        position=position,
        published=published,
        **extra,
    )
    db.session.add(category)
    db.session.flush()
    return category


def add_product(
    tenant: str, id: str, category_ids: tuple[str, ...] = (), name: dict | None = None, code=None
) -> Product:
    t = tenant_named(tenant)
    product = Product(tenant_id=t.id, id=id, code=code or id.upper(), name=name or {"en": id})
    product.category_links = [
        ProductCategory(category_id=c, tenant_id=t.id, position=n)
        for n, c in enumerate(category_ids)
    ]
    db.session.add(product)
    db.session.flush()
    return product


def add_assignment(
    assignment: CustomerAssignment | ItemAssignment,
) -> CustomerAssignment | ItemAssignment:
    """Write an assignment the test built, counted in its segment as the service counts it."""
    return add(assignment)
