"""Counts the dashboard shows: members and items per segment, and tenant totals.

They read the counts each segment stores (services.counters keeps them exact), so a page
costs the same for a segment of ten members as for one of a million.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Segment, Tenant


@dataclass(frozen=True)
class Counts:
    members: int = 0
    items: int = 0


def segment_counts(segment_pks: Sequence[int]) -> dict[int, Counts]:
    """Members and items of each segment: one query, whatever the number of rows."""
    if not segment_pks:
        return {}
    rows = db.session.execute(
        select(Segment.pk, Segment.member_count, Segment.item_count).where(
            Segment.pk.in_(segment_pks)
        )
    )
    stored = {pk: Counts(members, items) for pk, members, items in rows}
    return {pk: stored.get(pk, Counts()) for pk in segment_pks}


@dataclass(frozen=True)
class TenantTotals:
    segments: int
    active_segments: int
    members: int
    items: int


def tenant_totals(tenant: Tenant) -> TenantTotals:
    """Segments (all, active), memberships and item assignments of a tenant: one query."""
    total, active, members, items = db.session.execute(
        select(
            func.count(),
            func.count().filter(Segment.status == "ACTIVE"),
            func.coalesce(func.sum(Segment.member_count), 0),
            func.coalesce(func.sum(Segment.item_count), 0),
        ).where(Segment.tenant_id == tenant.id)
    ).one()
    return TenantTotals(total, active, int(members), int(items))


def largest_segments(tenant: Tenant, limit: int = 8) -> list[tuple[Segment, int]]:
    """The segments with the most members, largest first (those without members left out)."""
    rows = db.session.scalars(
        select(Segment)
        .where(Segment.tenant_id == tenant.id, Segment.member_count > 0)
        .order_by(Segment.member_count.desc(), Segment.id)
        .limit(limit)
    )
    return [(segment, segment.member_count) for segment in rows]
