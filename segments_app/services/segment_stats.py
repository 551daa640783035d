"""A segment's own numbers: its size day by day (rebuilt from its log) and how it overlaps
another segment (set-based counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Activity, CustomerAssignment, Segment
from ..models.types import utcnow
from .activity import ADDED, REMOVED


@dataclass(frozen=True)
class Day:
    day: date
    #: members at the end of the day
    size: int
    added: int
    removed: int


def size_over_time(segment: Segment, days: int = 30) -> list[Day]:
    """The segment's size at the end of each of the last `days` days: today's stored count,
    walked back through the members its log says were added and removed (one grouped read
    of the log's index on (segment_pk, at, action, ...))."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    day = func.date(Activity.at)
    rows = db.session.execute(
        select(day, Activity.action, func.sum(Activity.count))
        .where(
            Activity.segment_pk == segment.pk,
            Activity.at >= utcnow() - timedelta(days=days),
            Activity.action.in_((ADDED, REMOVED)),
        )
        .group_by(day, Activity.action)
    )
    moved: dict[date, list[int]] = {}
    for when, action, n in rows:
        key = when if isinstance(when, date) else date.fromisoformat(str(when))
        moved.setdefault(key, [0, 0])[0 if action == ADDED else 1] += int(n or 0)
    size = segment.member_count
    series = []
    for offset in range(days):
        current = today - timedelta(days=offset)
        added, removed = moved.get(current, [0, 0])
        series.append(Day(current, max(size, 0), added, removed))
        size -= added - removed  # the size at the end of the day before
    return [entry for entry in reversed(series) if entry.day >= first]


@dataclass(frozen=True)
class Overlap:
    other: Segment
    both: int
    only_here: int
    only_there: int


def _customers(segment_pk: int):
    return select(func.count(func.distinct(CustomerAssignment.customer_pk))).where(
        CustomerAssignment.segment_pk == segment_pk
    )


def overlap(segment: Segment, other: Segment) -> Overlap:
    """Customers in both segments, only in `segment`, only in `other` (customers, whichever
    legal entity: a customer in both as B2C and as B2B counts once). Three counts in one
    statement."""
    here = aliased(CustomerAssignment)
    there = aliased(CustomerAssignment)
    both = select(func.count(func.distinct(here.customer_pk))).where(
        here.segment_pk == segment.pk,
        exists().where(and_(there.segment_pk == other.pk, there.customer_pk == here.customer_pk)),
    )
    n_both, n_here, n_there = db.session.execute(
        select(
            both.scalar_subquery(),
            _customers(segment.pk).scalar_subquery(),
            _customers(other.pk).scalar_subquery(),
        )
    ).one()
    return Overlap(other, n_both, n_here - n_both, n_there - n_both)
