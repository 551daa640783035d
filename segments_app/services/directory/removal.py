"""Deleting directory records, and the one field only an operator sets: a customer's password."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from werkzeug.security import generate_password_hash

from ...errors import BadRequest, NotFound, ValidationFailed
from ...extensions import db
from ...models import (
    Customer,
    CustomerAssignment,
    ItemAssignment,
    Tenant,
)
from .. import counters
from ..rules.triggers import evaluate_records
from .kinds import CATEGORY, CUSTOMER, LEGAL_ENTITY, PRODUCT, DirectoryKind, kind_named

MIN_PASSWORD_LENGTH = 8

#: the assignments that name a record of each kind: (model, column, how a message names them)
_ASSIGNED_BY = {
    CUSTOMER.name: (CustomerAssignment, CustomerAssignment.customer_pk, "customer assignment"),
    LEGAL_ENTITY.name: (
        CustomerAssignment,
        CustomerAssignment.legal_entity_pk,
        "B2B customer assignment",
    ),
    CATEGORY.name: (ItemAssignment, ItemAssignment.category_pk, "item assignment"),
    PRODUCT.name: (ItemAssignment, ItemAssignment.product_pk, "item assignment"),
}


def _pk(tenant: Tenant, kind: DirectoryKind, record_id: str) -> int:
    model = kind.model
    pk = db.session.scalar(
        select(model.pk).where(model.tenant_id == tenant.id, model.id == record_id)
    )
    if pk is None:
        raise NotFound(record_id)
    return pk


def assignment_count(kind: DirectoryKind, pk: int) -> int:
    """How many segment assignments name the record `pk` of `kind`."""
    _, column, _ = _ASSIGNED_BY[kind.name]
    return db.session.scalar(select(func.count()).where(column == pk)) or 0


def delete_record(tenant: Tenant, kind: str, record_id: str, force: bool) -> None:
    """Delete a record; while segment assignments name it only with `force`, and then they go too.

    Links that name the record by id (a child's parentId, a customer's legalEntityIds) stay,
    as they may for a record that has not arrived yet.
    """
    spec = kind_named(kind)
    pk = _pk(tenant, spec, record_id)
    model, column, noun = _ASSIGNED_BY[spec.name]
    count = assignment_count(spec, pk)
    if count and not force:
        plural = "" if count == 1 else "s"
        raise BadRequest(
            f"{spec.label.capitalize()} {record_id} is named by {count} {noun}{plural}. "
            "Repeat with forceDelete=true to delete it together with them.",
            resource_id=record_id,
        )
    if count:
        counters.discount(db.session, column, pk)
        db.session.execute(delete(model).where(column == pk))
    if spec.links is not None:
        links = spec.links.model.__table__
        db.session.execute(delete(links).where(links.c[spec.links.owner] == pk))
    db.session.execute(delete(spec.model).where(spec.model.pk == pk))
    evaluate_records(tenant, spec.name, [record_id])
    db.session.expire_all()


def set_customer_password(tenant: Tenant, customer_id: str, password: str) -> None:
    """Set the password a customer signs in with at the storefront (password grant)."""
    customer = db.session.scalar(
        select(Customer).where(Customer.tenant_id == tenant.id, Customer.id == customer_id)
    )
    if customer is None:
        raise NotFound(customer_id, f"Customer {customer_id} is not in this tenant's directory.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.field(
            "password",
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            "minLength",
        )
    if not customer.email:
        raise ValidationFailed.field(
            "email",
            f"Customer {customer_id} has no e-mail, which is the name it signs in with; "
            "give it one first.",
            "required",
        )
    customer.password_hash = generate_password_hash(password)
    db.session.flush()
