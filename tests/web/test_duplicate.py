"""Duplicating a segment: the form ("Copy of …" prefilled, errors beside the fields), its fields
copied, with or without its members and items, and its rule."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import CustomerAssignment, ItemAssignment, Segment
from segments_app.services.segments import create_segment
from tests.factories import add_assignment, add_customer, add_product, tenant_named
from tests.pages import page_text


@pytest.fixture
def gold(app, tenant):
    with app.app_context():
        body = {
            "id": "gold",
            "name": {"en": "Gold", "de": "Gold DE"},
            "siteCode": "eu",
            "status": "ACTIVE",
            "description": {"en": "Best"},
            "validity": {"from": "2026-01-01T00:00:00Z"},
            "mixins": {"a": {"b": 1}},
        }
        segment = create_segment(tenant_named(), body, "")
        for n in range(3):
            customer = add_customer("acme", f"c{n}")
            add_assignment(
                CustomerAssignment(
                    segment_pk=segment.pk,
                    customer_pk=customer.pk,
                    assignment_type="AUTOMATIC" if n else "MANUAL",
                )
            )
        product = add_product("acme", "p1")
        add_assignment(
            ItemAssignment(segment_pk=segment.pk, item_type="PRODUCT", product_pk=product.pk)
        )
        db.session.commit()
        return "gold"


def _segment(app, segment_id):
    with app.app_context():
        segment = db.session.scalar(select(Segment).where(Segment.id == segment_id))
        db.session.expunge_all()
        return segment


def _members(app, segment_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(CustomerAssignment.assignment_type)
                .join(Segment, Segment.pk == CustomerAssignment.segment_pk)
                .where(Segment.id == segment_id)
                .order_by(CustomerAssignment.customer_pk)
            )
        )


def test_form_prefills_copy_of(editor, gold):
    html = page_text(editor.get("/segments/gold/duplicate"))
    assert 'value="Copy of Gold"' in html and "Its 3 members" in html and "Its 1 item" in html
    assert "/segments/gold/duplicate" in page_text(editor.get("/segments/gold"))


def test_duplicate_with_members_and_items(app, editor, gold):
    answer = editor.post(
        "/segments/gold/duplicate",
        data={"id": "gold2", "name": "Gold again", "members": "1", "items": "1"},
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/segments/gold2")
    copy = _segment(app, "gold2")
    assert copy.name == {"en": "Gold again", "de": "Gold DE"}
    assert (copy.site_code, copy.status, copy.description) == ("eu", "ACTIVE", {"en": "Best"})
    assert copy.valid_from is not None and copy.mixins == {"a": {"b": 1}}
    assert (copy.member_count, copy.item_count) == (3, 1)
    # without the rule (the source has none), members the rule made are kept by hand
    assert _members(app, "gold2") == ["MANUAL"] * 3
    assert _members(app, "gold") == ["MANUAL", "AUTOMATIC", "AUTOMATIC"]


def test_duplicate_without_members_or_items(app, editor, gold):
    editor.post("/segments/gold/duplicate", data={"id": "bare", "name": "Bare"})
    copy = _segment(app, "bare")
    assert (copy.member_count, copy.item_count) == (0, 0)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(CustomerAssignment)
                .where(CustomerAssignment.segment_pk == copy.pk)
            )
            == 0
        )


def test_duplicate_keeps_the_rule_and_its_members(app, editor, gold):
    rule = {"op": "and", "conditions": []}
    with app.app_context():
        segment = db.session.scalar(select(Segment).where(Segment.id == "gold"))
        segment.rule = rule
        db.session.commit()
    editor.post(
        "/segments/gold/duplicate",
        data={"id": "ruled", "name": "Ruled", "members": "1", "rule": "1"},
    )
    copy = _segment(app, "ruled")
    assert copy.rule == rule
    assert _members(app, "ruled") == ["MANUAL", "AUTOMATIC", "AUTOMATIC"]


def test_errors_stand_beside_the_fields(editor, gold):
    taken = editor.post("/segments/gold/duplicate", data={"id": "gold", "name": "X"})
    assert taken.status_code == 422
    html = page_text(taken)
    assert 'id="f-id-errors"' in html and "exists already" in html
    empty = page_text(editor.post("/segments/gold/duplicate", data={"id": "", "name": ""}))
    assert "Choose an id" in empty and "Give the copy a name" in empty
    reserved = page_text(editor.post("/segments/gold/duplicate", data={"id": "bulk", "name": "X"}))
    assert 'id="f-id-errors"' in reserved and "reserved" in reserved


def test_viewer_cannot_duplicate(viewer, gold):
    assert viewer.get("/segments/gold/duplicate").status_code == 403
