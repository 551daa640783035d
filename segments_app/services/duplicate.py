"""Duplicating a segment: its fields under a new id and name, and optionally its rule, its
members and its items, copied set-based (INSERT ... SELECT) in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, insert, literal, select

from ..extensions import db, rowcount
from ..models import CustomerAssignment, ItemAssignment, Segment, Tenant
from ..models.types import utcnow
from ..query.i18n import text_in
from . import activity, counters
from .rules import runs
from .segments import create_segment, get_segment


@dataclass(frozen=True)
class Copying:
    """What goes along besides the segment's fields."""

    members: bool = True
    items: bool = True
    rule: bool = True


def copy_name(segment: Segment, language: str) -> str:
    """The name a copy is offered: "Copy of …" in the tenant's language."""
    return f"Copy of {text_in(segment.name, language) or segment.id}"


def duplicate_segment(
    tenant: Tenant, source_id: str, new_id: str, name: str, copying: Copying
) -> Segment:
    """A new segment `new_id` named `name` (in the tenant's language; other languages keep
    the source's) with the source's fields; 409 when `new_id` exists, 400 when it is no
    valid id. A copied rule keeps its members when they are copied, else it runs afresh; copied
    members without the rule become members kept by hand (MANUAL)."""
    source = get_segment(tenant, source_id)
    doc = {
        "id": new_id,
        "name": {**(source.name or {}), tenant.default_language: name},
        "siteCode": source.site_code,
        "status": source.status,
    }
    if source.description:
        doc["description"] = source.description
    if source.valid_from or source.valid_to:
        doc["validity"] = {
            key: value.isoformat().replace("+00:00", "Z")
            for key, value in (("from", source.valid_from), ("to", source.valid_to))
            if value is not None
        }
    if source.mixins:
        doc["mixins"] = source.mixins
    copy = create_segment(tenant, doc, "")
    copy.metadata_mixins = source.metadata_mixins
    with_rule = copying.rule and source.rule is not None
    if with_rule:
        copy.rule = source.rule
        copy.rule_relative = source.rule_relative
        copy.rule_version = 1
        copy.rule_evaluated_at = source.rule_evaluated_at if copying.members else None
    db.session.flush()
    members = _copy_members(source, copy, keep_automatic=with_rule) if copying.members else 0
    items = _copy_items(source, copy) if copying.items else 0
    counters.adjust(db.session, copy.pk, members=members, items=items)
    if members:
        activity.record(copy, "members.added", members, {"reason": "duplicate"})
    if items:
        activity.record(copy, "items.assigned", items, {"reason": "duplicate"})
    if with_rule:
        activity.record(copy, "rule.saved", 1, {"ruleVersion": copy.rule_version})
        if not copying.members:
            runs.queue_evaluation(copy, "saved")
    db.session.expire(copy, ["member_count", "item_count"])
    return copy


def _copy_members(source: Segment, copy: Segment, keep_automatic: bool) -> int:
    a = CustomerAssignment
    kind = (
        a.assignment_type
        if keep_automatic
        else case((a.assignment_type == "AUTOMATIC", "MANUAL"), else_=a.assignment_type)
    )
    own = {"customer_pk": a.customer_pk, "legal_entity_pk": a.legal_entity_pk}
    return _copy_rows(a, source, copy, {**own, "assignment_type": kind})


def _copy_items(source: Segment, copy: Segment) -> int:
    i = ItemAssignment
    own = {"item_type": i.item_type, "product_pk": i.product_pk, "category_pk": i.category_pk}
    return _copy_rows(i, source, copy, own)


def _copy_rows(
    model: type[CustomerAssignment] | type[ItemAssignment],
    source: Segment,
    copy: Segment,
    columns: dict[str, Any],
) -> int:
    """Copy the source's assignments of one kind to the copy: `columns` (name -> what it takes,
    mostly the row's own value), the mixins as they are, a first version and fresh times."""
    now = utcnow()
    values = {
        "segment_pk": literal(copy.pk),
        **columns,
        "mixins": model.mixins,
        "metadata_mixins": model.metadata_mixins,
        "version": literal(1),
        "created_at": literal(now, model.created_at.type),
        "modified_at": literal(now, model.modified_at.type),
    }
    return rowcount(
        db.session.execute(
            insert(model.__table__)
            .from_select(
                list(values), select(*values.values()).where(model.segment_pk == source.pk)
            )
            # an INSERT's rowcount is kept only when asked for (SQLAlchemy 2.1)
            .execution_options(preserve_rowcount=True)
        )
    )
