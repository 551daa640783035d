"""Finding imports: a segment's history, the one running, one by id."""

from __future__ import annotations

from sqlalchemy import Select, case, select

from ...errors import NotFound
from ...extensions import db
from ...models import MemberImport, Segment
from ...models.imports import ACTIVE_STATUSES
from ...models.tenants import Tenant, TenantInfo
from ..segments import get_segment
from .stale import release_if_stale


def segment_imports_query(segment: Segment) -> Select:
    """Every import of `segment`, newest first."""
    return (
        select(MemberImport)
        .where(MemberImport.segment_pk == segment.pk)
        .order_by(MemberImport.created_at.desc(), MemberImport.pk.desc())
    )


def current_import(segment: Segment) -> MemberImport | None:
    """The import that holds `segment` now (queued or running), or None. One whose process
    stopped is marked failed on the way and holds it no longer (see stale)."""
    imp = db.session.scalar(
        select(MemberImport).where(
            MemberImport.segment_pk == segment.pk, MemberImport.status.in_(ACTIVE_STATUSES)
        )
    )
    return None if imp is not None and release_if_stale(imp) else imp


def find_import(segment: Segment, import_id: str) -> MemberImport | None:
    return db.session.scalar(
        select(MemberImport).where(
            MemberImport.segment_pk == segment.pk, MemberImport.id == import_id
        )
    )


def get_import(tenant: Tenant | TenantInfo, segment_id: str, import_id: str) -> MemberImport:
    """An import of a segment of `tenant` by their public ids; 404 for either unknown."""
    segment = get_segment(tenant, segment_id)  # type: ignore[arg-type]
    imp = find_import(segment, import_id)
    if imp is None:
        raise NotFound(import_id, f"Segment {segment_id} has no import with id {import_id}.")
    return imp


def later_applied_import(imp: MemberImport) -> MemberImport | None:
    """The newest import applied to the same segment after `imp` and not reverted."""
    assert imp.applied_at is not None
    return db.session.scalar(
        select(MemberImport)
        .where(
            MemberImport.segment_pk == imp.segment_pk,
            MemberImport.status == "applied",
            MemberImport.pk != imp.pk,
            MemberImport.applied_at >= imp.applied_at,
        )
        .order_by(MemberImport.applied_at.desc(), MemberImport.pk.desc())
        .limit(1)
    )


def tenant_recent_imports(tenant: Tenant | TenantInfo, limit: int = 10) -> Select:
    """The tenant's imports, those queued or running first, then the newest; each row one
    MemberImport with its segment (joined, so a list of them is one query)."""
    active_first = case((MemberImport.status.in_(ACTIVE_STATUSES), 0), else_=1)
    return (
        select(MemberImport)
        .where(MemberImport.tenant_id == tenant.id)
        .order_by(active_first, MemberImport.created_at.desc(), MemberImport.pk.desc())
        .limit(limit)
    )
