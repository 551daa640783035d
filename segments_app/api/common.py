"""Request parsing and response shaping shared by every API resource."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any, cast

from flask import Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import AppError, BadRequest
from ..extensions import db
from ..limits import JSON_MAX_DEPTH, json_too_deep
from ..query.i18n import LanguagePrefs, content_language, parse_accept_language
from ..query.listing import Page, page_by_key, parse_bool, parse_fields, parse_page, read_page
from ..services.assignments import customer_view, own_segment
from ..services.segments import get_segment

#: the contract's examples report a successful update or delete in bulk as 204 "OK"
BULK_STATUS_TEXT = {204: "OK"}


def raw_body() -> bytes:
    """The request body, read only up to API_JSON_MAX_BYTES (413 beyond that).

    A Content-Length above the limit is refused before anything is read; a body without one
    (chunked) is read one byte past the limit at most, which tells that it is too large.
    """
    limit = current_app.config["API_JSON_MAX_BYTES"]
    request.max_content_length = limit + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raw = None
    if raw is None or len(raw) > limit:
        raise AppError(
            f"The request body is larger than {limit:,} bytes, the most a JSON request may have.",
            status=413,
        )
    return raw


def has_body() -> bool:
    return bool(raw_body().strip())


def json_body() -> Any:
    """The request body parsed as JSON, whatever Content-Type the client sent."""
    raw = raw_body()
    if not raw.strip():
        raise BadRequest("The request body is empty; a JSON document is expected.")
    if json_too_deep(raw):
        raise BadRequest(
            f"The request body nests arrays and objects more than {JSON_MAX_DEPTH} levels deep."
        )
    try:
        return _parse(raw)
    except UnicodeDecodeError:
        raise BadRequest("The request body is not UTF-8 encoded JSON.") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}."
        ) from None


def _parse(raw: bytes) -> Any:
    """json.loads with the cyclic garbage collector paused: a body of a million small arrays
    otherwise sets off collection after collection over objects that all survive."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(raw)
    finally:
        if collecting:
            gc.enable()


def optional_json_body() -> object:
    """A body the contract makes optional: no body reads as an empty object."""
    return json_body() if has_body() else {}


def search_body() -> str | None:
    """The `q` of a POST .../search body ({"q": "..."}; an empty body means no filter)."""
    if not has_body():
        return None
    body = json_body()
    if not isinstance(body, dict):
        raise BadRequest('The search body must be an object such as {"q": "siteCode:main"}.')
    q = body.get("q")
    if q is not None and not isinstance(q, str):
        raise BadRequest("q must be a string.")
    return q


def languages() -> LanguagePrefs:
    return parse_accept_language(request.headers.get("Accept-Language"), g.tenant.default_language)


def body_language() -> str | None:
    return content_language(request.headers.get("Content-Language"))


def page() -> Page:
    return parse_page(
        request.args.get("pageNumber"),
        request.args.get("pageSize"),
        current_app.config["PAGE_SIZE_DEFAULT"],
        current_app.config["PAGE_SIZE_MAX"],
    )


def wants_total() -> bool:
    return parse_bool("X-Total-Count", request.headers.get("X-Total-Count"))


def field_paths(known: Sequence[str]) -> list[str] | None:
    return parse_fields(request.args.get("fields"), known)


def list_response(items: list, total: int | None) -> Response:
    return _with_total(jsonify(items), total)


def keyed_list_response(
    stmt: Any, keys: Any, current_page: Page, render: Callable[[Any], dict]
) -> Response:
    """`current_page` of the rows of `stmt`, paged by `keys` (query.listing.page_by_key), each
    rendered with `render`."""
    paged = read_page(db.session, page_by_key(stmt, keys), current_page, count=wants_total())
    return list_response([render(row) for row in paged.rows], paged.total)


def own_view() -> Any:
    """For a customer token, the assignments it acts under (services.assignments.customer_view,
    with the `legalEntityId` it names); None for any other caller."""
    if not g.caller.is_customer:
        return None
    return customer_view(g.caller.customer, request.args.get("legalEntityId"))


def viewed_segment(segment_id: str, own: Any) -> Any:
    """The path's segment; under a customer's view `own`, only one of its effective segments."""
    if own is not None:
        return own_segment(g.tenant, segment_id, own)
    return get_segment(g.tenant, segment_id)


def _with_total(response: Response, total: int | None) -> Response:
    if total is not None:
        response.headers["X-Total-Count"] = str(total)
    return response


def json_texts_response(
    texts: Sequence[str], total: int | None, shape: Callable[[dict], dict] | None = None
) -> Response:
    """A JSON array of documents that the database wrote as text (see query.jsonout).

    Without `shape` the texts go out as they are; with it each is decoded, shaped (languages
    picked, fields kept) and encoded again.
    """
    if shape is not None:
        return list_response([shape(json.loads(text)) for text in texts], total)
    body = "[" + ",".join(texts) + "]\n"
    return _with_total(current_app.response_class(body, mimetype=_json_mimetype()), total)


def _json_mimetype() -> str:
    # create_app keeps Flask's default provider, the one that has a mimetype
    return cast(DefaultJSONProvider, current_app.json).mimetype


def json_text_response(text: str, shape: Callable[[dict], dict] | None = None) -> Response:
    """One document written by the database as JSON text; `shape` as for json_texts_response."""
    if shape is None:
        return current_app.response_class(text + "\n", mimetype=_json_mimetype())
    return jsonify(shape(json.loads(text)))


def bulk_elements() -> list:
    return json_array_body(
        "The body of a bulk request must be a JSON array.",
        "BULK_LIMIT",
        "A bulk request takes at most {limit} elements; this one has {count}.",
    )


def json_array_body(not_array: str, limit_setting: str, too_many: str) -> list:
    """The JSON body, an array of at most config[limit_setting] entries; else 400 with the
    message `not_array`, or `too_many` filled in with the limit and the count."""
    body = json_body()
    if not isinstance(body, list):
        raise BadRequest(not_array)
    limit = current_app.config[limit_setting]
    if len(body) > limit:
        raise BadRequest(too_many.format(limit=limit, count=len(body)))
    return body


def run_bulk(
    elements: list, handle: Callable[[Any], tuple[int, str | None]], with_id: bool
) -> Response:
    """207 with one entry per element, in request order; each element commits or fails alone.

    `handle` returns (status code, id) for an element; an AppError fails only that element.
    """
    results = []
    for index, element in enumerate(elements):
        entry: dict[str, Any] = {"index": index}
        savepoint = db.session.begin_nested()
        try:
            code, resource_id = handle(element)
            savepoint.commit()
        except AppError as exc:
            savepoint.rollback()
            code, resource_id = exc.status, exc.resource_id
            entry["message"] = _message(exc)
        if with_id and resource_id is not None:
            entry["id"] = resource_id
        entry["code"] = code
        entry["status"] = BULK_STATUS_TEXT.get(code, HTTPStatus(code).phrase)
        results.append(_ordered(entry))
    response = jsonify(results)
    response.status_code = 207
    return response


def run_bulk_upserts(
    elements: list, batch: Any, key_of: Callable[[Any], Any], schema: str
) -> Response:
    """run_bulk of `batch.upsert` on each element, under the key that `key_of` reads from it:
    201 when that creates the assignment, 204 when it replaces one."""

    def upsert(element: Any) -> tuple[int, str | None]:
        created = batch.upsert(key_of(element), element, schema=schema)
        return (201 if created else 204), None

    return run_bulk(elements, upsert, with_id=False)


def run_bulk_deletes(elements: list, batch: Any, key_of: Callable[[Any], Any]) -> Response:
    """run_bulk of `batch.delete` on each element, under the key that `key_of` reads from it:
    204, or the error of that element alone (404 when it is not assigned)."""

    def delete(element: Any) -> tuple[int, str | None]:
        batch.delete(key_of(element))
        return 204, None

    return run_bulk(elements, delete, with_id=False)


def _message(exc: AppError) -> str:
    if exc.details:
        return exc.message + " " + " ".join(d["message"] for d in exc.details)
    return exc.message


def _ordered(entry: dict) -> dict:
    keys = ("index", "id", "code", "status", "message")
    return {k: entry[k] for k in keys if k in entry}
