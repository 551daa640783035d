"""/segments/items and /segments/{segmentId}/items: the products and categories of segments."""

from __future__ import annotations

from collections.abc import Callable

from flask import g, jsonify, request, url_for

from ..auth.bearer import requires
from ..models import ItemAssignment
from ..models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from ..query.listing import order_by, parse_bool, project
from ..services.assignments import items as service
from ..services.assignments.common import candidates
from ..services.segments import get_segment
from . import bp
from .common import (
    bulk_elements,
    field_paths,
    keyed_list_response,
    languages,
    optional_json_body,
    own_view,
    page,
    run_bulk_deletes,
    run_bulk_upserts,
    search_body,
    viewed_segment,
)

READ = (SCOPE_READ, SCOPE_READ_OWN)
ITEMS = "/segments/<segment_id>/items"


def _render(row, prefs, paths) -> dict:
    doc = service.item_assignment_document(row)
    doc["item"]["name"] = prefs.pick(doc["item"]["name"])
    return project(doc, paths, always=service.ITEM_IDENTITY)


def _listing(q: str | None, **filters):
    prefs = languages()
    paths = field_paths(service.ITEM_KEYS)
    current_page = page()
    sort = order_by(request.args.get("sort"), service.ITEM_FIELDS, prefs.first)
    order = [*sort, ItemAssignment.pk]
    stmt, keys = service.item_assignments_listing(g.tenant, q, order=order, **filters)
    return keyed_list_response(stmt, keys, current_page, lambda row: _render(row, prefs, paths))


@bp.get("/segments/items")
@requires(*READ)
def list_all_item_assignments():
    """Item assignments of every segment; a customer token sees its effective segments' only."""
    own = own_view()
    site_code = request.args.get("siteCode") or None
    only_active = parse_bool("onlyActive", request.args.get("onlyActive"))
    return _listing(
        request.args.get("q"),
        site_code=site_code,
        only_effective=only_active or own is not None,
        own=own,
    )


@bp.get(ITEMS)
@requires(*READ)
def list_item_assignments(segment_id: str):
    own = own_view()
    segment = viewed_segment(segment_id, own)
    return _listing(request.args.get("q"), segment=segment)


@bp.post(ITEMS + "/search")
@requires(*READ)
def search_item_assignments(segment_id: str):
    own = own_view()
    segment = viewed_segment(segment_id, own)
    return _listing(search_body(), segment=segment)


@bp.get(ITEMS + "/<item_type>/<item_id>")
@requires(*READ)
def get_item_assignment(segment_id: str, item_type: str, item_id: str):
    kind = service.item_type(item_type)
    prefs = languages()
    paths = field_paths(service.ITEM_KEYS)
    segment = viewed_segment(segment_id, own_view())
    row = service.get_item_assignment(g.tenant, segment, kind, item_id)
    return jsonify(_render(row, prefs, paths))


@bp.put(ITEMS + "/<item_type>/<item_id>")
@requires(SCOPE_MANAGE)
def put_item_assignment(segment_id: str, item_type: str, item_id: str):
    """Upsert: 201 when the assignment is new, 204 when it is replaced."""
    kind = service.item_type(item_type)
    segment = get_segment(g.tenant, segment_id)
    body = optional_json_body()
    if not service.ItemAssignments(g.tenant, segment, kind, [item_id]).upsert(item_id, body):
        return "", 204
    location = url_for(
        "api.get_item_assignment", segment_id=segment_id, item_type=kind, item_id=item_id
    )
    return "", 201, {"Location": location}


@bp.delete(ITEMS + "/<item_type>/<item_id>")
@requires(SCOPE_MANAGE)
def delete_item_assignment(segment_id: str, item_type: str, item_id: str):
    kind = service.item_type(item_type)
    segment = get_segment(g.tenant, segment_id)
    service.ItemAssignments(g.tenant, segment, kind, [item_id]).delete(item_id)
    return "", 204


def _bulk(
    segment_id: str, item_type: str, read: Callable[[object], str]
) -> tuple[list, service.ItemAssignments]:
    """The elements of a bulk request and the batch of the assignments that `read` finds in
    them."""
    kind = service.item_type(item_type)
    segment = get_segment(g.tenant, segment_id)
    elements = bulk_elements()
    ids = candidates(elements, read)
    return elements, service.ItemAssignments(g.tenant, segment, kind, ids)


@bp.put(ITEMS + "/<item_type>/bulk")
@requires(SCOPE_MANAGE)
def upsert_item_assignments_bulk(segment_id: str, item_type: str):
    """207: each {id, mixins?, metadata?} is upserted on its own."""
    elements, batch = _bulk(segment_id, item_type, service.element_id)
    return run_bulk_upserts(elements, batch, service.element_id, "ItemAssignmentUpsertBulk")


@bp.delete(ITEMS + "/<item_type>/bulk")
@requires(SCOPE_MANAGE)
def delete_item_assignments_bulk(segment_id: str, item_type: str):
    """207: each item id is removed on its own (404 when it is not assigned)."""
    elements, batch = _bulk(segment_id, item_type, service.deleted_id)
    return run_bulk_deletes(elements, batch, service.deleted_id)
