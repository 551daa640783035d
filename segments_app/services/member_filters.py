"""The members list narrowed and ordered: since when (a date range), which legal entity (or
B2C), how they were added (by hand, by an import, by the rule), newest or oldest first. The
statement pages through query.listing.read_page like the plain list; the orders by "since"
read the index on (segment_pk, created_at, pk)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, select

from ..extensions import db
from ..models import CustomerAssignment, LegalEntity, Segment, Tenant
from ..query.listing import Page, read_page
from .members import MemberPage, _member
from .segment_search import segment_members

#: how a member was added -> the condition on its assignment
HOW = {
    "manual": lambda: (
        (CustomerAssignment.assignment_type == "MANUAL") & CustomerAssignment.import_id.is_(None)
    ),
    "import": lambda: CustomerAssignment.import_id.is_not(None),
    "rule": lambda: CustomerAssignment.assignment_type == "AUTOMATIC",
}
HOW_CHOICES = (
    ("", "Any way"),
    ("manual", "By hand"),
    ("import", "By an import"),
    ("rule", "By the rule"),
)
#: sort key -> label (the default, "customer", is the key order of the plain list)
SORTS = (("", "Customer"), ("since", "Oldest first"), ("since:desc", "Newest first"))
#: the legal entity filter's word for members without one
B2C = "-"


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class MemberFilter:
    since_from: date | None = None
    since_to: date | None = None
    entity: str = ""
    how: str = ""
    sort: str = ""

    @classmethod
    def from_args(cls, args) -> MemberFilter:
        how = args.get("how", "")
        sort = args.get("sort", "")
        return cls(
            _day(args.get("from", "")),
            _day(args.get("to", "")),
            args.get("entity", "").strip(),
            how if how in HOW else "",
            sort if sort in dict(SORTS) else "",
        )

    @property
    def any(self) -> bool:
        return bool(self.since_from or self.since_to or self.entity or self.how or self.sort)

    def args(self) -> dict[str, str]:
        """The filter as URL arguments (what is unset left out)."""
        values = {
            "from": self.since_from.isoformat() if self.since_from else "",
            "to": self.since_to.isoformat() if self.since_to else "",
            "entity": self.entity,
            "how": self.how,
            "sort": self.sort,
        }
        return {k: v for k, v in values.items() if v}


def _conditions(tenant: Tenant, chosen: MemberFilter) -> list[ColumnElement[bool]]:
    conditions = []
    if chosen.since_from:
        start = datetime.combine(chosen.since_from, time.min, UTC)
        conditions.append(CustomerAssignment.created_at >= start)
    if chosen.since_to:  # the whole day of `to` belongs to the range
        end = datetime.combine(chosen.since_to + timedelta(days=1), time.min, UTC)
        conditions.append(CustomerAssignment.created_at < end)
    if chosen.entity == B2C:
        conditions.append(CustomerAssignment.legal_entity_pk.is_(None))
    elif chosen.entity:
        entity = select(LegalEntity.pk).where(
            LegalEntity.tenant_id == tenant.id, LegalEntity.id == chosen.entity
        )
        conditions.append(CustomerAssignment.legal_entity_pk == entity.scalar_subquery())
    if chosen.how:
        conditions.append(HOW[chosen.how]())
    return conditions


def filtered_members(tenant: Tenant, segment: Segment, chosen: MemberFilter) -> Select:
    """segment_members narrowed by `chosen`, in its order."""
    stmt = segment_members(segment).where(*_conditions(tenant, chosen))
    if chosen.sort.startswith("since"):
        since = CustomerAssignment.created_at
        pk = CustomerAssignment.pk
        descending = chosen.sort.endswith(":desc")
        stmt = stmt.order_by(None).order_by(
            since.desc() if descending else since, pk.desc() if descending else pk
        )
    return stmt


def filtered_page(
    tenant: Tenant, segment: Segment, chosen: MemberFilter, number: int, size: int
) -> tuple[MemberPage, int]:
    """Page `number` (or the last) of the filtered members, and how many match."""
    known: bool | int = True
    if not _conditions(tenant, chosen):
        known = segment.member_count  # only an order: the stored count is the total
    paged = read_page(
        db.session,
        filtered_members(tenant, segment, chosen),
        Page(number, size),
        count=known,
        within=True,
    )
    total = paged.total if paged.total is not None else 0
    return MemberPage(
        [_member(row) for row in paged.rows], paged.page.number, paged.has_next
    ), total
