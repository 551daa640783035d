"""What an assignment was before the dashboard removed it, as plain JSON values, so that an
Undo can put it back exactly: its mixins, its metadata mixins, since when it was there and the
import that made it."""

from __future__ import annotations

from datetime import datetime

from ..extensions import db
from ..models import CustomerAssignment, ItemAssignment


def snapshot(assignment: CustomerAssignment | ItemAssignment) -> dict:
    """The fields of `assignment` an Undo restores (JSON values)."""
    taken: dict[str, object] = {
        "mixins": assignment.mixins,
        "metadataMixins": assignment.metadata_mixins,
        # full precision: the Undo puts back the very instant, not its millisecond
        "createdAt": assignment.created_at.isoformat(),
    }
    if isinstance(assignment, CustomerAssignment):
        taken["type"] = assignment.assignment_type
        taken["importId"] = assignment.import_id
    return taken


def upsert_body(taken: dict) -> dict:
    """The PUT body that writes the snapshot's mixins back (PUT clears what it leaves out)."""
    body: dict = {}
    if taken.get("mixins") is not None:
        body["mixins"] = taken["mixins"]
    if taken.get("metadataMixins"):
        body["metadata"] = {"mixins": taken["metadataMixins"]}
    return body


def restore(assignment: CustomerAssignment | ItemAssignment, taken: dict) -> None:
    """Give the assignment written back by an upsert what the upsert cannot set: since when it
    was there, and for a member its type and the import that made it."""
    assignment.created_at = datetime.fromisoformat(taken["createdAt"])
    if isinstance(assignment, CustomerAssignment):
        assignment.assignment_type = taken.get("type") or "MANUAL"
        assignment.import_id = taken.get("importId")
    db.session.flush()
