"""Counts the dashboard shows: members and items per segment, and tenant totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import CustomerAssignment, ItemAssignment, Segment, Tenant


@dataclass(frozen=True)
class Counts:
    members: int = 0
    items: int = 0


def segment_counts(segment_pks: Sequence[int]) -> dict[int, Counts]:
    """Members and items of each segment: two grouped queries, whatever the number of rows."""
    if not segment_pks:
        return {}
    members = dict(
        db.session.execute(
            select(CustomerAssignment.segment_pk, func.count())
            .where(CustomerAssignment.segment_pk.in_(segment_pks))
            .group_by(CustomerAssignment.segment_pk)
        ).all()
    )
    items = dict(
        db.session.execute(
            select(ItemAssignment.segment_pk, func.count())
            .where(ItemAssignment.segment_pk.in_(segment_pks))
            .group_by(ItemAssignment.segment_pk)
        ).all()
    )
    return {pk: Counts(members.get(pk, 0), items.get(pk, 0)) for pk in segment_pks}


@dataclass(frozen=True)
class TenantTotals:
    segments: int
    active_segments: int
    members: int
    items: int


def tenant_totals(tenant: Tenant) -> TenantTotals:
    """Segments (all, active), memberships and item assignments of a tenant."""
    segments = select(Segment.pk).where(Segment.tenant_id == tenant.id)
    total, active = db.session.execute(
        select(func.count(), func.count().filter(Segment.status == "ACTIVE")).where(
            Segment.tenant_id == tenant.id
        )
    ).one()
    members = db.session.scalar(
        select(func.count()).where(CustomerAssignment.segment_pk.in_(segments))
    )
    items = db.session.scalar(select(func.count()).where(ItemAssignment.segment_pk.in_(segments)))
    return TenantTotals(total, active, members, items)


def largest_segments(tenant: Tenant, limit: int = 8) -> list[tuple[Segment, int]]:
    """The segments with the most members, largest first."""
    ranked = (
        select(CustomerAssignment.segment_pk, func.count().label("n"))
        .where(
            CustomerAssignment.segment_pk.in_(
                select(Segment.pk).where(Segment.tenant_id == tenant.id)
            )
        )
        .group_by(CustomerAssignment.segment_pk)
        .order_by(func.count().desc())
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(
        select(Segment, ranked.c.n)
        .join(ranked, ranked.c.segment_pk == Segment.pk)
        .order_by(ranked.c.n.desc(), Segment.id)
    ).all()
    return [(segment, n) for segment, n in rows]
