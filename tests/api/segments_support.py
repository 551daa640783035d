"""Shared by the segment API tests: a full segment body, the fields a 400 answer names, and
assignments written straight through the models for the deletes that need forcing."""

from __future__ import annotations

import sqlalchemy as sa

from segments_app.extensions import db
from segments_app.models import Customer, CustomerAssignment, ItemAssignment, Product, Segment
from tests.factories import add_assignment

GOLD = {
    "name": {"en": "Golden Segment", "de": "Goldenes Segment"},
    "description": {"en": "Our best customers"},
    "validity": {"from": "2024-04-17T08:00:00.000Z", "to": "2030-04-17T08:00:00.000Z"},
    "status": "ACTIVE",
    "siteCode": "main",
    "mixins": {"segmentAttributes": {"membershipStatus": "PREMIUM", "tier": 3}},
    "metadata": {"mixins": {"segmentAttributes": "https://example.com/schema.json"}},
}


def detail_fields(response) -> set[str]:
    return {d["field"] for d in response.get_json().get("details", [])}


def assign_something(app, segment_id: str) -> None:
    with app.app_context():
        segment = db.session.scalar(sa.select(Segment).where(Segment.id == segment_id))
        customer = Customer(
            tenant_id=segment.tenant_id, id="c1", email="c1@example.com", email_key="c1@example.com"
        )
        product = Product(tenant_id=segment.tenant_id, id="p1", code="P1", name={"en": "P"})
        db.session.add_all([customer, product])
        db.session.flush()
        add_assignment(CustomerAssignment(segment_pk=segment.pk, customer_pk=customer.pk))
        add_assignment(
            ItemAssignment(segment_pk=segment.pk, item_type="PRODUCT", product_pk=product.pk)
        )
        db.session.commit()


def assignment_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(CustomerAssignment)
        ) + db.session.scalar(sa.select(sa.func.count()).select_from(ItemAssignment))
