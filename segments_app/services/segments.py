"""Segments: queries and commands shared by the API and the dashboard."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, delete, select

from ..errors import BadRequest, Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..limits import ID_MAX_LENGTH
from ..models import CustomerAssignment, ItemAssignment, Segment, Tenant
from ..models.segments import STATUSES
from ..models.types import utcnow
from ..query.i18n import check_languages, localize_input
from ..query.q import compile_q
from . import activity
from .documents import MSG_EXISTS, apply_patch, check_version, drop_nulls, new_id
from .longwork import lift_statement_timeout
from .rules.triggers import membership_changed
from .segment_document import (
    LOCALIZED_FIELDS,
    NULL_IS_ABSENT,
    SEGMENT_FIELDS,
    apply,
    editable_document,
)
from .validation import parse_datetime, validate

#: ids that would be shadowed by the contract's literal paths under /segments/
RESERVED_IDS = frozenset({"bulk", "search", "match", "items"})


def effective(now: datetime | None = None):
    """SQL: the segment is ACTIVE and valid now (Segment.valid_at_sql)."""
    return and_(Segment.status == "ACTIVE", Segment.valid_at_sql(now or utcnow()))


def segments_query(
    tenant: Tenant,
    q: str | None = None,
    *,
    only_effective: bool = False,
    membership=None,
) -> Select:
    """Segments of a tenant matching `q`.

    `membership`, a condition on CustomerAssignment (see services.assignments.membership),
    keeps only the segments that have a matching assignment.
    """
    return segments_where(Segment.tenant_id == tenant.id, q, only_effective, membership)


def segments_where(of_tenant, q: str | None, only_effective: bool, membership) -> Select:
    """segments_query for the tenant condition `of_tenant` (a bound parameter in shared
    statements)."""
    stmt = select(Segment).where(of_tenant)
    condition = compile_q(q, SEGMENT_FIELDS)
    if condition is not None:
        stmt = stmt.where(condition)
    if only_effective:
        stmt = stmt.where(effective())
    if membership is not None:
        stmt = stmt.where(Segment.pk.in_(select(CustomerAssignment.segment_pk).where(membership)))
    return stmt.order_by(Segment.pk)


def get_segment(tenant: Tenant, segment_id: str) -> Segment:
    segment = find_segment(tenant, segment_id)
    if segment is None:
        raise NotFound(segment_id)
    return segment


def find_segment(tenant: Tenant, segment_id: str) -> Segment | None:
    return db.session.scalar(
        select(Segment).where(Segment.tenant_id == tenant.id, Segment.id == segment_id)
    )


def _checked(tenant: Tenant, doc: object, schema: str, content_lang: str | None) -> dict:
    """Localize plain strings, check the shape against the contract, then the domain rules."""
    if not isinstance(doc, dict):
        raise ValidationFailed.field("", "The body must be a JSON object.", "type")
    doc = drop_nulls(dict(doc), NULL_IS_ABSENT)
    localize_input(doc, LOCALIZED_FIELDS, content_lang, tenant.default_language)
    validate(schema, doc)
    check_languages(doc, LOCALIZED_FIELDS, tenant.languages)
    validity = doc.get("validity") or {}
    start, end = validity.get("from"), validity.get("to")
    if start and end and parse_datetime(start) > parse_datetime(end):
        raise ValidationFailed.field(
            "validity.from",
            f"validity.from ({start}) must not be after validity.to ({end}).",
            "range",
        )
    return doc


def _check_new_id(segment_id: str) -> None:
    if segment_id in RESERVED_IDS:
        raise ValidationFailed.field(
            "id", f"'{segment_id}' is reserved by the API's paths; choose another id.", "reserved"
        )
    if len(segment_id) > ID_MAX_LENGTH:
        message = f"id must be at most {ID_MAX_LENGTH} characters long; it has {len(segment_id):,}."
        raise ValidationFailed.field("id", message, "maxLength")


def create_segment(tenant: Tenant, doc: object, content_lang: str | None = "") -> Segment:
    """Create from a SegmentCreation document; 409 if its id exists."""
    doc = _checked(tenant, doc, "SegmentCreation", content_lang)
    segment_id = doc.get("id") or new_id()
    _check_new_id(segment_id)
    if find_segment(tenant, segment_id) is not None:
        raise Conflict(MSG_EXISTS, resource_id=segment_id)
    return _insert(tenant, segment_id, doc)


def _insert(tenant: Tenant, segment_id: str, doc: dict) -> Segment:
    """Add the new segment `segment_id` made from the checked `doc`, and record its creation."""
    now = utcnow()
    segment = Segment(
        tenant_id=tenant.id, id=segment_id, version=1, created_at=now, modified_at=now
    )
    apply(segment, doc)
    db.session.add(segment)
    db.session.flush()
    activity.record(segment, "segment.created")
    return segment


def upsert_segment(
    tenant: Tenant,
    segment_id: str,
    doc: object,
    content_lang: str | None = "",
    schema: str = "SegmentUpdate",
) -> tuple[Segment, bool]:
    """Create or replace the segment `segment_id`; returns (segment, created)."""
    doc = _checked(tenant, doc, schema, content_lang)
    if doc.get("id") not in (None, segment_id):
        raise ValidationFailed.field(
            "id", f"The body's id '{doc['id']}' differs from the path's '{segment_id}'.", "mismatch"
        )
    segment = find_segment(tenant, segment_id)
    if segment is None:
        _check_new_id(segment_id)
        return _insert(tenant, segment_id, doc), True
    check_version(doc, segment.version)
    _save_changes(segment, doc)
    return segment, False


def patch_segment(
    tenant: Tenant, segment_id: str, patch: object, content_lang: str | None = ""
) -> Segment:
    """Apply a JSON Patch or merge patch; the result is validated like a PUT body."""
    segment = get_segment(tenant, segment_id)
    patched = apply_patch(editable_document(segment), patch)
    if not isinstance(patched, dict):
        raise ValidationFailed.field("", "The patched segment must be a JSON object.", "type")
    if patched.get("id", segment_id) != segment_id:
        raise ValidationFailed.field("id", "A segment's id cannot be changed.", "immutable")
    doc = _checked(tenant, patched, "SegmentUpdate", content_lang)
    check_version(doc, segment.version)
    _save_changes(segment, doc)
    return segment


def set_status(tenant: Tenant, segment_id: str, status: str, version: int | None = None) -> Segment:
    """Activate or deactivate a segment in place."""
    if status not in STATUSES:
        raise BadRequest(f"status must be ACTIVE or INACTIVE, got '{status}'.")
    segment = get_segment(tenant, segment_id)
    if version is not None:
        check_version({"metadata": {"version": version}}, segment.version)
    if segment.status != status:
        segment.status = status
        _touch(segment)
        action = "segment.activated" if status == "ACTIVE" else "segment.deactivated"
        activity.record(segment, action)
    return segment


def _save_changes(segment: Segment, doc: dict) -> None:
    if apply(segment, doc):
        _touch(segment)
        activity.record(segment, "segment.updated")


def _touch(segment: Segment) -> None:
    segment.version += 1
    segment.modified_at = utcnow()
    db.session.flush()


@dataclass(frozen=True)
class Dependents:
    customers: int = 0
    items: int = 0

    @property
    def any(self) -> bool:
        return bool(self.customers or self.items)

    def describe(self) -> str:
        return f"{self.customers} customer assignment(s) and {self.items} item assignment(s)"


def dependents(segment_pks: Sequence[int]) -> dict[int, Dependents]:
    """How many customer and item assignments each segment has (its stored counts)."""
    if not segment_pks:
        return {}
    counts = {pk: Dependents() for pk in segment_pks}
    rows = db.session.execute(
        select(Segment.pk, Segment.member_count, Segment.item_count).where(
            Segment.pk.in_(segment_pks)
        )
    )
    for pk, members, items in rows:
        counts[pk] = Dependents(members, items)
    return counts


def delete_segment(tenant: Tenant, segment_id: str, force: bool) -> None:
    """Delete a segment; with assignments only when `force`, and then they go too."""
    segment = get_segment(tenant, segment_id)
    deps = dependents([segment.pk])[segment.pk]
    if deps.any and not force:
        raise BadRequest(
            f"Segment {segment_id} has {deps.describe()}. "
            "Repeat with forceDelete=true to delete the segment together with them.",
            resource_id=segment_id,
        )
    activity.record(
        segment, "segment.deleted", detail={"customers": deps.customers, "items": deps.items}
    )
    if deps.customers:  # rules that name it with inSegment lose those members
        membership_changed(db.session, segment)
    _delete([segment.pk])


def _delete(segment_pks: Iterable[int]) -> None:
    pks = list(segment_pks)
    lift_statement_timeout(db.session)  # there may be millions of assignments
    db.session.execute(delete(CustomerAssignment).where(CustomerAssignment.segment_pk.in_(pks)))
    db.session.execute(delete(ItemAssignment).where(ItemAssignment.segment_pk.in_(pks)))
    db.session.execute(delete(Segment).where(Segment.pk.in_(pks)))
    db.session.expire_all()
