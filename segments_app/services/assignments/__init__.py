"""Customer and item assignments: who is in a segment and what the segment's members see.

This package holds what the segment service and the storefront views share (membership
conditions); `customers` and `items` hold the assignment commands and queries themselves.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from ...errors import BadRequest, NotFound
from ...extensions import db
from ...models import Customer, CustomerAssignment, LegalEntity, Segment, Tenant
from ..segments import segments_query


def membership(customer_pk: int, legal_entity_pk: int | None = None):
    """Assignments of a customer; with a legal entity, only its B2B assignments with it."""
    condition = CustomerAssignment.customer_pk == customer_pk
    if legal_entity_pk is not None:
        condition = condition & (CustomerAssignment.legal_entity_pk == legal_entity_pk)
    return condition


def customer_view(customer: Customer, legal_entity_id: str | None):
    """The assignments a storefront customer acts under.

    `legalEntityId` matters only for a customer of several legal entities: it then picks one,
    and the customer sees its B2C assignments plus its B2B assignments with that entity.
    """
    condition = CustomerAssignment.customer_pk == customer.pk
    entity_ids = customer.legal_entity_ids
    if not legal_entity_id or len(entity_ids) <= 1:
        return condition
    if legal_entity_id not in entity_ids:
        raise BadRequest(f"You do not belong to legal entity {legal_entity_id}.")
    entity_pk = db.session.scalar(
        select(LegalEntity.pk).where(
            LegalEntity.tenant_id == customer.tenant_id, LegalEntity.id == legal_entity_id
        )
    )
    return condition & or_(
        CustomerAssignment.legal_entity_pk.is_(None),
        CustomerAssignment.legal_entity_pk == entity_pk,
    )


def own_segment(tenant: Tenant, segment_id: str, own) -> Segment:
    """The segment `segment_id` if it is effective and `own` (a customer_view) has a place in it.

    Anything else is a 404, so a storefront cannot learn which other segments exist.
    """
    stmt = segments_query(tenant, only_effective=True, membership=own)
    segment = db.session.scalar(stmt.where(Segment.id == segment_id))
    if segment is None:
        raise NotFound(segment_id)
    return segment


def own_segment_pks(tenant: Tenant, own, site_code: str | None = None):
    """SELECT of the pks of the effective segments `own` is assigned to (of one site if given)."""
    stmt = segments_query(tenant, only_effective=True, membership=own)
    if site_code is not None:
        stmt = stmt.where(Segment.site_code == site_code)
    return stmt.order_by(None).with_only_columns(Segment.pk)
