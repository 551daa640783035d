"""Customer assignments: B2C (no legal entity) and B2B (for one legal entity of the customer)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ...errors import BadRequest, Conflict, NotFound
from ...extensions import db
from ...models import Customer, CustomerAssignment, LegalEntity, Segment, Tenant
from ...models.types import utcnow
from ...query.fields import Field, FieldSet, Kind
from ...query.listing import Join, joined, tables_of
from ...query.q import compile_q
from .. import activity
from ..rules.evaluate import Selector, lock_members
from ..rules.triggers import membership_changed
from .common import checked_body, finish_document, metadata_fields, present, remove, write

CUSTOMER_FIELDS = FieldSet(
    Field("customer.id", Kind.STRING, Customer.id),
    Field("customer.email", Kind.STRING, Customer.email),
    Field("customer.firstName", Kind.STRING, Customer.first_name),
    Field("customer.lastName", Kind.STRING, Customer.last_name),
    Field("legalEntity.id", Kind.STRING, LegalEntity.id),
    Field("legalEntity.name", Kind.STRING, LegalEntity.name),
    Field("assignmentType", Kind.STRING, CustomerAssignment.assignment_type),
    Field("segmentId", Kind.STRING, Segment.id),
    *metadata_fields(CustomerAssignment),
)
#: top-level keys of a customer assignment document (for `fields=`)
CUSTOMER_KEYS = ("segmentId", "customer", "legalEntity", "assignmentType", "mixins", "metadata")
#: what `fields=` always keeps: what tells one assignment from another
CUSTOMER_IDENTITY = ("segmentId", "customer.id", "legalEntity.id")

#: what a row of customer_assignments_query joins to its assignment
_JOINS: tuple[Join, ...] = (
    (Segment, Segment.pk == CustomerAssignment.segment_pk, False),
    (Customer, Customer.pk == CustomerAssignment.customer_pk, False),
    (LegalEntity, LegalEntity.pk == CustomerAssignment.legal_entity_pk, True),
)

#: (customerId, legalEntityId or None for B2C)
Key = tuple[str, str | None]


def _conditions(segment: Segment, q: str | None, own) -> list[Any]:
    conditions = [CustomerAssignment.segment_pk == segment.pk]
    condition = compile_q(q, CUSTOMER_FIELDS)
    if condition is not None:
        conditions.append(condition)
    if own is not None:
        conditions.append(own)
    return conditions


def customer_assignments_query(segment: Segment, q: str | None = None, own=None) -> Select:
    """Rows (assignment, customer, legal entity or None, segment id) of `segment` matching `q`.

    `own`, a condition on CustomerAssignment (see customer_view), keeps only those rows.
    """
    stmt = joined(select(CustomerAssignment, Customer, LegalEntity, Segment.id), _JOINS)
    return stmt.where(*_conditions(segment, q, own)).order_by(CustomerAssignment.pk)


def customer_assignment_keys(
    segment: Segment, q: str | None = None, own=None, order: Sequence[Any] = ()
) -> Select:
    """The pks of the rows of customer_assignments_query(segment, q, own), in `order` (default
    the pk), joining only the tables that `q` and `order` read: for query.listing.page_by_key.

    The joins left out neither drop nor repeat assignments (the customer and segment keys are
    not null, the legal entity join is outer on its primary key), so the rows are the same.
    """
    conditions = _conditions(segment, q, own)
    order = list(order) or [CustomerAssignment.pk]
    stmt = joined(select(CustomerAssignment.pk), _JOINS, tables_of(*conditions, *order))
    return stmt.where(*conditions).order_by(*order)


def get_customer_assignment(segment: Segment, key: Key) -> Row:
    """The row of one assignment, as customer_assignments_query gives it; 404 if absent."""
    customer_id, legal_entity_id = key
    stmt = customer_assignments_query(segment).where(Customer.id == customer_id)
    if legal_entity_id is None:
        stmt = stmt.where(CustomerAssignment.legal_entity_pk.is_(None))
    else:
        stmt = stmt.where(LegalEntity.id == legal_entity_id)
    row = db.session.execute(stmt).first()
    if row is None:
        raise NotFound(customer_id, _absent(segment, key))
    return row


def customer_assignment_document(row: Row) -> dict:
    """The contract's CustomerAssignmentResponse (B2C ones have no `legalEntity`)."""
    assignment, customer, entity, segment_id = row
    doc: dict[str, Any] = {
        "segmentId": segment_id,
        "customer": present(
            {
                "id": customer.id,
                "firstName": customer.first_name,
                "lastName": customer.last_name,
                "email": customer.email,
            }
        ),
    }
    if entity is not None:
        doc["legalEntity"] = present({"id": entity.id, "name": entity.name})
    doc["assignmentType"] = assignment.assignment_type
    return finish_document(doc, assignment)


def element_key(element: object) -> Key:
    """The key of a bulk element ({customerId, legalEntityId?}); 400 when it has none."""
    if not isinstance(element, dict):
        raise BadRequest('Each element must be an object such as {"customerId": "c1"}.')
    customer_id, entity_id = element.get("customerId"), element.get("legalEntityId")
    if not isinstance(customer_id, str) or not customer_id:
        raise BadRequest("customerId is required and must be a non-empty string.")
    if entity_id is not None and (not isinstance(entity_id, str) or not entity_id):
        raise BadRequest("legalEntityId must be a non-empty string when given.")
    return customer_id, entity_id


class CustomerAssignments:
    """Writes to one segment's customer assignments, with the reference data they name loaded
    up front, so a bulk request costs a few queries whatever its size."""

    def __init__(self, tenant: Tenant, segment: Segment, keys: Iterable[Key]):
        keys = list(keys)
        self.segment = segment
        # first, so an evaluation or an import of the segment at the same moment is over
        # before its members are read here (or waits until this request commits)
        lock_members(db.session, [segment.pk])
        customer_ids = {customer_id for customer_id, _ in keys}
        entity_ids = {entity_id for _, entity_id in keys if entity_id}
        self.customers: dict[str, Customer] = {}
        self.entities: dict[str, LegalEntity] = {}
        self.assignments: dict[tuple[int, int | None], CustomerAssignment] = {}
        self.selector: Selector | None = None
        if customer_ids:
            self.customers = {
                c.id: c
                for c in db.session.scalars(
                    select(Customer)
                    .options(selectinload(Customer.legal_entity_links))
                    .where(Customer.tenant_id == tenant.id, Customer.id.in_(customer_ids))
                )
            }
        if entity_ids:
            self.entities = {
                e.id: e
                for e in db.session.scalars(
                    select(LegalEntity).where(
                        LegalEntity.tenant_id == tenant.id, LegalEntity.id.in_(entity_ids)
                    )
                )
            }
        customer_pks = [c.pk for c in self.customers.values()]
        if customer_pks:
            self.assignments = {
                (a.customer_pk, a.legal_entity_pk): a
                for a in db.session.scalars(
                    select(CustomerAssignment).where(
                        CustomerAssignment.segment_pk == segment.pk,
                        CustomerAssignment.customer_pk.in_(customer_pks),
                    )
                )
            }

    def upsert(self, key: Key, body: object, schema: str = "CustomerAssignmentUpsert") -> bool:
        """Create or replace the assignment `key` from `body`; returns whether it was created."""
        doc = checked_body(body, schema)
        customer, entity = self._references(key)
        slot = (customer.pk, entity.pk if entity else None)

        def make() -> CustomerAssignment:
            return CustomerAssignment(
                segment_pk=self.segment.pk,
                customer_pk=customer.pk,
                legal_entity_pk=slot[1],
                assignment_type="MANUAL",
            )

        existing = self.assignments.get(slot)
        try:
            with db.session.begin_nested():
                assignment, created, pinned, version = _written(existing, doc, make)
        except IntegrityError:
            # a rule's evaluation (or another writer) assigned the customer meanwhile
            existing = db.session.scalar(
                select(CustomerAssignment).where(
                    CustomerAssignment.segment_pk == self.segment.pk,
                    CustomerAssignment.customer_pk == customer.pk,
                    CustomerAssignment.legal_entity_pk.is_(None)
                    if slot[1] is None
                    else CustomerAssignment.legal_entity_pk == slot[1],
                )
            )
            if existing is None:
                raise
            assignment, created, pinned, version = _written(existing, doc, make)
        if pinned:
            assignment.assignment_type = "MANUAL"
            if assignment.version == version:
                assignment.version += 1
                assignment.modified_at = utcnow()
            db.session.flush()
        self.assignments[slot] = assignment
        if created:
            activity.record(self.segment, "members.added")
            membership_changed(db.session, self.segment, [customer.pk])
        return created

    def delete(self, key: Key) -> None:
        """Remove the assignment `key`; 404 if there is none."""
        customer_id, entity_id = key
        customer = self.customers.get(customer_id)
        entity = self.entities.get(entity_id) if entity_id else None
        assignment = None
        if customer is not None and (entity_id is None or entity is not None):
            slot = (customer.pk, entity.pk if entity else None)
            assignment = self.assignments.pop(slot, None)
        if assignment is None:
            raise NotFound(customer_id, _absent(self.segment, key))
        if assignment.assignment_type == "AUTOMATIC":
            self.assignments[slot] = assignment
            raise Conflict(
                f"Customer {customer_id} is in segment {self.segment.id} by its rule; change "
                "the rule or the customer's data.",
                resource_id=customer_id,
            )
        if assignment.legal_entity_pk is None and self._selector().selects(assignment.customer_pk):
            # the rule selects the customer: it stays, as the rule says, no longer pinned
            assignment.assignment_type = "AUTOMATIC"
            assignment.version += 1
            assignment.modified_at = utcnow()
            db.session.flush()
            self.assignments[slot] = assignment
            return
        remove(assignment)
        activity.record(self.segment, "members.removed")
        membership_changed(db.session, self.segment, [assignment.customer_pk])

    def _selector(self) -> Selector:
        if self.selector is None:
            self.selector = Selector(self.segment)
        return self.selector

    def _references(self, key: Key) -> tuple[Customer, LegalEntity | None]:
        customer_id, entity_id = key
        customer = self.customers.get(customer_id)
        if customer is None:
            raise BadRequest(
                f"Customer {customer_id} is not in this tenant's directory.",
                resource_id=customer_id,
            )
        if entity_id is None:
            return customer, None
        entity = self.entities.get(entity_id)
        if entity is None:
            raise BadRequest(
                f"Legal entity {entity_id} is not in this tenant's directory.",
                resource_id=entity_id,
            )
        if entity_id not in customer.legal_entity_ids:
            raise BadRequest(
                f"Customer {customer_id} does not belong to legal entity {entity_id}.",
                resource_id=customer_id,
            )
        return customer, entity


def _written(
    existing: CustomerAssignment | None, doc: dict, make
) -> tuple[CustomerAssignment, bool, bool, int]:
    """write(), and whether it found a member the rule holds (which a PUT pins: MANUAL, so the
    rule no longer removes it) and that member's version before."""
    pinned = existing is not None and existing.assignment_type == "AUTOMATIC"
    version = existing.version if existing is not None else 0
    assignment, created = write(existing, doc, make)
    return assignment, created, pinned, version


def _absent(segment: Segment, key: Key) -> str:
    customer_id, entity_id = key
    if entity_id is None:
        return f"Customer {customer_id} has no B2C assignment to segment {segment.id}."
    return (
        f"Customer {customer_id} has no assignment to segment {segment.id} "
        f"for legal entity {entity_id}."
    )
