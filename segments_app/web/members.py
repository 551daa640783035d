"""A segment's members tab: the paged list, adding and removing one member, the CSV export."""

from __future__ import annotations

from flask import Response, g, redirect, request, url_for

from ..errors import BadRequest
from ..models import Segment
from ..services import members as service
from ..services.member_filters import HOW_CHOICES, SORTS, MemberFilter, filtered_page
from ..services.segments import get_segment
from ..services.stats import Counts
from . import bp, can
from .args import int_arg, page_arg
from .downloads import csv_response
from .htmx import counts_changed, go, notify, render, wants_fragment
from .redirects import local_url
from .segment_pages import load_segment, render_tab
from .undo import offer, undoes

PAGE_SIZE = 50
CANDIDATES = 8


def _candidates(
    segment: Segment, text: str, after: int = 0, read: int = 0, want: int = CANDIDATES
) -> service.Picker:
    return service.candidates(g.tenant, segment, text, after, read, want)


def _tab(segment: Segment, counts: Counts):
    """The members tab (or its list, for htmx) for the request's search, page and find; with
    `after`, the next batch of a search (for htmx, only its rows)."""
    text = request.args.get("q", "").strip()
    # a search comes in batches (see _rows.html), a plain list in pages
    page = 1 if text else page_arg(request.args.get("page"))
    find = request.args.get("find", "").strip()
    after = request.args.get("after")
    #: matches shown before this batch (a search that ends having shown none says so)
    shown = int_arg(request.args.get("shown"), 0)
    found = None
    # the filters and orders narrow the list; a search by text reads its own way
    chosen = MemberFilter.from_args(request.args)
    matching = counts.members
    if text:
        read = int_arg(request.args.get("read"), 0)
        found = service.search_batch(segment, text, int_arg(after, 0), read, PAGE_SIZE)
        members, more = found.members, found.after is not None
    elif chosen.any:
        listed, matching = filtered_page(g.tenant, segment, chosen, page, PAGE_SIZE)
        members, more, page = listed.members, listed.more, listed.number
    else:
        listed = service.member_page(segment, page, PAGE_SIZE, counts.members)
        members, more, page = listed.members, listed.more, listed.number

    def list_url(**changes) -> str:
        params = {"q": text, "page": page, **(chosen.args() if not text else {}), **changes}
        if params["page"] == 1:
            del params["page"]
        return url_for(
            "web.segment_detail", segment_id=segment.id, **{k: v for k, v in params.items() if v}
        )

    next_url = None
    if found is not None and found.after is not None:
        next_url = list_url(
            page=1, after=str(found.after), read=found.read, shown=shown + len(members)
        )
    batch = text and after is not None
    return render_tab(
        "members/index.html",
        "members/_rows.html" if batch else "members/_list.html",
        segment,
        counts,
        "web.segment_detail",
        members=members,
        more=more,
        q=text,
        found=found,
        next_url=next_url,
        continued=bool(batch),
        shown=shown,
        page_number=page,
        page_size=PAGE_SIZE,
        list_url=list_url,
        find=find,
        picker=_candidates(segment, find) if find else service.Picker([]),
        chosen=chosen,
        matching=matching,
        how_choices=HOW_CHOICES,
        member_sorts=SORTS,
    )


@bp.get("/segments/<segment_id>")
@can("read")
def segment_detail(segment_id: str):
    """The members tab: the paged, searchable list of who is in the segment."""
    segment, counts = load_segment(segment_id)
    return _tab(segment, counts)


@bp.get("/segments/<segment_id>/members/candidates")
@can("edit")
def segment_members_candidates(segment_id: str):
    """Directory customers matching what the editor types, to add one as a member. Only the
    picker is read (not the list nor the counts); without htmx the tab shows the same. With
    `after`, the customers a search that ran out of time finds next (for htmx, only those)."""
    find = request.args.get("find", "").strip()
    if not wants_fragment():
        return redirect(url_for("web.segment_detail", segment_id=segment_id, find=find or None))
    segment = get_segment(g.tenant, segment_id)
    after = request.args.get("after")
    if after is None:
        return _candidates_fragment(segment, find)
    shown = int_arg(request.args.get("shown"), 0)
    read = int_arg(request.args.get("read"), 0)
    picker = _candidates(segment, find, int_arg(after, 0), read, max(1, CANDIDATES - shown))
    return render(
        "members/_candidate_items.html",
        segment=segment,
        find=find,
        picker=picker,
        shown=shown,
        added=None,
    )


def _candidates_fragment(segment: Segment, find: str, added: str | None = None) -> Response:
    return render(
        "members/_candidates.html",
        segment=segment,
        find=find,
        picker=_candidates(segment, find),
        shown=0,
        added=added,
    )


def _key_from_form() -> tuple[str, str | None]:
    customer_id = request.form.get("customer_id", "").strip()
    entity_id = request.form.get("legal_entity_id", "").strip() or None
    if not customer_id:
        raise BadRequest("Choose a customer first.")
    return customer_id, entity_id


@bp.post("/segments/<segment_id>/members")
@can("edit")
def segment_members_add(segment_id: str):
    """Add one customer, as B2C or for one of its legal entities."""
    segment = get_segment(g.tenant, segment_id)
    key = _key_from_form()
    find = request.form.get("find", "").strip()
    added = service.add_member(g.tenant, segment, key)
    name = service.member_name(g.tenant, segment, key)
    if added:
        message, level = f"Added {name}.", "success"
    else:
        message, level = f"{name} is a member already.", "info"
    if not wants_fragment():
        return go(url_for("web.segment_detail", segment_id=segment.id, find=find), message, level)
    response = _candidates_fragment(segment, find, added=key[0])
    return counts_changed(notify(response, message, level))


@bp.post("/segments/<segment_id>/members/remove")
@can("edit")
def segment_members_remove(segment_id: str):
    """Remove one membership, with an Undo in its message; for htmx the row swaps out. A
    member the rule selects stays, held by the rule."""
    segment = get_segment(g.tenant, segment_id)
    key = _key_from_form()
    removed = service.remove_member(g.tenant, segment, key)
    if removed.stays:
        message = (
            f"{removed.name} stays in the segment as a rule member: the rule selects them. "
            "To take them out, change the rule."
        )
    else:
        message = f"Removed {removed.name}."
    back = local_url(request.form.get("back"), url_for("web.segment_detail", segment_id=segment.id))
    if not wants_fragment():
        return go(back, message)
    undo = offer(segment.id, "member", customer=key[0], entity=key[1], was=removed.was, back=back)
    # the row swaps out; every count on the page (and the list) reloads itself
    return counts_changed(notify(Response("", 200), message, undo=undo))


@bp.post("/segments/<segment_id>/members/pin")
@can("edit")
def segment_members_pin(segment_id: str):
    """Pin a member the rule holds: it becomes a manual member, kept whatever the rule says."""
    segment = get_segment(g.tenant, segment_id)
    key = _key_from_form()
    name = service.pin_member(g.tenant, segment, key)
    message = f"Pinned {name}: a manual member now, kept even when the rule no longer selects them."
    back = local_url(request.form.get("back"), url_for("web.segment_detail", segment_id=segment.id))
    if not wants_fragment():
        return go(back, message)
    # the list reloads itself with the rest of the counts, showing the member as manual
    return counts_changed(notify(Response("", 200), message))


@undoes("member")
def _restore_member(segment_id: str, what: dict) -> tuple[Response, str]:
    """Undo a removal: the membership comes back as it was; the list reloads itself."""
    segment = get_segment(g.tenant, segment_id)
    key = (what["customer"], what.get("entity"))
    name = service.restore_member(g.tenant, segment, key, what["was"])
    return Response("", 200), f"Restored {name}."


@bp.get("/segments/<segment_id>/members.csv")
@can("read")
def segment_members_csv(segment_id: str):
    """The whole membership as CSV, streamed from a server-side cursor."""
    segment = get_segment(g.tenant, segment_id)
    return csv_response(service.members_csv(segment), f"segment-{segment.id}-members.csv")
