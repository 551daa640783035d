"""/segments: the segment operations of the contract."""

from __future__ import annotations

from flask import g, jsonify, request, url_for

from ..auth.bearer import requires
from ..errors import BadRequest, Forbidden
from ..extensions import db
from ..models import Customer, LegalEntity
from ..models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from ..query.listing import parse_bool, project, read_page
from ..services import segments as service
from ..services.assignments import customer_view, membership
from ..services.directory import find_record
from ..services.segment_document import LOCALIZED_FIELDS, SEGMENT_KEYS
from ..services.segment_listing import (
    own_segment_json,
    segment_json,
    segment_listing,
    segment_texts,
)
from . import bp
from .common import (
    body_language,
    bulk_elements,
    field_paths,
    json_body,
    json_text_response,
    json_texts_response,
    languages,
    page,
    run_bulk,
    search_body,
    wants_total,
)

READ = (SCOPE_READ, SCOPE_READ_OWN)


def _shaper(prefs, paths):
    """How a stored segment document becomes the answer: None when it goes out as it is."""
    if prefs.full_maps and paths is None:
        return None

    def shape(doc: dict) -> dict:
        for key in LOCALIZED_FIELDS:
            if key in doc:
                doc[key] = prefs.pick(doc[key])
        return project(doc, paths)

    return shape


def _listing(q: str | None):
    """GET /segments and POST /segments/search share one listing."""
    caller = g.caller
    customer_id = request.args.get("customerId")
    legal_entity_id = request.args.get("legalEntityId")
    prefs = languages()
    paths = field_paths(SEGMENT_KEYS)
    current_page = page()
    filters: dict = {}
    if caller.is_customer:
        if customer_id is not None:
            raise Forbidden(
                "customerId can only be used with the customersegment.segment_read scope."
            )
        filters = {
            "membership": customer_view(caller.customer, legal_entity_id),
            "only_effective": True,
        }
    elif customer_id is not None:
        if not customer_id:
            raise BadRequest("customerId must not be empty.")
        customer = find_record(Customer, g.tenant, customer_id)
        if customer is None:
            raise BadRequest(f"Customer {customer_id} is not in this tenant's directory.")
        entity = None
        if legal_entity_id:
            entity = find_record(LegalEntity, g.tenant, legal_entity_id)
            if entity is None:
                raise BadRequest(
                    f"Legal entity {legal_entity_id} is not in this tenant's directory."
                )
        filters["membership"] = membership(customer.pk, entity.pk if entity else None)
    elif legal_entity_id is not None:
        raise BadRequest("legalEntityId narrows customerId: send customerId as well.")
    built, params = segment_listing(g.tenant, q, request.args.get("sort"), prefs.first, **filters)
    conn = db.session.connection()
    paged = read_page(conn, built, current_page, count=wants_total(), params=params)
    return json_texts_response(segment_texts(conn, paged.rows), paged.total, _shaper(prefs, paths))


@bp.get("/segments")
@requires(*READ)
def list_segments():
    """Segments of the tenant (a customer token sees only its own effective segments)."""
    return _listing(request.args.get("q"))


@bp.post("/segments/search")
@requires(*READ)
def search_segments():
    return _listing(search_body())


@bp.post("/segments")
@requires(SCOPE_MANAGE)
def create_segment():
    segment = service.create_segment(g.tenant, json_body(), body_language())
    response = jsonify(id=segment.id)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_segment", segment_id=segment.id)
    return response


@bp.get("/segments/<segment_id>")
@requires(*READ)
def get_segment(segment_id: str):
    caller = g.caller
    prefs = languages()
    paths = field_paths(SEGMENT_KEYS)
    if caller.is_customer:
        own = customer_view(caller.customer, request.args.get("legalEntityId"))
        text = own_segment_json(g.tenant, own, segment_id)
    else:
        text = segment_json(g.tenant, segment_id)
    return json_text_response(text, _shaper(prefs, paths))


@bp.put("/segments/<segment_id>")
@requires(SCOPE_MANAGE)
def put_segment(segment_id: str):
    segment, created = service.upsert_segment(g.tenant, segment_id, json_body(), body_language())
    if created:
        return jsonify(id=segment.id), 201
    return "", 204


@bp.patch("/segments/<segment_id>")
@requires(SCOPE_MANAGE)
def patch_segment(segment_id: str):
    service.patch_segment(g.tenant, segment_id, json_body(), body_language())
    return "", 204


@bp.delete("/segments/<segment_id>")
@requires(SCOPE_MANAGE)
def delete_segment(segment_id: str):
    force = parse_bool("forceDelete", request.args.get("forceDelete"))
    service.delete_segment(g.tenant, segment_id, force)
    return "", 204


@bp.post("/segments/bulk")
@requires(SCOPE_MANAGE)
def create_segments_bulk():
    lang = body_language()

    def create(element):
        segment = service.create_segment(g.tenant, element, lang)
        return 201, segment.id

    return run_bulk(bulk_elements(), create, with_id=True)


@bp.put("/segments/bulk")
@requires(SCOPE_MANAGE)
def upsert_segments_bulk():
    lang = body_language()

    def upsert(element):
        if isinstance(element, dict) and not element.get("id"):
            segment = service.create_segment(g.tenant, element, lang)
            return 201, segment.id
        segment_id = element.get("id") if isinstance(element, dict) else None
        segment, created = service.upsert_segment(
            g.tenant, segment_id, element, lang, schema="SegmentUpdateBulk"
        )
        return (201 if created else 204), segment.id

    return run_bulk(bulk_elements(), upsert, with_id=True)


@bp.delete("/segments/bulk")
@requires(SCOPE_MANAGE)
def delete_segments_bulk():
    force = parse_bool("forceDelete", request.args.get("forceDelete"))
    elements = bulk_elements()

    def remove(element):
        if not isinstance(element, str) or not element:
            raise BadRequest("Each element must be a segment id (a non-empty string).")
        service.delete_segment(g.tenant, element, force)
        return 204, element

    return run_bulk(elements, remove, with_id=True)
