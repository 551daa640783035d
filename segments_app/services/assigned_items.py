"""The items a segment has, as a plain list (the Items tab browses the catalog as a tree; this
list is where many of them are ticked and unassigned at once)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import Category, ItemAssignment, Product, Segment
from ..query.i18n import text_in
from ..query.listing import Page, read_page


@dataclass(frozen=True)
class AssignedItem:
    assignment_pk: int
    kind: str
    id: str
    name: str


@dataclass(frozen=True)
class AssignedPage:
    items: list[AssignedItem]
    number: int
    total: int


def assigned_items(segment: Segment) -> Select:
    """(assignment pk, type, item id, item name) of the segment's items, in assignment order
    (the segment's own index on item assignments serves it)."""
    return (
        select(
            ItemAssignment.pk,
            ItemAssignment.item_type,
            func.coalesce(Product.id, Category.id),
            func.coalesce(Product.name, Category.name),
        )
        .outerjoin(Product, Product.pk == ItemAssignment.product_pk)
        .outerjoin(Category, Category.pk == ItemAssignment.category_pk)
        .where(ItemAssignment.segment_pk == segment.pk)
        .order_by(ItemAssignment.pk)
    )


def assigned_page(segment: Segment, number: int, size: int, language: str) -> AssignedPage:
    """Page `number` (or the last) of the segment's items; its total is the stored count."""
    paged = read_page(
        db.session,
        assigned_items(segment),
        Page(number, size),
        count=segment.item_count,
        within=True,
    )
    items = [
        AssignedItem(pk, kind, item_id, text_in(name, language) or item_id)
        for pk, kind, item_id, name in paged.rows
    ]
    return AssignedPage(items, paged.page.number, segment.item_count)
