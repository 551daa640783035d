"""/segments/items/category-trees and /segments/match: what a storefront asks of segments."""

from __future__ import annotations

from flask import g, jsonify, request

from ..auth.bearer import requires
from ..models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from ..services import storefront as service
from ..services.assignments import customer_view, own_segment_pks
from . import bp
from .common import json_body, json_text_response, languages


@bp.get("/segments/items/category-trees")
@requires(SCOPE_READ, SCOPE_READ_OWN)
def category_trees():
    """Trees of the categories assigned to effective segments: a customer token's own
    segments, or every segment of the tenant for a service token."""
    prefs = languages()
    site_code = request.args.get("siteCode") or None
    caller = g.caller
    if caller.is_customer:
        own = customer_view(caller.customer, request.args.get("legalEntityId"))
        segment_pks = own_segment_pks(g.tenant, own, site_code)
    else:
        segment_pks = service.effective_segment_pks(g.tenant, site_code)
    return json_text_response(service.category_trees_json(g.tenant, segment_pks, prefs))


@bp.post("/segments/match")
@requires(SCOPE_MANAGE)
def match_items():
    """Which of the given products the given effective segments of a site show."""
    return jsonify(service.match(g.tenant, json_body()))
