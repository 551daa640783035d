"""Helpers of the rule tests: customers with attributes (written straight through the models,
with their attribute keys), saving a rule and waiting for its evaluation."""

from __future__ import annotations

from sqlalchemy import select

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import AttributeKey, Customer, CustomerAssignment, RuleEvaluation, Segment
from tests.factories import TENANT, add_customer, tenant_named


def seed(app, tenant: str, customers: dict[str, dict], types: dict[str, str]) -> None:
    """Customers `id -> attributes`, and the tenant's customer attribute keys `key -> type`."""
    with app.app_context():
        t = tenant_named(tenant)
        known = set(
            db.session.scalars(select(AttributeKey.key).where(AttributeKey.tenant_id == t.id))
        )
        for key, type_ in types.items():
            if key not in known:
                db.session.add(AttributeKey(tenant_id=t.id, owner="customer", key=key, type=type_))
        for customer_id, attributes in customers.items():
            add_customer(tenant, customer_id).attributes = attributes or None
        db.session.commit()


def set_attributes(app, tenant: str, customer_id: str, attributes: dict) -> None:
    with app.app_context():
        customer = db.session.scalar(
            select(Customer).where(
                Customer.tenant_id == tenant_named(tenant).id, Customer.id == customer_id
            )
        )
        assert customer is not None
        customer.attributes = attributes
        db.session.commit()


def save(api, segment_id: str, rule: dict, expect: str = "done") -> dict:
    """PUT the rule, wait for its evaluation, and return the evaluation's document."""
    response = api.put(f"/segments/{segment_id}/rule", json={"rule": rule})
    assert response.status_code == 202, response.get_json()
    assert jobs.wait_idle(api.client.application, 30)
    location = response.headers["Location"]
    done = api.get(location.removeprefix(api.url("")))
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["state"] == expect, body
    return body


def members(app, tenant: str = TENANT, segment_id: str = "gold") -> dict[str, str]:
    """customer id -> assignment type, of the segment's customer-level members."""
    with app.app_context():
        segment = _segment(tenant, segment_id)
        rows = db.session.execute(
            select(Customer.id, CustomerAssignment.assignment_type)
            .join(Customer, Customer.pk == CustomerAssignment.customer_pk)
            .where(CustomerAssignment.segment_pk == segment.pk)
        )
        return dict(rows.tuples().all())


def add_evaluation(segment_id: str, tenant: str = TENANT, **fields) -> RuleEvaluation:
    """A run of the segment's rule written straight into the session (in an app context, for
    the caller to commit): `fields` as given, a rule saved by a test unless they say otherwise."""
    segment = _segment(tenant, segment_id)
    evaluation = RuleEvaluation(
        tenant_id=segment.tenant_id,
        segment_pk=segment.pk,
        **{"reason": "saved", "actor": "test", **fields},
    )
    db.session.add(evaluation)
    return evaluation


def _segment(tenant: str, segment_id: str) -> Segment:
    found = db.session.scalar(
        select(Segment).where(
            Segment.tenant_id == tenant_named(tenant).id, Segment.id == segment_id
        )
    )
    assert found is not None, f"no segment {segment_id}"
    return found
