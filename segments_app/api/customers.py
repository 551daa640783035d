"""/segments/{segmentId}/customers: who is in a segment (B2C and B2B customer assignments)."""

from __future__ import annotations

from flask import g, jsonify, request, url_for

from ..auth.bearer import requires
from ..models import CustomerAssignment
from ..models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from ..query.listing import order_by, project
from ..services.assignments import customers as service
from ..services.assignments.common import candidates
from ..services.segments import get_segment
from . import bp
from .common import (
    bulk_elements,
    field_paths,
    keyed_list_response,
    optional_json_body,
    own_view,
    page,
    run_bulk_deletes,
    run_bulk_upserts,
    search_body,
    viewed_segment,
)

CUSTOMERS = "/segments/<segment_id>/customers"


def _render(row, paths) -> dict:
    doc = service.customer_assignment_document(row)
    return project(doc, paths, always=service.CUSTOMER_IDENTITY)


def _listing(segment_id: str, q: str | None):
    """GET .../customers and POST .../customers/search share one listing."""
    paths = field_paths(service.CUSTOMER_KEYS)
    current_page = page()
    sort = order_by(request.args.get("sort"), service.CUSTOMER_FIELDS, g.tenant.default_language)
    own = own_view()
    segment = viewed_segment(segment_id, own)
    order = [*sort, CustomerAssignment.pk]
    stmt = service.customer_assignments_query(segment, q, own).order_by(None).order_by(*order)
    keys = service.customer_assignment_keys(segment, q, own, order)
    return keyed_list_response(stmt, keys, current_page, lambda row: _render(row, paths))


@bp.get(CUSTOMERS)
@requires(SCOPE_READ, SCOPE_READ_OWN)
def list_customer_assignments(segment_id: str):
    """Customer assignments of a segment (a customer token sees only its own)."""
    return _listing(segment_id, request.args.get("q"))


@bp.post(CUSTOMERS + "/search")
@requires(SCOPE_READ)
def search_customer_assignments(segment_id: str):
    return _listing(segment_id, search_body())


@bp.get(CUSTOMERS + "/<customer_id>")
@bp.get(CUSTOMERS + "/<customer_id>/<legal_entity_id>")
@requires(SCOPE_READ)
def get_customer_assignment(segment_id: str, customer_id: str, legal_entity_id: str | None = None):
    paths = field_paths(service.CUSTOMER_KEYS)
    segment = get_segment(g.tenant, segment_id)
    row = service.get_customer_assignment(segment, (customer_id, legal_entity_id))
    return jsonify(_render(row, paths))


@bp.put(CUSTOMERS + "/<customer_id>")
@bp.put(CUSTOMERS + "/<customer_id>/<legal_entity_id>")
@requires(SCOPE_MANAGE)
def put_customer_assignment(segment_id: str, customer_id: str, legal_entity_id: str | None = None):
    """Upsert: 201 when the assignment is new, 204 when it is replaced."""
    segment = get_segment(g.tenant, segment_id)
    body = optional_json_body()
    key = (customer_id, legal_entity_id)
    if not service.CustomerAssignments(g.tenant, segment, [key]).upsert(key, body):
        return "", 204
    location = url_for(
        "api.get_customer_assignment",
        segment_id=segment_id,
        customer_id=customer_id,
        legal_entity_id=legal_entity_id,
    )
    return "", 201, {"Location": location}


@bp.delete(CUSTOMERS + "/<customer_id>")
@bp.delete(CUSTOMERS + "/<customer_id>/<legal_entity_id>")
@requires(SCOPE_MANAGE)
def delete_customer_assignment(
    segment_id: str, customer_id: str, legal_entity_id: str | None = None
):
    segment = get_segment(g.tenant, segment_id)
    key = (customer_id, legal_entity_id)
    service.CustomerAssignments(g.tenant, segment, [key]).delete(key)
    return "", 204


def _bulk(segment_id: str) -> tuple[list, service.CustomerAssignments]:
    """The elements of a bulk request and the batch of the assignments they name."""
    segment = get_segment(g.tenant, segment_id)
    elements = bulk_elements()
    return elements, service.CustomerAssignments(
        g.tenant, segment, candidates(elements, service.element_key)
    )


@bp.put(CUSTOMERS + "/bulk")
@requires(SCOPE_MANAGE)
def upsert_customer_assignments_bulk(segment_id: str):
    """207: each {customerId, legalEntityId?, mixins?, metadata?} is upserted on its own."""
    elements, batch = _bulk(segment_id)
    return run_bulk_upserts(elements, batch, service.element_key, "CustomerAssignmentUpsertBulk")


@bp.delete(CUSTOMERS + "/bulk")
@requires(SCOPE_MANAGE)
def delete_customer_assignments_bulk(segment_id: str):
    """207: each {customerId, legalEntityId?} is removed on its own (404 when absent)."""
    elements, batch = _bulk(segment_id)
    return run_bulk_deletes(elements, batch, service.element_key)
