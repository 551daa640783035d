"""A segment's members tab: the paged list, adding and removing one member, the CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import Response, g, redirect, request, url_for
from sqlalchemy import Select

from ..errors import BadRequest, NotFound
from ..extensions import db
from ..models import Customer, CustomerAssignment, Segment
from ..models.types import isoformat
from ..services.assignments.customers import CustomerAssignments, get_customer_assignment
from ..services.segment_search import (
    legal_entities_named,
    member_export,
    memberships_of,
    search_customers,
    search_members,
    segment_members,
)
from ..services.segments import get_segment
from ..services.spreadsheets import SpreadsheetCsv, csv_download
from ..services.stats import Counts
from . import bp, can
from .args import int_arg, last_page, page_arg
from .htmx import go, notify, refresh_trigger, render, wants_fragment
from .redirects import local_url
from .segment_pages import load_segment

PAGE_SIZE = 50
CANDIDATES = 8
EXPORT_BATCH = 2000
EXPORT_COLUMNS = (
    "customerId",
    "email",
    "firstName",
    "lastName",
    "legalEntityId",
    "legalEntityName",
    "assignmentType",
    "since",
)
#: columns written as they are; the others are free text, neutralised for spreadsheets
EXPORT_EXACT = ("customerId", "legalEntityId")


@dataclass(frozen=True)
class Member:
    """One row of the members list."""

    assignment_pk: int
    customer: Customer
    legal_entity_id: str | None
    legal_entity_name: str | None
    since: datetime
    how: str


@dataclass(frozen=True)
class Candidate:
    """A directory customer that could join: the legal entities to pick from, and which of
    (B2C, each entity) is already a member."""

    customer: Customer
    entities: list[tuple[str, str]]
    member_as: set[str | None]


def _how_added(assignment: CustomerAssignment) -> str:
    """MANUAL or AUTOMATIC, and whether an import made the assignment."""
    how = assignment.assignment_type.capitalize()
    # import_id belongs to the member imports; the list must not depend on that feature
    if getattr(assignment, "import_id", None) is not None:
        how += " · import"
    return how


def _member(row) -> Member:
    assignment, customer, entity, _segment_id = row
    return Member(
        assignment.pk,
        customer,
        entity.id if entity is not None else None,
        entity.name if entity is not None else None,
        assignment.created_at,
        _how_added(assignment),
    )


def _members(segment: Segment, page: int) -> tuple[list[Member], bool]:
    """One page of members and whether there is a next one (read as one row more)."""
    stmt = segment_members(segment).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    rows = db.session.execute(stmt).all()
    return [_member(row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE


@dataclass(frozen=True)
class Found:
    """A batch of a member search: the rows, and where the search goes on (None: it is done)."""

    members: list[Member]
    #: the customer pk after which the next batch starts
    after: int | None = None
    #: True when the batch ended because the search spent its time, not because it was full
    searching: bool = False
    #: members read by stretches so far (see services.substring)
    read: int = 0


def _search(segment: Segment, text: str, after: int, read: int) -> Found:
    """The next batch of members matching `text` whose customer pk lies above `after`: a page,
    or fewer when the search ran out of time first. A batch never splits a customer's rows."""
    scan = search_members(segment, text, after, PAGE_SIZE)
    rows, read = scan.rows, read + scan.read
    if len(rows) <= PAGE_SIZE:
        return Found([_member(row) for row in rows], scan.resume, scan.resume is not None, read)
    following = rows[PAGE_SIZE][0].customer_pk
    shown = [row for row in rows[:PAGE_SIZE] if row[0].customer_pk != following]
    shown = shown or rows[:PAGE_SIZE]
    return Found([_member(row) for row in shown], shown[-1][0].customer_pk, False, read)


@dataclass(frozen=True)
class Picker:
    """Directory customers matching what the editor typed, and where the search goes on when it
    ran out of time before finding enough (None: it is done)."""

    candidates: list[Candidate]
    after: int | None = None
    read: int = 0


def _candidates(
    segment: Segment, text: str, after: int = 0, read: int = 0, want: int = CANDIDATES
) -> Picker:
    """Up to `want` customers matching `text` above pk `after`, with their entities' names and
    current memberships (a fixed number of queries, whatever the number of candidates)."""
    if not text.strip():
        return Picker([])
    scan = search_customers(g.tenant, text, after, want)
    customers = scan.rows[:want]
    picker = Picker([], scan.resume, read + scan.read)
    if not customers:
        return picker
    entity_ids = {eid for customer in customers for eid in customer.legal_entity_ids}
    names = dict(db.session.execute(legal_entities_named(g.tenant, sorted(entity_ids))).all())
    member_as: dict[int, set[str | None]] = {}
    for customer_pk, entity_id in db.session.execute(
        memberships_of(segment, [customer.pk for customer in customers])
    ):
        member_as.setdefault(customer_pk, set()).add(entity_id)
    picker.candidates.extend(
        Candidate(
            customer,
            [(eid, names.get(eid) or eid) for eid in customer.legal_entity_ids],
            member_as.get(customer.pk, set()),
        )
        for customer in customers
    )
    return picker


def _tab(segment: Segment, counts: Counts):
    """The members tab (or its list, for htmx) for the request's search, page and find; with
    `after`, the next batch of a search (for htmx, only its rows)."""
    text = request.args.get("q", "").strip()
    # a search comes in batches (see _rows.html), a plain list in pages
    page = 1 if text else page_arg(request.args.get("page"))
    page = min(page, last_page(counts.members, PAGE_SIZE))
    find = request.args.get("find", "").strip()
    after = request.args.get("after")
    #: matches shown before this batch (a search that ends having shown none says so)
    shown = int_arg(request.args.get("shown"), 0)
    found = None
    if text:
        found = _search(segment, text, int_arg(after, 0), int_arg(request.args.get("read"), 0))
        members, more = found.members, found.after is not None
    else:
        members, more = _members(segment, page)

    def list_url(**changes) -> str:
        params = {"q": text, "page": page, **changes}
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
    return render(
        "members/index.html",
        "members/_rows.html" if batch else "members/_list.html",
        segment=segment,
        counts=counts,
        tab_name="web.segment_detail",
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
        picker=_candidates(segment, find) if find else Picker([]),
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


def _who(customer_id: str, entity_id: str | None) -> str:
    return customer_id if entity_id is None else f"{customer_id} ({entity_id})"


@bp.post("/segments/<segment_id>/members")
@can("edit")
def segment_members_add(segment_id: str):
    """Add one customer, as B2C or for one of its legal entities."""
    segment = get_segment(g.tenant, segment_id)
    key = _key_from_form()
    find = request.form.get("find", "").strip()
    try:
        get_customer_assignment(segment, key)
    except NotFound:
        CustomerAssignments(g.tenant, segment, [key]).upsert(key, {})
        message, level = f"Added {_who(*key)}.", "success"
    else:
        message, level = f"{_who(*key)} is a member already.", "info"
    if not wants_fragment():
        return go(url_for("web.segment_detail", segment_id=segment.id, find=find), message, level)
    response = _candidates_fragment(segment, find, added=key[0])
    return refresh_trigger(notify(response, message, level), "members-changed")


@bp.post("/segments/<segment_id>/members/remove")
@can("edit")
def segment_members_remove(segment_id: str):
    """Remove one membership; for htmx the row swaps out."""
    segment = get_segment(g.tenant, segment_id)
    key = _key_from_form()
    CustomerAssignments(g.tenant, segment, [key]).delete(key)
    message = f"Removed {_who(*key)}."
    if not wants_fragment():
        back = local_url(
            request.form.get("back"), url_for("web.segment_detail", segment_id=segment.id)
        )
        return go(back, message)
    # the row swaps out; the counts in the frame reload themselves
    return refresh_trigger(notify(Response("", 200), message), "counts-changed")


def _export_chunks(stmt: Select) -> Iterator[str]:
    """The CSV text, a batch of rows at a time, read through a server-side cursor."""
    out = SpreadsheetCsv(EXPORT_COLUMNS.index(name) for name in EXPORT_EXACT)
    out.header(EXPORT_COLUMNS)
    yield out.drain()
    result = db.session.execute(stmt, execution_options={"yield_per": EXPORT_BATCH})
    for rows in result.partitions():
        out.rows((*row[:-1], isoformat(row[-1])) for row in rows)
        yield out.drain()


@bp.get("/segments/<segment_id>/members.csv")
@can("read")
def segment_members_csv(segment_id: str):
    """The whole membership as CSV, streamed from a server-side cursor."""
    segment = get_segment(g.tenant, segment_id)
    return csv_download(_export_chunks(member_export(segment)), f"segment-{segment.id}-members.csv")
