"""/directory: the tenant's customers, legal entities, categories and products (reference data)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request

from ..auth.bearer import requires
from ..errors import BadRequest
from ..extensions import db
from ..models.rules import ATTRIBUTE_OWNERS
from ..models.tenants import SCOPE_MANAGE, SCOPE_READ
from ..query.i18n import LanguagePrefs
from ..query.listing import order_by, parse_bool, project, read_page
from ..services import directory as service
from ..services.attributes import attribute_keys
from . import bp
from .common import (
    body_language,
    field_paths,
    json_array_body,
    languages,
    list_response,
    page,
    wants_total,
)

COLLECTION = "<any(" + ", ".join(f"'{name}'" for name in service.COLLECTIONS) + "):collection>"


def _render(
    kind: service.DirectoryKind, record: Any, prefs: LanguagePrefs, paths: list[str] | None
) -> dict:
    doc = kind.document(record)
    for key in kind.localized:
        if key in doc:
            doc[key] = prefs.pick(doc[key])
    return project(doc, paths)


def _records_body() -> list:
    return json_array_body(
        "The body must be a JSON array of records.",
        "DIRECTORY_BULK_LIMIT",
        "A request takes at most {limit} records; this one has {count}.",
    )


@bp.get("/directory/attributes")
@requires(SCOPE_READ)
def list_attribute_keys() -> Response:
    """The attribute keys of the tenant's customers and legal entities, with type and examples."""
    owner = request.args.get("owner")
    if owner is not None and owner not in ATTRIBUTE_OWNERS:
        raise BadRequest(f"owner must be one of {', '.join(ATTRIBUTE_OWNERS)}; got '{owner}'.")
    keys = attribute_keys(g.tenant.id, owner)
    return jsonify([key.document() for key in keys])


@bp.get(f"/directory/{COLLECTION}")
@requires(SCOPE_READ)
def list_directory_records(collection: str) -> Response:
    """One page of the tenant's records of a kind, filtered with `q` and ordered with `sort`."""
    kind = service.COLLECTIONS[collection]
    prefs = languages()
    paths = field_paths(kind.keys)
    current_page = page()
    stmt = service.records_query(g.tenant, kind, request.args.get("q"))
    sort = order_by(request.args.get("sort"), kind.fields, prefs.first)
    if sort:
        stmt = stmt.order_by(None).order_by(*sort, kind.model.pk)
    paged = read_page(db.session, stmt, current_page, count=wants_total())
    return list_response([_render(kind, row[0], prefs, paths) for row in paged.rows], paged.total)


@bp.get(f"/directory/{COLLECTION}/<record_id>")
@requires(SCOPE_READ)
def get_directory_record(collection: str, record_id: str) -> Response:
    """One record by its id."""
    kind = service.COLLECTIONS[collection]
    prefs = languages()
    paths = field_paths(kind.keys)
    record = service.get_record(g.tenant, kind, record_id)
    return jsonify(_render(kind, record, prefs, paths))


@bp.put(f"/directory/{COLLECTION}")
@requires(SCOPE_MANAGE)
def put_directory_records(collection: str) -> Response:
    """Create or replace up to DIRECTORY_BULK_LIMIT records; 207 with one entry per record."""
    kind = service.COLLECTIONS[collection]
    results = service.upsert_records(g.tenant, kind.name, _records_body(), body_language())
    entries = []
    for result in results:
        entry: dict[str, Any] = {"index": result.position}
        if result.id is not None:
            entry["id"] = result.id
        entry["code"] = result.status
        entry["status"] = result.status_text
        if result.error is not None:
            entry["message"] = result.message
            if result.error.details:
                entry["details"] = result.error.details
        entries.append(entry)
    response = jsonify(entries)
    response.status_code = 207
    return response


@bp.delete(f"/directory/{COLLECTION}/<record_id>")
@requires(SCOPE_MANAGE)
def delete_directory_record(collection: str, record_id: str) -> tuple[str, int]:
    """Delete a record; with forceDelete=true also the segment assignments that name it."""
    kind = service.COLLECTIONS[collection]
    force = parse_bool("forceDelete", request.args.get("forceDelete"))
    service.delete_record(g.tenant, kind.name, record_id, force)
    return "", 204
