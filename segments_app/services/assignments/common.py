"""What customer and item assignments share: the upsert body, versions and metadata, and the
one way an assignment is written or removed (which keeps its segment's counts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from ...errors import BadRequest, ValidationFailed
from ...extensions import db
from ...models import CustomerAssignment, ItemAssignment
from ...models.types import isoformat, utcnow
from ...query.fields import Field, Kind
from .. import counters
from ..documents import check_version, drop_nulls
from ..validation import validate

Assignment = TypeVar("Assignment", CustomerAssignment, ItemAssignment)
Key = TypeVar("Key")


def candidates(elements: Iterable[object], read: Callable[[object], Key]) -> list[Key]:
    """The keys that `read` finds in the bulk elements that have one (the others fail on their
    own later)."""
    keys = []
    for element in elements:
        try:
            keys.append(read(element))
        except BadRequest:
            continue
    return keys


def metadata_fields(model: Any) -> list[Field]:
    """The `mixins` and `metadata.*` fields every assignment exposes to q, sort and fields."""
    return [
        Field("mixins", Kind.JSON, model.mixins),
        Field("metadata.version", Kind.NUMBER, model.version),
        Field("metadata.createdAt", Kind.DATE, model.created_at),
        Field("metadata.modifiedAt", Kind.DATE, model.modified_at),
        Field("metadata.mixins", Kind.JSON, model.metadata_mixins),
    ]


def checked_body(doc: object, schema: str) -> dict:
    """An upsert body, shape-checked against the contract schema `schema`."""
    if not isinstance(doc, dict):
        raise ValidationFailed.field("", "The body must be a JSON object.", "type")
    doc = drop_nulls(dict(doc), ("mixins", "metadata"))
    validate(schema, doc)
    return doc


def write(
    existing: Assignment | None, doc: dict, make: Callable[[], Assignment]
) -> tuple[Assignment, bool]:
    """Create (with `make`) or replace an assignment from a checked body; (assignment, created).

    PUT semantics: mixins absent from the body are cleared. The version grows only when
    something changed, and a body carrying another version than the stored one is a 409.
    """
    mixins = doc.get("mixins")
    metadata_mixins = (doc.get("metadata") or {}).get("mixins") or None
    if existing is None:
        now = utcnow()
        assignment = make()
        assignment.version = 1
        assignment.created_at = now
        assignment.modified_at = now
        assignment.mixins = mixins
        assignment.metadata_mixins = metadata_mixins
        return add(assignment), True
    check_version(doc, existing.version)
    if existing.mixins != mixins or existing.metadata_mixins != metadata_mixins:
        existing.mixins = mixins
        existing.metadata_mixins = metadata_mixins
        existing.version += 1
        existing.modified_at = utcnow()
        db.session.flush()
    return existing, False


def add(assignment: Assignment) -> Assignment:
    """Write a new assignment and count it in its segment."""
    db.session.add(assignment)
    db.session.flush()
    _count(assignment, 1)
    return assignment


def remove(assignment: CustomerAssignment | ItemAssignment) -> None:
    """Delete an assignment and uncount it from its segment."""
    db.session.delete(assignment)
    db.session.flush()
    _count(assignment, -1)


def _count(assignment: CustomerAssignment | ItemAssignment, sign: int) -> None:
    if isinstance(assignment, CustomerAssignment):
        counters.adjust(db.session, assignment.segment_pk, members=sign)
    else:
        counters.adjust(db.session, assignment.segment_pk, items=sign)


def finish_document(doc: dict, assignment: CustomerAssignment | ItemAssignment) -> dict:
    """Add `mixins` and `metadata` (the contract's MetadataResponse) to a response document."""
    if assignment.mixins is not None:
        doc["mixins"] = assignment.mixins
    metadata: dict = {
        "version": assignment.version,
        "createdAt": isoformat(assignment.created_at),
        "modifiedAt": isoformat(assignment.modified_at),
    }
    if assignment.metadata_mixins:
        metadata["mixins"] = assignment.metadata_mixins
    doc["metadata"] = metadata
    return doc


def present(values: dict[str, Any]) -> dict[str, Any]:
    """`values` without the keys whose value is None."""
    return {key: value for key, value in values.items() if value is not None}
