"""A segment's history as the dashboard shows it: a page of its imports and a page of its log
of changes (an actor's writes of one kind within a minute make one line)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Select

from ..extensions import db
from ..models import MemberImport, Segment
from ..query.listing import Page, Paged, read_page
from . import activity
from .imports import segment_imports_query

#: action -> (one, several): what a line of the log says
ACTIONS = {
    "segment.created": ("Created the segment", "Created the segment"),
    "segment.updated": ("Edited the segment", "Edited the segment {n} times"),
    "segment.activated": ("Activated the segment", "Activated the segment {n} times"),
    "segment.deactivated": ("Deactivated the segment", "Deactivated the segment {n} times"),
    "segment.deleted": ("Deleted the segment", "Deleted the segment"),
    "members.added": ("Added a member", "Added {n} members"),
    "members.removed": ("Removed a member", "Removed {n} members"),
    "items.assigned": ("Assigned an item", "Assigned {n} items"),
    "items.unassigned": ("Unassigned an item", "Unassigned {n} items"),
    "import.applied": ("Applied an import", "Applied {n} imports"),
    "import.reverted": ("Reverted an import", "Reverted {n} imports"),
    "import.discarded": ("Discarded an import's preview", "Discarded {n} previews"),
    "rule.saved": ("Saved the rule", "Saved the rule {n} times"),
    "rule.evaluated": ("Evaluated the rule", "Evaluated the rule {n} times"),
    "rule.removed": ("Removed the rule", "Removed the rule {n} times"),
}


@dataclass(frozen=True)
class Change:
    """One line of the log: an actor's writes of one kind within a minute."""

    action: str
    actor: str
    at: datetime
    until: datetime
    count: int

    @property
    def text(self) -> str:
        one, several = ACTIONS.get(self.action, (self.action, f"{self.action} ({{n}})"))
        return one if self.count == 1 else several.format(n=f"{self.count:,}")


def latest_import(segment: Segment) -> MemberImport | None:
    """The segment's newest import, if it has one."""
    return db.session.scalar(segment_imports_query(segment).limit(1))


def _page(stmt: Select, number: int, size: int) -> Paged:
    return read_page(db.session, stmt, Page(number, size), count=True, within=True)


def import_page(segment: Segment, number: int, size: int) -> Paged:
    """Page `number` of the segment's imports (MemberImport), newest first, or their last
    page."""
    paged = _page(segment_imports_query(segment), number, size)
    return replace(paged, rows=[row[0] for row in paged.rows])


def change_page(segment: Segment, number: int, size: int) -> Paged:
    """Page `number` of the segment's log of changes (Change), newest first, or its last
    page."""
    paged = _page(activity.segment_history(segment.pk), number, size)
    changes = [
        Change(row.action, row.actor, row.at, row.until, int(row._mapping["count"] or 0))
        for row in paged.rows
    ]
    return replace(paged, rows=changes)
