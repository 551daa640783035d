"""Segments: queries and commands shared by the API and the dashboard."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, and_, bindparam, delete, or_, select

from ..errors import BadRequest, Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..limits import ID_MAX_LENGTH
from ..models import CustomerAssignment, ItemAssignment, Segment, Tenant
from ..models.types import utcnow
from ..query.fields import Field, FieldSet, Kind
from ..query.i18n import check_languages, localize_input
from ..query.jsonout import (
    EMPTY,
    JSON,
    NULL,
    NUMBER,
    STRING,
    TIMESTAMP,
    json_object,
    member,
    nested,
)
from ..query.listing import KeyedPage, order_by, plain_page
from ..query.q import compile_q
from . import activity
from .documents import MSG_EXISTS, apply_patch, check_version, drop_nulls, new_id
from .longwork import lift_statement_timeout
from .validation import parse_datetime, validate

LOCALIZED_FIELDS = ("name", "description")
#: ids that would be shadowed by the contract's literal paths under /segments/
RESERVED_IDS = frozenset({"bulk", "search", "match", "items"})

SEGMENT_FIELDS = FieldSet(
    Field("id", Kind.STRING, Segment.id),
    Field("name", Kind.LOCALIZED, Segment.name),
    Field("description", Kind.LOCALIZED, Segment.description),
    Field("status", Kind.STRING, Segment.status),
    Field("siteCode", Kind.STRING, Segment.site_code),
    Field("validity.from", Kind.DATE, Segment.valid_from),
    Field("validity.to", Kind.DATE, Segment.valid_to),
    Field("mixins", Kind.JSON, Segment.mixins),
    Field("metadata.version", Kind.NUMBER, Segment.version),
    Field("metadata.createdAt", Kind.DATE, Segment.created_at),
    Field("metadata.modifiedAt", Kind.DATE, Segment.modified_at),
    Field("metadata.mixins", Kind.JSON, Segment.metadata_mixins),
)
#: top-level keys of a segment document (for `fields=`)
SEGMENT_KEYS = ("id", "name", "description", "validity", "status", "siteCode", "mixins", "metadata")


def effective(now: datetime | None = None):
    """SQL: the segment is ACTIVE and now lies inside its validity (either end may be open)."""
    now = now or utcnow()
    return and_(
        Segment.status == "ACTIVE",
        or_(Segment.valid_from.is_(None), Segment.valid_from <= now),
        or_(Segment.valid_to.is_(None), Segment.valid_to >= now),
    )


def is_effective(segment: Segment, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        segment.status == "ACTIVE"
        and (segment.valid_from is None or segment.valid_from <= now)
        and (segment.valid_to is None or segment.valid_to >= now)
    )


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
    return _segments_where(Segment.tenant_id == tenant.id, q, only_effective, membership)


def _segments_where(of_tenant, q: str | None, only_effective: bool, membership) -> Select:
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


#: a segment as the JSON text of the contract's SegmentResponse (full language maps)
SEGMENT_JSON = json_object(
    member("id", Segment.id, STRING),
    member("name", Segment.name, JSON),
    member("description", Segment.description, JSON, omit=EMPTY),
    nested(
        "validity",
        member("from", Segment.valid_from, TIMESTAMP, omit=NULL),
        member("to", Segment.valid_to, TIMESTAMP, omit=NULL),
        omit=EMPTY,
    ),
    member("status", Segment.status, STRING),
    member("siteCode", Segment.site_code, STRING),
    member("mixins", Segment.mixins, JSON, omit=NULL),
    nested(
        "metadata",
        member("version", Segment.version, NUMBER),
        member("createdAt", Segment.created_at, TIMESTAMP),
        member("modifiedAt", Segment.modified_at, TIMESTAMP),
        member("mixins", Segment.metadata_mixins, JSON, omit=EMPTY),
    ),
)

_JSON_BY_ID = select(SEGMENT_JSON).where(
    Segment.tenant_id == bindparam("tenant_id"), Segment.id == bindparam("segment_id")
)


def segment_json(tenant: Tenant, segment_id: str) -> str:
    """A segment's document as JSON text, or NotFound."""
    text = (
        db.session.connection()
        .execute(_JSON_BY_ID, {"tenant_id": tenant.id, "segment_id": segment_id})
        .scalar()
    )
    if text is None:
        raise NotFound(segment_id)
    return text


def segment_listing(
    tenant: Tenant,
    q: str | None,
    sort: str | None,
    language: str,
    *,
    only_effective: bool = False,
    membership=None,
) -> tuple[KeyedPage, dict]:
    """The statements of a page of segments matching `q` in the order of `sort`, and the values
    to run them with (query.listing.run_page). The page's rows are _DOCUMENT_KEY: give them to
    segment_texts for the documents.

    A listing by `q` and `sort` alone is built once per process and shape and kept; one of a
    customer's segments carries the clock and the customer's keys, so it is built each time.
    """
    if only_effective or membership is not None:
        order = order_by(sort, SEGMENT_FIELDS, language)
        stmt = segments_query(tenant, q, only_effective=only_effective, membership=membership)
        return _page_of_documents(stmt, order), {}
    return _shared_listing(q, sort, language), {"tenant_id": tenant.id}


@lru_cache(maxsize=256)
def _shared_listing(q: str | None, sort: str | None, language: str) -> KeyedPage:
    order = order_by(sort, SEGMENT_FIELDS, language)
    stmt = _segments_where(Segment.tenant_id == bindparam("tenant_id"), q, False, None)
    return _page_of_documents(stmt, order)


def _page_of_documents(stmt: Select, order: list) -> KeyedPage:
    # A page reads each segment's key and version only; segment_texts() gives the documents.
    order = [*order, Segment.pk]
    return plain_page(stmt.order_by(None).order_by(*order).with_only_columns(*_DOCUMENT_KEY))


#: what identifies one state of a segment's document: every write adds one to the version and
#: sets modified_at (which also tells apart a row that took the pk of a deleted one)
_DOCUMENT_KEY = (Segment.pk, Segment.version, Segment.modified_at)


class _DocumentCache:
    """Segment documents by _DOCUMENT_KEY, in this process, up to `size` of them.

    A key names one state of one segment, so an entry never goes stale: a write makes a new
    key, and the old entry ages out. Listings read the keys of their page and take the texts
    from here; only new states cost the database the JSON text (about 4 us a document on
    PostgreSQL, most of a listing's database time).
    """

    def __init__(self, size: int):
        self.size = size
        self._texts: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        return self._texts.get(key)

    def put(self, items: list[tuple[tuple, str]]) -> None:
        with self._lock:
            self._texts.update(items)
            excess = len(self._texts) - self.size
            if excess > 0:
                # drop the oldest, down to nine tenths of the size (dicts keep insertion order)
                for key in list(itertools.islice(self._texts, excess + self.size // 10)):
                    del self._texts[key]


DOCUMENTS = _DocumentCache(20_000)

_TEXTS_BY_PK = select(*_DOCUMENT_KEY, SEGMENT_JSON).where(
    Segment.pk.in_(bindparam("pks", expanding=True))
)


def segment_texts(conn, rows: Sequence) -> list[str]:
    """The documents (JSON text) of a listing's rows of _DOCUMENT_KEY, in their order.

    A segment changed since its row was read comes in its newer state; one deleted since
    is left out.
    """
    texts = [DOCUMENTS.get(tuple(row)) for row in rows]
    missing = [row[0] for row, text in zip(rows, texts, strict=True) if text is None]
    if not missing:
        return texts  # type: ignore[return-value]
    fresh = conn.execute(_TEXTS_BY_PK, {"pks": missing}).all()
    DOCUMENTS.put([((pk, version, modified_at), text) for pk, version, modified_at, text in fresh])
    by_pk = {row[0]: row[3] for row in fresh}
    filled = [
        text if text is not None else by_pk.get(row[0])
        for row, text in zip(rows, texts, strict=True)
    ]
    return [text for text in filled if text is not None]


def find_segment(tenant: Tenant, segment_id: str) -> Segment | None:
    return db.session.scalar(
        select(Segment).where(Segment.tenant_id == tenant.id, Segment.id == segment_id)
    )


def _editable_document(segment: Segment) -> dict:
    """What a PATCH applies to: the stored segment in the shape of a PUT body."""
    doc = json.loads(db.session.scalar(select(SEGMENT_JSON).where(Segment.pk == segment.pk)))
    doc["metadata"] = {
        key: doc["metadata"][key] for key in ("version", "mixins") if key in doc["metadata"]
    }
    return doc


def _checked(tenant: Tenant, doc: object, schema: str, content_lang: str | None) -> dict:
    """Localize plain strings, check the shape against the contract, then the domain rules."""
    if not isinstance(doc, dict):
        raise ValidationFailed.field("", "The body must be a JSON object.", "type")
    doc = drop_nulls(dict(doc), ("description", "validity", "mixins", "metadata", "status"))
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


def _apply(segment: Segment, doc: dict) -> bool:
    """Write `doc` into `segment` (PUT semantics: absent optional fields are cleared).

    Returns whether anything changed, so unchanged writes keep their version.
    """
    validity = doc.get("validity") or {}
    values = {
        "name": doc["name"],
        "description": doc.get("description") or None,
        "status": doc.get("status") or "INACTIVE",
        "site_code": doc["siteCode"],
        "valid_from": parse_datetime(validity["from"]) if validity.get("from") else None,
        "valid_to": parse_datetime(validity["to"]) if validity.get("to") else None,
        "mixins": doc.get("mixins"),
        "metadata_mixins": (doc.get("metadata") or {}).get("mixins") or None,
    }
    changed = False
    for attr, value in values.items():
        if getattr(segment, attr) != value:
            setattr(segment, attr, value)
            changed = True
    return changed


def create_segment(tenant: Tenant, doc: object, content_lang: str | None = "") -> Segment:
    """Create from a SegmentCreation document; 409 if its id exists."""
    doc = _checked(tenant, doc, "SegmentCreation", content_lang)
    segment_id = doc.get("id") or new_id()
    _check_new_id(segment_id)
    if find_segment(tenant, segment_id) is not None:
        raise Conflict(MSG_EXISTS, resource_id=segment_id)
    now = utcnow()
    segment = Segment(
        tenant_id=tenant.id, id=segment_id, version=1, created_at=now, modified_at=now
    )
    _apply(segment, doc)
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
        now = utcnow()
        segment = Segment(
            tenant_id=tenant.id, id=segment_id, version=1, created_at=now, modified_at=now
        )
        _apply(segment, doc)
        db.session.add(segment)
        db.session.flush()
        activity.record(segment, "segment.created")
        return segment, True
    check_version(doc, segment.version)
    _save_changes(segment, doc)
    return segment, False


def patch_segment(
    tenant: Tenant, segment_id: str, patch: object, content_lang: str | None = ""
) -> Segment:
    """Apply a JSON Patch or merge patch; the result is validated like a PUT body."""
    segment = get_segment(tenant, segment_id)
    patched = apply_patch(_editable_document(segment), patch)
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
    if status not in ("ACTIVE", "INACTIVE"):
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
    if _apply(segment, doc):
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
    _delete([segment.pk])


def _delete(segment_pks: Iterable[int]) -> None:
    pks = list(segment_pks)
    lift_statement_timeout(db.session)  # there may be millions of assignments
    db.session.execute(delete(CustomerAssignment).where(CustomerAssignment.segment_pk.in_(pks)))
    db.session.execute(delete(ItemAssignment).where(ItemAssignment.segment_pk.in_(pks)))
    db.session.execute(delete(Segment).where(Segment.pk.in_(pks)))
    db.session.expire_all()
