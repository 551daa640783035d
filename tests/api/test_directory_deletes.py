"""Deleting directory records with DELETE /directory/<collection>/<id>: a record still named
by segment assignments is kept unless forceDelete=true, which removes its assignments with it;
deleting a parent category leaves its children naming it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import (
    Category,
    Customer,
    CustomerAssignment,
    ItemAssignment,
    LegalEntity,
    Product,
    Segment,
)
from tests.api.directory_support import COLLECTIONS, CUSTOMER, SAMPLES, cat, put, stored
from tests.factories import add_assignment


def _pk(model, record_id: str) -> int:
    return db.session.scalar(select(model.pk).where(model.id == record_id))


def assign(app, segment_id: str, kind: str, record_id: str, legal_entity_id: str | None = None):
    """A segment assignment naming the record, inserted directly (the assignment API is not
    what these tests are about)."""
    with app.app_context():
        segment = _pk(Segment, segment_id)
        if kind == "customer":
            row = CustomerAssignment(
                segment_pk=segment,
                customer_pk=_pk(Customer, record_id),
                legal_entity_pk=_pk(LegalEntity, legal_entity_id) if legal_entity_id else None,
            )
        elif kind == "product":
            row = ItemAssignment(
                segment_pk=segment, item_type="PRODUCT", product_pk=_pk(Product, record_id)
            )
        else:
            row = ItemAssignment(
                segment_pk=segment, item_type="CATEGORY", category_pk=_pk(Category, record_id)
            )
        add_assignment(row)
        db.session.commit()


def assignments(app) -> int:
    with app.app_context():
        customers = db.session.scalar(select(func.count()).select_from(CustomerAssignment))
        items = db.session.scalar(select(func.count()).select_from(ItemAssignment))
        return customers + items


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_delete_removes_a_record(api, collection):
    record = SAMPLES[collection]
    put(api, collection, [record])
    assert api.delete(f"/directory/{collection}/{record['id']}").status_code == 204
    assert api.get(f"/directory/{collection}/{record['id']}").status_code == 404
    response = api.delete(f"/directory/{collection}/{record['id']}")
    assert response.status_code == 404 and response.get_json()["resourceId"] == record["id"]


@pytest.mark.parametrize(
    ("collection", "kind", "record_id", "noun"),
    [
        ("customers", "customer", "c1", "2 customer assignments"),
        ("legal-entities", "legalEntity", "le1", "1 B2B customer assignment"),
        ("categories", "category", "cat1", "2 item assignments"),
        ("products", "product", "p1", "2 item assignments"),
    ],
)
def test_delete_is_refused_while_assigned_unless_forced(
    api, app, make_segment, collection, kind, record_id, noun
):
    for name, records in SAMPLES.items():
        put(api, name, [{**records, "legalEntityIds": ["le1"]} if name == "customers" else records])
    gold, silver = make_segment(), make_segment(name={"en": "Silver"})
    if kind in ("customer", "legalEntity"):
        assign(app, gold, "customer", "c1", "le1")
        assign(app, silver, "customer", "c1")
    else:
        for segment in (gold, silver):
            assign(app, segment, kind, record_id)
    before = assignments(app)

    refused = api.delete(f"/directory/{collection}/{record_id}")
    assert refused.status_code == 400
    message = refused.get_json()["message"]
    assert noun in message and "forceDelete=true" in message
    assert assignments(app) == before
    assert api.delete(f"/directory/{collection}/{record_id}?forceDelete=false").status_code == 400

    assert api.delete(f"/directory/{collection}/{record_id}?forceDelete=true").status_code == 204
    assert api.get(f"/directory/{collection}/{record_id}").status_code == 404
    assert assignments(app) == before - int(noun.split()[0])


def test_force_delete_must_be_a_boolean(api):
    put(api, "customers", [CUSTOMER])
    assert api.delete("/directory/customers/c1?forceDelete=maybe").status_code == 400


def test_deleting_a_parent_leaves_its_children_naming_it(api):
    put(api, "categories", [cat("root"), cat("kid", "root")])
    assert api.delete("/directory/categories/root").status_code == 204
    assert stored(api, "categories", "kid")["parentId"] == "root"
