"""Removing many members, or unassigning many items, at once: the dialog's count, one DELETE,
the counts kept, and the Undo that restores exactly the rows removed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import CustomerAssignment, ItemAssignment, Segment
from segments_app.services.segments import create_segment
from tests.factories import (
    add_assignment,
    add_customer,
    add_legal_entity,
    add_product,
    tenant_named,
)
from tests.pages import hx_events, page_text


@pytest.fixture
def gold(app, tenant):
    """Segment gold: c0 B2C (with mixins), c1 for entity le1, c2 B2C; products p0 and p1."""
    with app.app_context():
        body = {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}
        segment = create_segment(tenant_named(), body, "")
        add_legal_entity("acme", "le1")
        for n in range(3):
            customer = add_customer("acme", f"c{n}", legal_entity_ids=["le1"] if n == 1 else [])
            add_assignment(
                CustomerAssignment(
                    segment_pk=segment.pk,
                    customer_pk=customer.pk,
                    legal_entity_pk=None,
                    mixins={"n": n} if n == 0 else None,
                )
            )
        for n in range(2):
            product = add_product("acme", f"p{n}")
            add_assignment(
                ItemAssignment(segment_pk=segment.pk, item_type="PRODUCT", product_pk=product.pk)
            )
        db.session.commit()
        return segment.pk


def _rows(app, model) -> list[dict]:
    with app.app_context():
        table = model.__table__
        return [dict(r) for r in db.session.execute(select(table).order_by(table.c.pk)).mappings()]


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        segment = db.session.scalar(select(Segment).where(Segment.id == "gold"))
        return segment.member_count, segment.item_count


def test_member_rows_can_be_ticked(editor, viewer, gold):
    html = page_text(editor.get("/segments/gold"))
    assert 'form="member-bulk" name="ids"' in html and "Remove ticked" in html
    assert "data-bulk-every" in html
    assert 'form="member-bulk"' not in page_text(viewer.get("/segments/gold"))


def test_confirmation_names_the_count(app, editor, gold):
    pks = [row["pk"] for row in _rows(app, CustomerAssignment)]
    query = "&".join(f"ids={pk}" for pk in pks[:2])
    html = page_text(editor.get(f"/segments/gold/members/bulk?{query}", htmx=True))
    assert "Remove 2 members?" in html and "undo" in html


def test_remove_then_undo_restores_exactly(app, editor, gold):
    before = _rows(app, CustomerAssignment)
    ticked = [before[0]["pk"], before[2]["pk"]]
    answer = editor.post(
        "/segments/gold/members/bulk", htmx=True, data={"ids": ticked, "back": "/segments/gold"}
    )
    assert answer.status_code == 200
    events = hx_events(answer)
    assert events["notify"]["message"] == "Removed 2 members."
    assert "counts-changed" in events
    assert [row["pk"] for row in _rows(app, CustomerAssignment)] == [before[1]["pk"]]
    assert _counts(app) == (1, 2)
    token = re.search(r'name="token" value="([^"]+)"', page_text(answer)).group(1)
    undone = editor.post("/segments/gold/members/bulk/undo", htmx=True, data={"token": token})
    assert hx_events(undone)["notify"]["message"] == "Restored: 2 members."
    assert _rows(app, CustomerAssignment) == before
    assert _counts(app) == (3, 2)
    # once only
    again = editor.post("/segments/gold/members/bulk/undo", htmx=True, data={"token": token})
    assert again.status_code == 400


def test_undo_skips_a_member_added_again_meanwhile(app, editor, gold):
    before = _rows(app, CustomerAssignment)
    answer = editor.post("/segments/gold/members/bulk", htmx=True, data={"ids": [before[0]["pk"]]})
    token = re.search(r'name="token" value="([^"]+)"', page_text(answer)).group(1)
    editor.post("/segments/gold/members", htmx=True, data={"customer_id": "c0"})
    editor.post("/segments/gold/members/bulk/undo", htmx=True, data={"token": token})
    assert len(_rows(app, CustomerAssignment)) == 3
    assert _counts(app)[0] == 3


def test_ids_of_another_segment_are_not_touched(app, editor, gold):
    with app.app_context():
        other = create_segment(
            tenant_named(), {"id": "other", "name": {"en": "O"}, "siteCode": "main"}, ""
        )
        customer = add_customer("acme", "x")
        theirs = add_assignment(CustomerAssignment(segment_pk=other.pk, customer_pk=customer.pk))
        db.session.commit()
        pk = theirs.pk
    answer = editor.post("/segments/gold/members/bulk", htmx=True, data={"ids": [pk]})
    assert hx_events(answer)["notify"]["message"] == "Removed 0 members."
    assert len(_rows(app, CustomerAssignment)) == 4


def test_nothing_ticked_is_a_bad_request(editor, gold):
    assert editor.post("/segments/gold/members/bulk", data={"ids": ["x"]}).status_code == 400


def test_without_htmx_a_page_offers_the_undo(app, editor, gold):
    pk = _rows(app, CustomerAssignment)[0]["pk"]
    html = page_text(editor.post("/segments/gold/members/bulk", data={"ids": [pk]}))
    assert "<html" in html and "Removed 1 member." in html and ">Undo<" in html


def test_unassign_items_then_undo(app, editor, gold):
    before = _rows(app, ItemAssignment)
    answer = editor.post(
        "/segments/gold/items/bulk", htmx=True, data={"ids": [row["pk"] for row in before]}
    )
    assert hx_events(answer)["notify"]["message"] == "Unassigned 2 items."
    assert _rows(app, ItemAssignment) == [] and _counts(app) == (3, 0)
    token = re.search(r'name="token" value="([^"]+)"', page_text(answer)).group(1)
    editor.post("/segments/gold/items/bulk/undo", htmx=True, data={"token": token})
    assert _rows(app, ItemAssignment) == before and _counts(app) == (3, 2)


def test_viewer_cannot_remove(app, viewer, gold):
    pk = _rows(app, CustomerAssignment)[0]["pk"]
    assert viewer.post("/segments/gold/members/bulk", data={"ids": [pk]}).status_code == 403


def test_items_tab_lists_assigned_items_to_tick(app, editor, gold):
    html = page_text(editor.get("/segments/gold/items"))
    assert 'id="assigned-items"' in html and "Unassign ticked" in html
    assert html.count('form="item-bulk" name="ids"') == 2 and ">p0<" in html
    fragment = page_text(editor.get("/segments/gold/items/assigned", htmx=True))
    assert fragment.startswith('<div id="assigned-items"') and ">p1<" in fragment
    pks = [row["pk"] for row in _rows(app, ItemAssignment)]
    confirm = page_text(editor.get(f"/segments/gold/items/bulk?ids={pks[0]}", htmx=True))
    assert "Unassign 1 item?" in confirm
