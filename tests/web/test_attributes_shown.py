"""A customer's attributes on the dashboard: the members list and the "see as a customer" page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import Customer, CustomerAssignment, Segment
from segments_app.services.segments import create_segment
from tests.factories import add_assignment, add_customer, tenant_named
from tests.pages import page_text

FACTS = {
    "country": "DE",
    "newsletter": True,
    "lastOrderAt": "2026-11-02T09:00:00.000Z",
    "tags": ["garden", "app"],
}


@pytest.fixture
def anna(app, tenant) -> str:
    """Customer anna with attributes, a member of segment gold; bob without any."""
    with app.app_context():
        segment = create_segment(
            tenant_named(), {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}, ""
        )
        for customer_id in ("anna", "bob"):
            customer = add_customer("acme", customer_id)
            add_assignment(CustomerAssignment(segment_pk=segment.pk, customer_pk=customer.pk))
        db.session.scalar(select(Customer).where(Customer.id == "anna")).attributes = FACTS
        db.session.commit()
        assert db.session.scalar(select(Segment.id)) == "gold"
    return "anna"


def test_members_rows_show_attributes_folded(viewer, anna):
    html = page_text(viewer.get("/segments/gold"))
    assert "<summary>4 attributes</summary>" in html
    assert "<dt>country</dt><dd>DE</dd>" in html
    assert "<dt>newsletter</dt><dd>yes</dd>" in html
    assert "<dt>tags</dt><dd>garden, app</dd>" in html
    assert html.count('class="attrs-more"') == 1  # bob has none


def test_the_customer_view_shows_attributes(viewer, anna):
    html = page_text(viewer.get("/catalog/customer?customer=anna"))
    assert 'id="customer-attributes"' in html
    assert '<time datetime="2026-11-02T09:00:00.000Z">2026-11-02 09:00 UTC</time>' in html
    bob = page_text(viewer.get("/catalog/customer?customer=bob"))
    assert 'id="customer-attributes"' not in bob
