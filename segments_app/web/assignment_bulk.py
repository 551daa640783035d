"""Removing many members, or unassigning many items, of one segment at once: the confirmation
naming the count, the action, and its Undo (services.bulk_assignments)."""

from __future__ import annotations

from flask import Response, g, redirect, request, url_for

from ..models import Segment
from ..services import bulk_assignments as service
from ..services.assigned_items import assigned_page
from ..services.segments import get_segment
from . import bp, can
from .args import page_arg
from .htmx import counts_changed, notify, refresh_trigger, render, wants_fragment
from .redirects import local_url

#: kind -> (noun, what the dialog asks, what it did, what undo did)
WORDS = {
    "members": ("member", "Remove", "Removed", "Restored"),
    "items": ("item", "Unassign", "Unassigned", "Assigned again"),
}
#: kind -> what removes the ticked ones
REMOVE = {"members": service.remove_members, "items": service.unassign_items}
#: the tab each kind lives on
TABS = {"members": "web.segment_detail", "items": "web.segment_items"}
#: the kind in the URLs that read the same for both
KIND = "<any(members, items):kind>"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _back(segment: Segment, kind: str, values) -> str:
    return local_url(values.get("back"), url_for(TABS[kind], segment_id=segment.id))


def _confirm(segment_id: str, kind: str):
    segment = get_segment(g.tenant, segment_id)
    ids = list(dict.fromkeys(v for v in request.args.getlist("ids") if v))[: service.IDS_MAX]
    noun, verb, _done, _undone = WORDS[kind]
    return render(
        "segments/assignments_bulk.html",
        "segments/_assignments_bulk_dialog.html",
        segment=segment,
        kind=kind,
        ids=ids,
        verb=verb,
        what=_count(len(ids), noun),
        action_url=url_for("web.segment_assignments_bulk", segment_id=segment.id, kind=kind),
        back=_back(segment, kind, request.args),
    )


def _done(segment: Segment, kind: str, message: str, token: str | None, back: str) -> Response:
    """The message with its Undo, where the dialog was; the lists and counts reload."""
    html = render(
        "segments/assignments_bulk_done.html",
        "segments/_assignments_bulk_done.html",
        segment=segment,
        kind=kind,
        message=message,
        token=token,
        undo_url=url_for("web.segment_assignments_bulk_undo", segment_id=segment.id, kind=kind),
        back=back,
    )
    if not wants_fragment():
        return html
    # every count and the members list follow counts-changed; items-changed reloads the
    # item widgets (tree and product lists)
    return notify(counts_changed(refresh_trigger(html, "items-changed")), message)


@bp.get(f"/segments/<segment_id>/{KIND}/bulk")
@can("edit")
def segment_assignments_bulk_confirm(segment_id: str, kind: str):
    """The dialog that asks before removing (members) or unassigning (items) the ticked ones."""
    return _confirm(segment_id, kind)


@bp.post(f"/segments/<segment_id>/{KIND}/bulk")
@can("edit")
def segment_assignments_bulk(segment_id: str, kind: str) -> Response:
    """Remove the ticked members, or unassign the ticked items (undoable)."""
    segment = get_segment(g.tenant, segment_id)
    removed = REMOVE[kind](g.tenant, segment, request.form.getlist("ids"))
    noun, _verb, did, _undone = WORDS[kind]
    message = f"{did} {_count(removed.count, noun)}."
    if removed.kept_by_rule:
        message += f" {_count(removed.kept_by_rule, noun)} stay: the rule selects them."
    return _done(segment, kind, message, removed.token, _back(segment, kind, request.form))


@bp.post(f"/segments/<segment_id>/{KIND}/bulk/undo")
@can("edit")
def segment_assignments_bulk_undo(segment_id: str, kind: str) -> Response:
    segment = get_segment(g.tenant, segment_id)
    n = service.undo(g.tenant, segment, kind, request.form.get("token", ""))
    noun, _verb, _done_word, undone = WORDS[kind]
    message = f"{undone}: {_count(n, noun)}."
    return _done(segment, kind, message, None, _back(segment, kind, request.form))


ASSIGNED_PAGE = 50


def assigned_context(segment: Segment) -> dict:
    """What the Items tab's list of assigned items shows (templates/items/_assigned.html)."""
    number = page_arg(request.args.get("assigned"))
    shown = assigned_page(segment, number, ASSIGNED_PAGE, g.tenant.default_language)

    def page_url(n: int) -> str:
        return url_for("web.segment_items_assigned", segment_id=segment.id, assigned=n)

    return {
        "assigned": shown,
        "assigned_size": ASSIGNED_PAGE,
        "assigned_url": page_url,
    }


@bp.get("/segments/<segment_id>/items/assigned")
@can("read")
def segment_items_assigned(segment_id: str):
    """The list of the segment's items, a page at a time; it reloads itself when items change."""
    segment = get_segment(g.tenant, segment_id)
    if not wants_fragment():
        number = request.args.get("assigned")
        return redirect(url_for("web.segment_items", segment_id=segment.id, assigned=number))
    return render("items/_assigned.html", segment=segment, **assigned_context(segment))
