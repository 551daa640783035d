"""The dashboard's segment list: a page of the tenant's segments as searched, filtered and
sorted, with their member and item counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Segment, Tenant
from ..query.listing import Page, read_page
from . import stats
from .segment_search import search_segments, tenant_sites
from .stats import Counts


@dataclass(frozen=True)
class SegmentPage:
    segments: list[Segment]
    counts: dict[int, Counts]
    total: int
    #: the page shown (the last one when the page asked for lay past it)
    number: int


def segment_page(
    tenant: Tenant,
    text: str,
    status: str,
    site: str,
    valid_now: bool,
    sort: str,
    number: int,
    size: int,
) -> SegmentPage:
    """Page `number` of the segments matching the list's search and filters (see
    segment_search.search_segments), or its last page when `number` lies past it."""
    stmt = search_segments(tenant, text, status, site, valid_now, sort)
    paged = read_page(db.session, stmt, Page(number, size), count=True, within=True)
    segments = [row[0] for row in paged.rows]
    counts = stats.segment_counts([segment.pk for segment in segments])
    return SegmentPage(segments, counts, paged.total or 0, paged.page.number)


def site_codes(tenant: Tenant) -> list[str]:
    """The site codes the tenant's segments use, in order."""
    return list(db.session.scalars(tenant_sites(tenant)))


#: the most segments a picker offers ("in segment" of the rule editor)
CHOICES_MAX = 1000


def segment_choices(tenant: Tenant, limit: int = CHOICES_MAX) -> list[tuple[str, dict]]:
    """The tenant's segment ids with their names, by id, for a picker."""
    stmt = (
        select(Segment.id, Segment.name)
        .where(Segment.tenant_id == tenant.id)
        .order_by(Segment.id)
        .limit(limit)
    )
    return [(row.id, row.name or {}) for row in db.session.execute(stmt)]
