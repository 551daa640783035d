"""The member and item counts stored on each segment (segment.member_count, .item_count).

Counting a million assignments on every page is too slow, so each segment keeps its counts,
and every write of assignments keeps them exact in the same transaction by calling this
module, explicitly, right after writing:

- one assignment at a time (the API, the dashboard): services.assignments.common.add and
  .remove, the only ORM writes of assignments, `adjust` by one;
- set-based writes (imports and their revert, rule evaluations, deleting directory records,
  the demo loader) `adjust` by the rows they changed (`adjust_members` for many segments at
  once), `discount` before deleting, or `recount`.

Deleting a segment needs nothing: its counts go with it.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..extensions import DbSession
from ..models import CustomerAssignment, ItemAssignment, Segment
from .sqlvalues import integer_rows

_segment = Segment.__table__


def adjust(session: DbSession, segment_pk: int, members: int = 0, items: int = 0) -> None:
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


def adjust_members(session: DbSession, deltas: dict[int, int]) -> None:
    """`adjust` for many segments in one statement: `deltas` maps a segment's pk to the members
    it gained (negative: lost); a directory batch changes a hundred segments at once."""
    rows = [(pk, delta) for pk, delta in deltas.items() if delta]
    if rows:
        # the changes as a table of one parameter: the statement is the same for any number of
        # segments, compiled once (a CASE of a hundred segments took longer to compile than to run)
        change = integer_rows(session, rows, "segment_pk", "delta")
        session.connection().execute(
            update(_segment)
            .where(_segment.c.pk == change.c.segment_pk)
            .values(member_count=_segment.c.member_count + change.c.delta)
        )


def discount(session: DbSession, column, value: int) -> None:
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


def recount(session: DbSession, tenant_id: int) -> None:
    """Count every segment of the tenant again (after writing assignments in bulk)."""
    members = select(func.count()).where(CustomerAssignment.segment_pk == _segment.c.pk)
    items = select(func.count()).where(ItemAssignment.segment_pk == _segment.c.pk)
    session.connection().execute(
        update(_segment)
        .where(_segment.c.tenant_id == tenant_id)
        .values(member_count=members.scalar_subquery(), item_count=items.scalar_subquery())
    )
