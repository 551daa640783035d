"""Removing many members, or unassigning many items, of one segment at once, and the undo that
puts exactly those rows back.

The rows removed are kept, every column, in the detail of the one log line the action writes
(a selection is at most IDS_MAX rows, a page's worth), so the undo needs no table of its own
and restores the same pks, types, mixins, versions and times. The removal is one DELETE, the
undo one INSERT of the kept rows (less any that are back meanwhile)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update

from ..errors import BadRequest
from ..extensions import db
from ..models import Activity, CustomerAssignment, ItemAssignment, Segment, Tenant
from ..models.types import utcnow
from ..query.jsonsql import json_text
from . import activity, counters
from .rules.evaluate import RuleSet, clock, matches
from .rules.triggers import membership_changed

#: the most rows one request names (a page of members shows 50)
IDS_MAX = 500
UNDO_WINDOW = timedelta(hours=1)

_members: Table = CustomerAssignment.__table__  # type: ignore[assignment]
_items: Table = ItemAssignment.__table__  # type: ignore[assignment]
#: what each kind logs when it removes, and when the undo puts back
KINDS = {
    "members": (_members, "members.removed", "members.added"),
    "items": (_items, "items.unassigned", "items.assigned"),
}


@dataclass(frozen=True)
class Removed:
    count: int
    #: members the segment's rule selects: they stay, now held by the rule
    kept_by_rule: int = 0
    token: str | None = None


def _pks(values: Sequence[str | int]) -> list[int]:
    pks = []
    for value in values:
        try:
            pks.append(int(value))
        except (TypeError, ValueError):
            continue
    pks = list(dict.fromkeys(pks))
    if not pks:
        raise BadRequest("Tick at least one row first.")
    if len(pks) > IDS_MAX:
        raise BadRequest(f"Tick at most {IDS_MAX:,} rows at once.")
    return pks


def _encode(row: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _decode(table: Table, row: dict) -> dict:
    return {
        k: datetime.fromisoformat(v) if v is not None and k.endswith("_at") else v
        for k, v in row.items()
        if k in table.c
    }


def _rule_selects(segment: Segment, customer_pks: list[int]) -> set[int]:
    """Which of these customers the segment's rule selects now (one query)."""
    if segment.rule is None or not customer_pks:
        return set()
    rules = RuleSet.load(segment.tenant_id)
    rule = rules.rules.get(segment.id)
    if rule is None:
        return set()
    return set(db.session.scalars(matches(rule, rules.context(clock()), customer_pks)))


def remove_members(
    tenant: Tenant, segment: Segment, assignment_pks: Sequence[str | int]
) -> Removed:
    """End the ticked memberships. Members the rule holds (AUTOMATIC) are not ticked-away; a
    B2C member kept by hand whom the rule selects stays, held by the rule from now on (as a
    single removal does)."""
    rows = _ticked(_members, segment, assignment_pks)
    manual = [row for row in rows if row["assignment_type"] != "AUTOMATIC"]
    selected = _rule_selects(
        segment, [row["customer_pk"] for row in manual if row["legal_entity_pk"] is None]
    )
    held = [r for r in manual if r["legal_entity_pk"] is None and r["customer_pk"] in selected]
    if held:
        db.session.execute(
            update(_members)
            .where(_members.c.pk.in_([row["pk"] for row in held]))
            .values(
                assignment_type="AUTOMATIC", version=_members.c.version + 1, modified_at=utcnow()
            )
        )
    held_pks = {row["pk"] for row in held}
    gone = [row for row in manual if row["pk"] not in held_pks]
    token = _remove(segment, "members", gone, {"held": [_encode(row) for row in held]})
    if gone:
        membership_changed(db.session, segment, [row["customer_pk"] for row in gone])
    return Removed(len(gone), len(rows) - len(gone), token)


def unassign_items(
    tenant: Tenant, segment: Segment, assignment_pks: Sequence[str | int]
) -> Removed:
    """Unassign the ticked items of the segment."""
    rows = _ticked(_items, segment, assignment_pks)
    return Removed(len(rows), 0, _remove(segment, "items", rows, {}))


def _ticked(table: Table, segment: Segment, assignment_pks: Sequence[str | int]) -> list[dict]:
    """The segment's rows of `table` among the ticked pks (others' pks are ignored)."""
    where = (table.c.segment_pk == segment.pk, table.c.pk.in_(_pks(assignment_pks)))
    return [dict(row) for row in db.session.execute(select(table).where(*where)).mappings()]


def _remove(segment: Segment, kind: str, rows: list[dict], extra: dict) -> str | None:
    """Delete `rows` (one statement), uncount them and log them once, with what undo needs."""
    if not rows and not extra.get("held"):
        return None
    table, removed, _added = KINDS[kind]
    token = secrets.token_urlsafe(12)
    if rows:
        db.session.execute(delete(table).where(table.c.pk.in_([row["pk"] for row in rows])))
        change = -len(rows)
        counters.adjust(
            db.session,
            segment.pk,
            **({"members": change} if kind == "members" else {"items": change}),
        )
    detail = {"bulk": token, "rows": [_encode(row) for row in rows], **extra}
    activity.record(segment, removed, len(rows), detail)
    db.session.expire_all()
    return token


def undo(tenant: Tenant, segment: Segment, kind: str, token: str) -> int:
    """Put back exactly the rows a bulk removal took (those not back meanwhile), and let go
    of the members it left to the rule; how many rows came back."""
    table, removed, added = KINDS[kind]
    entry = db.session.scalar(
        select(Activity).where(
            Activity.segment_pk == segment.pk,
            Activity.at >= utcnow() - UNDO_WINDOW,
            Activity.action == removed,
            json_text(Activity.detail, ("bulk",)) == token,
        )
    )
    detail: dict[str, Any] = (entry.detail or {}) if entry is not None else {}
    if entry is None or detail.get("undone"):
        raise BadRequest("This can no longer be undone.")
    rows = [_decode(table, row) for row in detail.get("rows", [])]
    rows = _not_back(table, segment, kind, rows)
    if rows:
        db.session.execute(insert(table), rows)
        change = len(rows)
        counters.adjust(
            db.session,
            segment.pk,
            **({"members": change} if kind == "members" else {"items": change}),
        )
        activity.record(segment, added, len(rows), {"undo": token})
    held = [_decode(table, row) for row in detail.get("held", [])]
    if held:
        db.session.execute(
            update(table)
            .where(table.c.pk == bindparam("b_pk"), table.c.assignment_type == "AUTOMATIC")
            .values(
                assignment_type="MANUAL",
                version=bindparam("b_version"),
                modified_at=bindparam("b_modified_at"),
            ),
            [
                {"b_pk": r["pk"], "b_version": r["version"], "b_modified_at": r["modified_at"]}
                for r in held
            ],
        )
    if kind == "members" and rows:
        membership_changed(db.session, segment, [row["customer_pk"] for row in rows])
    entry.detail = {**detail, "undone": True}
    db.session.flush()
    db.session.expire_all()
    return len(rows)


def _not_back(table: Table, segment: Segment, kind: str, rows: list[dict]) -> list[dict]:
    """The rows whose member or item is not in the segment again meanwhile."""
    if not rows:
        return rows
    if kind == "members":
        columns = (table.c.customer_pk, table.c.legal_entity_pk)
    else:
        columns = (table.c.product_pk, table.c.category_pk)
    names = [column.name for column in columns]
    near = or_(
        *(
            column.in_({row[column.name] for row in rows if row[column.name] is not None})
            for column in columns
        )
    )
    present = {
        tuple(found)
        for found in db.session.execute(
            select(*columns).where(table.c.segment_pk == segment.pk, near)
        )
    }
    return [row for row in rows if tuple(row[name] for name in names) not in present]
