"""A segment's history tab: imports and changes, and reverting an import."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, request, url_for
from sqlalchemy import Select

from ..errors import Conflict
from ..extensions import db
from ..models import MemberImport, Segment
from ..query.listing import Page, fetch_page
from ..services import activity, stats
from ..services import imports as service
from ..services.segments import get_segment
from . import bp, can
from .args import last_page, page_arg
from .htmx import go, render, wants_fragment

IMPORTS_PAGE_SIZE = 10
CHANGES_PAGE_SIZE = 25
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


def _page_within(stmt: Select, number: int, size: int) -> tuple[list, int, int]:
    """Page `number` of `stmt`, or its last page when `number` lies past it: (rows, total,
    the page's number)."""
    rows, total = fetch_page(db.session, stmt, Page(number, size), True)
    total = total or 0
    if number > last_page(total, size):
        number = last_page(total, size)
        rows, _ = fetch_page(db.session, stmt, Page(number, size), False)
    return rows, total, number


def _imports(segment: Segment, number: int) -> tuple[list[MemberImport], int, int]:
    stmt = service.segment_imports_query(segment)
    rows, total, number = _page_within(stmt, number, IMPORTS_PAGE_SIZE)
    return [row[0] for row in rows], total, number


def _changes(segment: Segment, number: int) -> tuple[list[Change], int, int]:
    stmt = activity.segment_history(segment.pk)
    rows, total, number = _page_within(stmt, number, CHANGES_PAGE_SIZE)
    changes = [
        Change(row.action, row.actor, row.at, row.until, int(row._mapping["count"] or 0))
        for row in rows
    ]
    return changes, total, number


@bp.get("/segments/<segment_id>/history")
@can("read")
def segment_history(segment_id: str):
    """The segment's imports (applied ones can be reverted) and its log of changes, each
    paged; `list=imports|changes` asks htmx for that list alone."""
    segment = get_segment(g.tenant, segment_id)
    imports_page = page_arg(request.args.get("imports_page"))
    changes_page = page_arg(request.args.get("changes_page"))
    wanted = request.args.get("list")
    fragment = {"imports": "history/_imports.html", "changes": "history/_changes.html"}.get(
        wanted or ""
    )
    partial = fragment is not None and wants_fragment()

    def page_url(list_name: str | None = None, **changes: int) -> str:
        params = {"imports_page": imports_page, "changes_page": changes_page, **changes}
        kept = {key: value for key, value in params.items() if value > 1}
        return url_for("web.segment_history", segment_id=segment.id, list=list_name, **kept)

    context: dict = {
        "segment": segment,
        "page_url": page_url,
        "imports_page_size": IMPORTS_PAGE_SIZE,
        "changes_page_size": CHANGES_PAGE_SIZE,
    }
    if not partial or wanted == "imports":
        context["imports"], context["imports_total"], imports_page = _imports(segment, imports_page)
    if not partial or wanted == "changes":
        context["changes"], context["changes_total"], changes_page = _changes(segment, changes_page)
    context["imports_page"], context["changes_page"] = imports_page, changes_page
    if not partial:
        context["counts"] = stats.segment_counts([segment.pk])[segment.pk]
        context["tab_name"] = "web.segment_history"
    return render("history/index.html", fragment, **context)


@bp.route("/segments/<segment_id>/history/<import_id>/revert", methods=["GET", "POST"])
@can("edit")
def segment_history_revert(segment_id: str, import_id: str):
    """Undo an applied import, after a confirmation (a dialog with htmx, this page without);
    a refusal (a later import changed the segment) says why, beside the History lists."""
    imp = service.get_import(g.tenant, segment_id, import_id)
    history = url_for("web.segment_history", segment_id=imp.segment.id)
    if request.method == "POST":
        try:
            service.revert_import(g.tenant, segment_id, import_id)
        except Conflict as exc:
            imp = service.get_import(g.tenant, segment_id, import_id)
            return _confirm(imp, exc.message, status=422)
        return go(history, f"Reverted the import of {imp.file_name}.")
    return _confirm(imp)


def _confirm(imp: MemberImport, error: str | None = None, status: int = 200):
    segment = imp.segment
    context: dict = {"segment": segment, "imp": imp, "error": error}
    if error is None or not wants_fragment():
        context["counts"] = stats.segment_counts([segment.pk])[segment.pk]
        context["tab_name"] = "web.segment_history"
    return render(
        "history/revert.html",
        "history/_refused.html" if error else None,
        status=status,
        **context,
    )
