"""Assigning or unassigning one item of a segment from the dashboard, through the API's
writer, and putting back an assignment the dashboard removed (its Undo)."""

from __future__ import annotations

from ..errors import NotFound
from ..models import Segment, Tenant
from .assignments.items import ItemAssignments
from .snapshots import restore, snapshot, upsert_body


def _batch(
    tenant: Tenant, segment: Segment, kind: str, item_id: str
) -> tuple[ItemAssignments, int]:
    batch = ItemAssignments(tenant, segment, kind, [item_id])
    item_pk = batch.items.get(item_id)
    if item_pk is None:
        label = "Category" if kind == "CATEGORY" else "Product"
        raise NotFound(item_id, f"{label} {item_id} is not in this tenant's directory.")
    return batch, item_pk


def set_item_assigned(
    tenant: Tenant, segment: Segment, kind: str, item_id: str, assign: bool
) -> bool:
    """Assign (or unassign) the CATEGORY or PRODUCT `item_id`; whether anything changed."""
    if not assign:
        return unassign_item(tenant, segment, kind, item_id) is not None
    batch, item_pk = _batch(tenant, segment, kind, item_id)
    if item_pk in batch.assignments:
        return False
    batch.upsert(item_id, {})
    return True


def unassign_item(tenant: Tenant, segment: Segment, kind: str, item_id: str) -> dict | None:
    """Unassign the CATEGORY or PRODUCT `item_id`; the assignment as it was (see
    services.snapshots), None when it was not assigned."""
    batch, item_pk = _batch(tenant, segment, kind, item_id)
    assignment = batch.assignments.get(item_pk)
    if assignment is None:
        return None
    was = snapshot(assignment)
    batch.delete(item_id)
    return was


def restore_item(tenant: Tenant, segment: Segment, kind: str, item_id: str, was: dict) -> None:
    """Put back the assignment of `item_id` as unassign_item took it."""
    batch, item_pk = _batch(tenant, segment, kind, item_id)
    batch.upsert(item_id, upsert_body(was))
    restore(batch.assignments[item_pk], was)
