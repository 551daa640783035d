"""A segment's history as the dashboard shows it: a page of its imports and a page of its log
of changes (an actor's writes of one kind within a minute make one line)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Activity, MemberImport, Segment
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


#: what set off a rule's evaluation or its membership change, in words
TRIGGERS = {
    "saved": "after the rule was saved",
    "directory": "after customers' data changed",
    "schedule": "on the schedule (its dates are relative)",
    "dependency": "after a segment it uses changed",
    "manual": "after a member was added or removed by hand",
    "removed": "as the rule was removed",
}
#: the actor of the API's writes starts with this (api/__init__.py)
API_ACTOR = "API client "


@dataclass(frozen=True)
class Change:
    """One line of the log: an actor's writes of one kind within a minute; `detail` is that of
    its newest entry (why, and a rule evaluation's counts)."""

    action: str
    actor: str
    at: datetime
    until: datetime
    count: int
    detail: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        if self.action == "rule.evaluated" and self.detail and "matched" in self.detail:
            return self._evaluation()
        one, several = ACTIONS.get(self.action, (self.action, f"{self.action} ({{n}})"))
        return one if self.count == 1 else several.format(n=f"{self.count:,}")

    @property
    def reason(self) -> str | None:
        """Why the membership changed, in words: by the rule, an import, the API or the
        dashboard (None for other lines)."""
        if not self.action.startswith("members."):
            return None
        detail = self.detail or {}
        if detail.get("reason") == "rule" or self.actor == "rule":
            trigger = TRIGGERS.get(detail.get("trigger", ""))
            return f"by the rule, {trigger}" if trigger else "by the rule"
        if "importId" in detail:
            return (
                f"by an import of {detail['fileName']}"
                if detail.get("fileName")
                else ("by an import")
            )
        return "through the API" if self.actor.startswith(API_ACTOR) else "in the dashboard"

    def _evaluation(self) -> str:
        detail = self.detail or {}
        matched = int(detail.get("matched") or 0)
        text = (
            f"Evaluated the rule: {matched:,} customer{'' if matched == 1 else 's'} match, "
            f"{int(detail.get('joined') or 0):,} joined, {int(detail.get('left') or 0):,} left"
        )
        ms = detail.get("ms")
        if isinstance(ms, int | float):
            text += f", in {ms / 1000:.1f} s" if ms >= 1000 else f", in {int(ms)} ms"
        trigger = TRIGGERS.get(detail.get("trigger", ""))
        return f"{text} ({trigger})" if trigger else text


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
    lasts = [row.last for row in paged.rows]
    details: dict[int, Any] = (
        dict(
            db.session.execute(
                select(Activity.id, Activity.detail).where(Activity.id.in_(lasts))
            ).all()
        )
        if lasts
        else {}
    )
    changes = [
        Change(
            row.action,
            row.actor,
            row.at,
            row.until,
            int(row._mapping["count"] or 0),
            details.get(row.last),
        )
        for row in paged.rows
    ]
    return replace(paged, rows=changes)
