"""A segment's members as the dashboard shows them: a page of the list, a batch of a search,
the directory customers that could join, and the membership as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, inspect

from ..errors import NotFound
from ..extensions import db
from ..models import Customer, CustomerAssignment, Segment, Tenant
from ..models.types import isoformat
from ..query.listing import Page, read_page
from .assignments.customers import CustomerAssignments, get_customer_assignment
from .segment_search import (
    legal_entities_named,
    member_export,
    memberships_of,
    search_customers,
    search_members,
    segment_members,
)
from .snapshots import restore, snapshot, upsert_body
from .spreadsheets import SpreadsheetCsv

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
    #: the rule holds the member (AUTOMATIC): it cannot be removed by hand
    by_rule: bool = False


def how_added(assignment: CustomerAssignment) -> str:
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
        how_added(assignment),
        assignment.assignment_type == "AUTOMATIC",
    )


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    #: the page shown (the last one when the page asked for lay past it)
    number: int
    more: bool


def member_page(segment: Segment, number: int, size: int, total: int) -> MemberPage:
    """Page `number` of the segment's members (or its last page), `total` being how many the
    segment has (its stored count)."""
    paged = read_page(
        db.session, segment_members(segment), Page(number, size), count=total, within=True
    )
    return MemberPage([_member(row) for row in paged.rows], paged.page.number, paged.has_next)


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


def search_batch(segment: Segment, text: str, after: int, read: int, size: int) -> Found:
    """The next batch of members matching `text` whose customer pk lies above `after`: `size`
    of them, or fewer when the search ran out of time first. A batch never splits a customer's
    rows."""
    scan = search_members(segment, text, after, size)
    rows, read = scan.rows, read + scan.read
    if len(rows) <= size:
        return Found([_member(row) for row in rows], scan.resume, scan.resume is not None, read)
    following = rows[size][0].customer_pk
    shown = [row for row in rows[:size] if row[0].customer_pk != following]
    shown = shown or rows[:size]
    return Found([_member(row) for row in shown], shown[-1][0].customer_pk, False, read)


@dataclass(frozen=True)
class Candidate:
    """A directory customer that could join: the legal entities to pick from, and which of
    (B2C, each entity) is already a member."""

    customer: Customer
    entities: list[tuple[str, str]]
    member_as: set[str | None]


@dataclass(frozen=True)
class Picker:
    """Directory customers matching what the editor typed, and where the search goes on when it
    ran out of time before finding enough (None: it is done)."""

    candidates: list[Candidate]
    after: int | None = None
    read: int = 0


def candidates(
    tenant: Tenant, segment: Segment, text: str, after: int, read: int, want: int
) -> Picker:
    """Up to `want` customers matching `text` above pk `after`, with their entities' names and
    current memberships (a fixed number of queries, whatever the number of candidates)."""
    if not text.strip():
        return Picker([])
    scan = search_customers(tenant, text, after, want)
    customers = scan.rows[:want]
    picker = Picker([], scan.resume, read + scan.read)
    if not customers:
        return picker
    entity_ids = {eid for customer in customers for eid in customer.legal_entity_ids}
    names = dict(db.session.execute(legal_entities_named(tenant, sorted(entity_ids))).all())
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


def add_member(tenant: Tenant, segment: Segment, key: tuple[str, str | None]) -> bool:
    """Add the customer of `key` (customer id, legal entity id or None for B2C) unless it is a
    member already; whether it was added."""
    try:
        get_customer_assignment(segment, key)
    except NotFound:
        CustomerAssignments(tenant, segment, [key]).upsert(key, {})
        return True
    return False


def member_name(tenant: Tenant, segment: Segment, key: tuple[str, str | None]) -> str:
    """How a message names the member `key`: "Anna Schmidt (Acme GmbH)", the ids when the
    directory has no names."""
    return _named(CustomerAssignments(tenant, segment, [key]), tenant, key)


@dataclass(frozen=True)
class Removed:
    """A membership the dashboard ended: who, and what an Undo puts back."""

    name: str
    #: the membership as it was (see services.snapshots)
    was: dict
    #: the rule selects the customer: the member stays, held by the rule instead
    stays: bool


def remove_member(tenant: Tenant, segment: Segment, key: tuple[str, str | None]) -> Removed:
    """End the membership of `key` (404 when there is none, 409 when the rule holds it)."""
    batch = CustomerAssignments(tenant, segment, [key])
    assignment = _assignment(batch, key)
    was = snapshot(assignment) if assignment is not None else {}
    batch.delete(key)
    stays = assignment is not None and assignment in db.session and not inspect(assignment).deleted
    return Removed(_named(batch, tenant, key), was, stays)


def restore_member(tenant: Tenant, segment: Segment, key: tuple[str, str | None], was: dict) -> str:
    """Put back the membership of `key` as `was` took it (remove_member); its name."""
    batch = CustomerAssignments(tenant, segment, [key])
    batch.upsert(key, upsert_body(was))
    assignment = _assignment(batch, key)
    if assignment is not None:
        restore(assignment, was)
    return _named(batch, tenant, key)


def pin_member(tenant: Tenant, segment: Segment, key: tuple[str, str | None]) -> str:
    """Make a member the rule holds a manual one (the API's PUT does the same), so it stays
    when the rule no longer selects it; its name. 404 when it is no member."""
    batch = CustomerAssignments(tenant, segment, [key])
    assignment = _assignment(batch, key)
    if assignment is None:
        get_customer_assignment(segment, key)  # says why: 404
    else:
        batch.upsert(key, upsert_body(snapshot(assignment)))
    return _named(batch, tenant, key)


def _assignment(batch: CustomerAssignments, key: tuple[str, str | None]):
    customer = batch.customers.get(key[0])
    entity = batch.entities.get(key[1]) if key[1] else None
    if customer is None or (key[1] and entity is None):
        return None
    return batch.assignments.get((customer.pk, entity.pk if entity else None))


def _named(batch: CustomerAssignments, tenant: Tenant, key: tuple[str, str | None]) -> str:
    customer_id, entity_id = key
    customer = batch.customers.get(customer_id)
    name = customer_id
    if customer is not None:
        name = " ".join(p for p in (customer.first_name, customer.last_name) if p) or customer_id
    if entity_id is None:
        return name
    entity = batch.entities.get(entity_id)
    return f"{name} ({(entity.name if entity is not None else None) or entity_id})"


def members_csv(segment: Segment) -> Iterator[str]:
    """The whole membership as CSV text, a batch of rows at a time, read through a server-side
    cursor (the statement is built now, so the segment need not outlive the request)."""
    return _csv_chunks(member_export(segment))


def _csv_chunks(stmt: Select) -> Iterator[str]:
    out = SpreadsheetCsv(EXPORT_COLUMNS.index(name) for name in EXPORT_EXACT)
    out.header(EXPORT_COLUMNS)
    yield out.drain()
    result = db.session.execute(stmt, execution_options={"yield_per": EXPORT_BATCH})
    for rows in result.partitions():
        out.rows((*row[:-1], isoformat(row[-1])) for row in rows)
        yield out.drain()
