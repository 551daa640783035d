"""Item assignments: the products and categories a segment's members see."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, func, select

from ...errors import BadRequest, NotFound
from ...extensions import db
from ...models import Category, ItemAssignment, Product, Segment, Tenant
from ...models.assignments import ITEM_TYPES
from ...models.types import JSONDoc
from ...query.fields import Field, FieldSet, Kind
from ...query.listing import Join, joined, tables_of
from ...query.q import compile_q
from .. import activity
from ..segments import effective, segments_query
from .common import checked_body, finish_document, metadata_fields, remove, write

#: an assignment names either a product or a category; the item columns read whichever it is
ITEM_ID = func.coalesce(Product.id, Category.id)
ITEM_CODE = func.coalesce(Product.code, Category.code)
ITEM_NAME = func.coalesce(Product.name, Category.name, type_=JSONDoc)

#: what a row of item_assignments_query joins to its assignment
_JOINS: tuple[Join, ...] = (
    (Segment, Segment.pk == ItemAssignment.segment_pk, False),
    (Product, Product.pk == ItemAssignment.product_pk, True),
    (Category, Category.pk == ItemAssignment.category_pk, True),
)

ITEM_FIELDS = FieldSet(
    Field("item.id", Kind.STRING, ITEM_ID),
    Field("item.code", Kind.STRING, ITEM_CODE),
    Field("item.name", Kind.LOCALIZED, ITEM_NAME),
    Field("type", Kind.STRING, ItemAssignment.item_type),
    Field("segmentId", Kind.STRING, Segment.id),
    *metadata_fields(ItemAssignment),
)
#: top-level keys of an item assignment document (for `fields=`)
ITEM_KEYS = ("segmentId", "item", "type", "mixins", "metadata")
#: what `fields=` always keeps: what tells one assignment from another
ITEM_IDENTITY = ("segmentId", "item.id", "type")


def item_type(raw: str) -> str:
    """The path's `{type}`, any case, as PRODUCT or CATEGORY; 400 for anything else."""
    upper = raw.upper()
    if upper not in ITEM_TYPES:
        raise BadRequest(f"The item type must be PRODUCT or CATEGORY (in any case), got '{raw}'.")
    return upper


def _conditions(
    tenant: Tenant,
    q: str | None,
    segment: Segment | None = None,
    site_code: str | None = None,
    only_effective: bool = False,
    own=None,
) -> list[Any]:
    conditions: list[Any] = []
    if segment is not None:
        conditions.append(ItemAssignment.segment_pk == segment.pk)
    if own is not None:
        # the pks of the tenant's segments that `own` is in (a handful), found first so that
        # the assignments come from the (segment_pk, pk) index of those segments alone
        segments = segments_query(tenant, only_effective=only_effective, membership=own)
        if site_code is not None:
            segments = segments.where(Segment.site_code == site_code)
        pks = db.session.scalars(segments.order_by(None).with_only_columns(Segment.pk)).all()
        conditions.append(ItemAssignment.segment_pk.in_(pks))
    else:
        conditions.append(Segment.tenant_id == tenant.id)
        if site_code is not None:
            conditions.append(Segment.site_code == site_code)
        if only_effective:
            conditions.append(effective())
    condition = compile_q(q, ITEM_FIELDS)
    if condition is not None:
        conditions.append(condition)
    return conditions


def item_assignments_query(
    tenant: Tenant,
    q: str | None = None,
    *,
    segment: Segment | None = None,
    site_code: str | None = None,
    only_effective: bool = False,
    own=None,
    order: Sequence[Any] = (),
) -> Select:
    """Rows (assignment, product or None, category or None, segment id) matching `q`, in
    `order` (default the pk).

    Narrowed to one `segment`, to the segments of `site_code`, to effective segments, or to
    the segments that `own` (a condition on CustomerAssignment, see customer_view) is in.
    """
    conditions = _conditions(tenant, q, segment, site_code, only_effective, own)
    return _rows(conditions, order)


def item_assignments_listing(
    tenant: Tenant, q: str | None = None, *, order: Sequence[Any] = (), **filters: Any
) -> tuple[Select, Select]:
    """item_assignments_query(tenant, q, order=order, **filters) and the pks of its rows, in
    the same order, joining only the tables that the conditions and `order` read: the two
    statements of query.listing.page_by_key.

    The joins left out neither drop nor repeat assignments (segment_pk is not null, the item
    joins are outer on primary keys), so the rows are the same. The first statement leaves the
    conditions to the pks: it only reads the page's rows by their pks, which a condition on
    segment_pk could turn into reading all of the segments' rows.
    """
    conditions = _conditions(tenant, q, **filters)
    keys = joined(select(ItemAssignment.pk), _JOINS, tables_of(*conditions, *order))
    key_order = list(order) or [ItemAssignment.pk]
    if filters.get("own") is not None:
        # A customer's few segments: read their keys from the (segment_pk, pk) index and sort
        # them, rather than walk the whole primary key in order until a page has matched
        # (which reads every item assignment of the tenant when the segments have few).
        key_order = [ItemAssignment.pk + 0 if c is ItemAssignment.pk else c for c in key_order]
    keys = keys.where(*conditions).order_by(*key_order)
    return _rows([], order), keys


def _rows(conditions: list[Any], order: Sequence[Any]) -> Select:
    return (
        joined(select(ItemAssignment, Product, Category, Segment.id), _JOINS)
        .where(*conditions)
        .order_by(*(list(order) or [ItemAssignment.pk]))
    )


def get_item_assignment(tenant: Tenant, segment: Segment, kind: str, item_id: str) -> Row:
    """The row of one assignment, as item_assignments_query gives it; 404 if absent."""
    model = Product if kind == "PRODUCT" else Category
    stmt = item_assignments_query(tenant, segment=segment).where(
        ItemAssignment.item_type == kind, model.id == item_id
    )
    row = db.session.execute(stmt).first()
    if row is None:
        raise NotFound(item_id, _absent(segment, kind, item_id))
    return row


def item_assignment_document(row: Row) -> dict:
    """The contract's ItemAssignmentResponse, with full language maps."""
    assignment, product, category, segment_id = row
    item = product if product is not None else category
    item_doc: dict[str, Any] = {"id": item.id}
    if item.code is not None:
        item_doc["code"] = item.code
    item_doc["name"] = item.name
    doc = {"segmentId": segment_id, "item": item_doc, "type": assignment.item_type}
    return finish_document(doc, assignment)


def element_id(element: object) -> str:
    """The item id of a bulk upsert element ({id, ...}); 400 when it has none."""
    if not isinstance(element, dict):
        raise BadRequest('Each element must be an object such as {"id": "p1"}.')
    item_id = element.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise BadRequest("id is required and must be a non-empty string.")
    return item_id


def deleted_id(element: object) -> str:
    """The item id of a bulk delete element (a plain string)."""
    if not isinstance(element, str) or not element:
        raise BadRequest("Each element must be an item id (a non-empty string).")
    return element


class ItemAssignments:
    """Writes to one segment's assignments of one item type, with the products or categories
    they name loaded up front, so a bulk request costs a few queries whatever its size."""

    def __init__(self, tenant: Tenant, segment: Segment, kind: str, item_ids: Iterable[str]):
        self.segment = segment
        self.kind = kind
        self.model = Product if kind == "PRODUCT" else Category
        self.column = ItemAssignment.product_pk if kind == "PRODUCT" else ItemAssignment.category_pk
        ids = set(item_ids)
        self.items: dict[str, int] = {}
        self.assignments: dict[int, ItemAssignment] = {}
        if not ids:
            return
        rows = db.session.execute(
            select(self.model.id, self.model.pk).where(
                self.model.tenant_id == tenant.id, self.model.id.in_(ids)
            )
        )
        self.items = dict(rows.all())
        if self.items:
            self.assignments = {
                getattr(a, self.column.key): a
                for a in db.session.scalars(
                    select(ItemAssignment).where(
                        ItemAssignment.segment_pk == segment.pk,
                        self.column.in_(list(self.items.values())),
                    )
                )
            }

    def upsert(self, item_id: str, body: object, schema: str = "ItemAssignmentUpsert") -> bool:
        """Create or replace the assignment of `item_id` from `body`; returns whether it was
        created."""
        doc = checked_body(body, schema)
        item_pk = self.items.get(item_id)
        if item_pk is None:
            label = "Product" if self.kind == "PRODUCT" else "Category"
            raise BadRequest(
                f"{label} {item_id} is not in this tenant's directory.", resource_id=item_id
            )

        def make() -> ItemAssignment:
            assignment = ItemAssignment(segment_pk=self.segment.pk, item_type=self.kind)
            setattr(assignment, self.column.key, item_pk)
            return assignment

        assignment, created = write(self.assignments.get(item_pk), doc, make)
        self.assignments[item_pk] = assignment
        if created:
            activity.record(self.segment, "items.assigned", detail={"type": self.kind})
        return created

    def delete(self, item_id: str) -> None:
        """Remove the assignment of `item_id`; 404 if there is none."""
        item_pk = self.items.get(item_id)
        assignment = self.assignments.pop(item_pk, None) if item_pk is not None else None
        if assignment is None:
            raise NotFound(item_id, _absent(self.segment, self.kind, item_id))
        remove(assignment)
        activity.record(self.segment, "items.unassigned", detail={"type": self.kind})


def _absent(segment: Segment, kind: str, item_id: str) -> str:
    label = "Product" if kind == "PRODUCT" else "Category"
    return f"{label} {item_id} is not assigned to segment {segment.id}."
