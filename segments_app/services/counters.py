"""The member and item counts stored on each segment (segment.member_count, .item_count).

Counting a million assignments on every page is too slow, so each segment keeps its counts, and
every write keeps them exact in the same transaction:

- assignments written through the ORM (the API, the dashboard) are counted when the session
  flushes: one UPDATE per segment touched, however many rows the flush wrote (a savepoint that
  rolls back takes its UPDATE with it);
- set-based writes (imports and their revert, deleting directory records, the demo loader)
  report the rows they changed with `adjust`, or `discount` before deleting, or `recount`.

Deleting a segment needs nothing: its counts go with it.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from ..models import CustomerAssignment, ItemAssignment, Segment

_segment = Segment.__table__


def adjust(session: Session, segment_pk: int, members: int = 0, items: int = 0) -> None:
    """Add `members` and `items` (negative: subtract) to one segment's counts."""
    if not members and not items:
        return
    session.connection().execute(
        update(_segment)
        .where(_segment.c.pk == segment_pk)
        .values(
            member_count=_segment.c.member_count + members,
            item_count=_segment.c.item_count + items,
        )
    )


def discount(session: Session, column, value: int) -> None:
    """Before deleting the assignments whose `column` (an assignment column such as
    CustomerAssignment.customer_pk) is `value`: subtract them from their segments' counts,
    in one statement."""
    model = column.class_
    named = select(func.count()).where(model.segment_pk == _segment.c.pk, column == value)
    target = _segment.c.member_count if model is CustomerAssignment else _segment.c.item_count
    session.connection().execute(
        update(_segment)
        .where(_segment.c.pk.in_(select(model.segment_pk).where(column == value)))
        .values({target: target - named.scalar_subquery()})
    )


def recount(session: Session, tenant_id: int) -> None:
    """Count every segment of the tenant again (after writing assignments in bulk)."""
    members = select(func.count()).where(CustomerAssignment.segment_pk == _segment.c.pk)
    items = select(func.count()).where(ItemAssignment.segment_pk == _segment.c.pk)
    session.connection().execute(
        update(_segment)
        .where(_segment.c.tenant_id == tenant_id)
        .values(member_count=members.scalar_subquery(), item_count=items.scalar_subquery())
    )


@event.listens_for(Session, "after_flush")
def _count_flushed(session: Session, flush_context) -> None:
    """Assignments the flush inserted or deleted, as one UPDATE per segment."""
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for instances, sign in ((session.new, 1), (session.deleted, -1)):
        for instance in instances:
            if isinstance(instance, CustomerAssignment):
                deltas[instance.segment_pk][0] += sign
            elif isinstance(instance, ItemAssignment):
                deltas[instance.segment_pk][1] += sign
    for segment_pk, (members, items) in sorted(deltas.items()):
        adjust(session, segment_pk, members, items)
