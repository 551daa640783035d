"""Assigning or unassigning one item of a segment from the dashboard, through the API's
writer."""

from __future__ import annotations

from ..errors import NotFound
from ..models import Segment, Tenant
from .assignments.items import ItemAssignments


def set_item_assigned(
    tenant: Tenant, segment: Segment, kind: str, item_id: str, assign: bool
) -> bool:
    """Assign (or unassign) the CATEGORY or PRODUCT `item_id`; whether anything changed."""
    batch = ItemAssignments(tenant, segment, kind, [item_id])
    item_pk = batch.items.get(item_id)
    if item_pk is None:
        label = "Category" if kind == "CATEGORY" else "Product"
        raise NotFound(item_id, f"{label} {item_id} is not in this tenant's directory.")
    if (item_pk in batch.assignments) == assign:
        return False
    if assign:
        batch.upsert(item_id, {})
    else:
        batch.delete(item_id)
    return True
