"""Searches the dashboard runs: segments of a tenant, members of a segment, and the customers
that could join one. Each is a named function that returns a `select()`; the pages page and
count the statements, the API's rules (segments_query, customer_assignments_query,
records_query) stay the base they narrow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from ..extensions import db
from ..models import Customer, CustomerAssignment, LegalEntity, Segment, Tenant
from ..models.directory import customer_full_name
from ..models.segments import STATUSES
from ..models.types import utcnow
from ..query.jsonsql import json_any_string, json_sort_key
from . import substring
from .assignments.customers import customer_assignments_query
from .directory import KINDS, records_query
from .segments import segments_query

#: members and customers a search reads per stretch where no index serves it (about 25 ms
#: each on SQLite; see services.substring)
STRETCH = 50_000


@dataclass(frozen=True)
class Sort:
    """A column the segment list sorts on: `key` in URLs, `label` in headers."""

    key: str
    label: str
    #: the ORDER BY expression, given the tenant's default language
    expression: Callable[[str], Any]


SEGMENT_SORTS: dict[str, Sort] = {
    sort.key: sort
    for sort in (
        Sort("name", "Name", lambda lang: func.lower(json_sort_key(Segment.name, (lang,)))),
        Sort("id", "ID", lambda lang: Segment.id),
        Sort("site", "Site", lambda lang: Segment.site_code),
        Sort("status", "Status", lambda lang: Segment.status),
        Sort("created", "Created", lambda lang: Segment.created_at),
        Sort("modified", "Modified", lambda lang: Segment.modified_at),
        # the stored counts (services.counters), each with an index of its own
        Sort("members", "Members", lambda lang: Segment.member_count),
        Sort("items", "Items", lambda lang: Segment.item_count),
    )
}
DEFAULT_SORT = "name"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """`name` or `name:desc` to (key, descending); anything unknown is the default sort."""
    key, _, direction = (raw or "").partition(":")
    if key not in SEGMENT_SORTS:
        return DEFAULT_SORT, False
    return key, direction == "desc"


def _contains(expr: Any, text: str) -> ColumnElement[bool]:
    return substring.contains(expr, text)


def search_segments(
    tenant: Tenant,
    text: str | None = None,
    status: str | None = None,
    site: str | None = None,
    valid_now: bool = False,
    sort: str | None = None,
) -> Select:
    """Segments whose name (in any language), id or site contains `text`, narrowed by status,
    site and validity, in the order `sort` names (see parse_sort); ties broken by id."""
    stmt = segments_query(tenant).order_by(None)
    text = (text or "").strip()
    if text:
        stmt = stmt.where(
            or_(
                json_any_string(Segment.name, lambda each: _contains(each, text)),
                _contains(Segment.id, text),
                _contains(Segment.site_code, text),
            )
        )
    if status in STATUSES:
        stmt = stmt.where(Segment.status == status)
    if site:
        stmt = stmt.where(Segment.site_code == site)
    if valid_now:
        stmt = stmt.where(Segment.valid_at_sql(utcnow()))
    key, descending = parse_sort(sort)
    expr = SEGMENT_SORTS[key].expression(tenant.default_language)
    first = expr.desc().nulls_first() if descending else expr.asc().nulls_last()
    return stmt.order_by(first, Segment.id)


def tenant_sites(tenant: Tenant) -> Select:
    """The site codes the tenant's segments use, in order (served by the site index)."""
    return (
        select(Segment.site_code)
        .distinct()
        .where(Segment.tenant_id == tenant.id)
        .order_by(Segment.site_code)
    )


def _customer_matches(text: str) -> ColumnElement[bool]:
    # the expressions PostgreSQL's trigram indexes hold (models.directory)
    return or_(
        _contains(customer_full_name(), text),
        _contains(Customer.email, text),
        _contains(Customer.id, text),
    )


def segment_members(
    segment: Segment,
    text: str | None = None,
    after: int | None = None,
    until: int | None = None,
) -> Select:
    """Rows (assignment, customer, legal entity or None, segment id) of the segment's members
    whose name, email or customer id contains `text`; with `after` and `until`, only those
    whose customer pk lies above `after` and up to `until`.

    Ordered by (customer, legal entity), which the unique index on
    (segment_pk, customer_pk, legal_entity_pk) serves, so a page of a segment of a million
    members reads only that page.
    """
    stmt = customer_assignments_query(segment).order_by(None)
    text = (text or "").strip()
    if text:
        stmt = stmt.where(_customer_matches(text))
    if after is not None:
        stmt = stmt.where(CustomerAssignment.customer_pk > after)
    if until is not None:
        stmt = stmt.where(CustomerAssignment.customer_pk <= until)
    return stmt.order_by(CustomerAssignment.customer_pk, CustomerAssignment.legal_entity_pk)


def member_keys(segment: Segment, after: int) -> Select:
    """The customer pks of the segment's members above `after`, in the list's order."""
    return (
        select(CustomerAssignment.customer_pk)
        .where(CustomerAssignment.segment_pk == segment.pk, CustomerAssignment.customer_pk > after)
        .order_by(CustomerAssignment.customer_pk)
    )


def search_members(segment: Segment, text: str, after: int, want: int) -> substring.Scan:
    """Up to `want` + 1 member rows (as segment_members) whose customer pk lies above `after`
    and whose name, email or customer id contains `text`, read a stretch at a time where no
    index serves the search."""
    return substring.scan(
        lambda start: member_keys(segment, start),
        lambda start, until, limit: db.session.execute(
            segment_members(segment, text, start, until).limit(limit)
        ).all(),
        after,
        want,
        STRETCH,
        text,
    )


def member_export(segment: Segment) -> Select:
    """The columns of the membership CSV, one row per assignment, in index order."""
    return (
        select(
            Customer.id,
            Customer.email,
            Customer.first_name,
            Customer.last_name,
            LegalEntity.id,
            LegalEntity.name,
            CustomerAssignment.assignment_type,
            CustomerAssignment.created_at,
        )
        .join(Customer, Customer.pk == CustomerAssignment.customer_pk)
        .outerjoin(LegalEntity, LegalEntity.pk == CustomerAssignment.legal_entity_pk)
        .where(CustomerAssignment.segment_pk == segment.pk)
        .order_by(CustomerAssignment.customer_pk, CustomerAssignment.legal_entity_pk)
    )


def customer_candidates(
    tenant: Tenant, text: str, after: int | None = None, until: int | None = None
) -> Select:
    """Customers of the directory whose name, email or id contains `text` (with their legal
    entity links loaded), in directory order; with `after` and `until`, only those whose pk
    lies above `after` and up to `until`."""
    stmt = records_query(tenant, KINDS["customer"]).where(_customer_matches(text.strip()))
    if after is not None:
        stmt = stmt.where(Customer.pk > after)
    if until is not None:
        stmt = stmt.where(Customer.pk <= until)
    return stmt


def search_customers(tenant: Tenant, text: str, after: int, want: int) -> substring.Scan:
    """Up to `want` + 1 customers (as customer_candidates) above pk `after` whose name, email
    or id contains `text`, read a stretch at a time where no index serves the search."""

    def keys(start: int) -> Select:
        return (
            select(Customer.pk)
            .where(Customer.tenant_id == tenant.id, Customer.pk > start)
            .order_by(Customer.pk)
        )

    return substring.scan(
        keys,
        lambda start, until, limit: list(
            db.session.scalars(customer_candidates(tenant, text, start, until).limit(limit))
        ),
        after,
        want,
        STRETCH,
        text.strip(),
    )


def legal_entities_named(tenant: Tenant, entity_ids: Sequence[str]) -> Select:
    """(id, name) of the tenant's legal entities among `entity_ids`."""
    return select(LegalEntity.id, LegalEntity.name).where(
        LegalEntity.tenant_id == tenant.id, LegalEntity.id.in_(list(entity_ids))
    )


def memberships_of(segment: Segment, customer_pks: Sequence[int]) -> Select:
    """(customer pk, legal entity id or None) of the assignments these customers have in the
    segment."""
    return (
        select(CustomerAssignment.customer_pk, LegalEntity.id)
        .outerjoin(LegalEntity, LegalEntity.pk == CustomerAssignment.legal_entity_pk)
        .where(
            CustomerAssignment.segment_pk == segment.pk,
            CustomerAssignment.customer_pk.in_(list(customer_pks)),
        )
    )
