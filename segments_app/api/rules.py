"""/segments/{segmentId}/rule: a segment's rule, its preview and its evaluations."""

from __future__ import annotations

from flask import Response, g, jsonify, request, url_for

from ..auth.bearer import requires
from ..models.tenants import SCOPE_MANAGE, SCOPE_READ
from ..query.listing import parse_bool
from ..services.rules import service
from ..services.segments import get_segment
from . import bp
from .common import json_body

RULE = "/segments/<segment_id>/rule"


@bp.get(RULE)
@requires(SCOPE_READ)
def get_rule(segment_id: str) -> Response:
    """The segment's rule with its latest evaluation; 404 for a list segment."""
    segment = get_segment(g.tenant, segment_id)
    return jsonify(service.get_rule(segment))


@bp.put(RULE)
@requires(SCOPE_MANAGE)
def put_rule(segment_id: str) -> Response:
    """202 with the queued evaluation (poll its Location); 400 leaves the rule in force."""
    segment = get_segment(g.tenant, segment_id)
    evaluation = service.save_rule(g.tenant, segment, json_body())
    response = jsonify(service.evaluation_document(evaluation, segment.id))
    response.status_code = 202
    response.headers["Location"] = url_for(
        "api.get_rule_evaluation", segment_id=segment.id, evaluation_id=str(evaluation.pk)
    )
    return response


@bp.delete(RULE)
@requires(SCOPE_MANAGE)
def delete_rule(segment_id: str) -> tuple[str, int]:
    """The segment becomes a list: its automatic members leave, or stay as manual ones with
    keepMembers=true."""
    keep = parse_bool("keepMembers", request.args.get("keepMembers"))
    segment = get_segment(g.tenant, segment_id)
    service.remove_rule(g.tenant, segment, keep_members=keep)
    return "", 204


@bp.post(RULE + "/preview")
@requires(SCOPE_READ)
def preview_rule(segment_id: str) -> Response:
    """What the rule of the body would select; changes nothing."""
    segment = get_segment(g.tenant, segment_id)
    return jsonify(service.preview_document(service.preview(g.tenant, segment, json_body())))


@bp.get(RULE + "/evaluations/<evaluation_id>")
@requires(SCOPE_READ)
def get_rule_evaluation(segment_id: str, evaluation_id: str) -> Response:
    segment = get_segment(g.tenant, segment_id)
    evaluation = service.get_evaluation(g.tenant, segment, evaluation_id)
    return jsonify(service.evaluation_document(evaluation, segment.id))
