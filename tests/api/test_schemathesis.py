"""Schemathesis over every operation of the served OpenAPI document, on a live server.

Tenant acme has data for the generated requests to find: directory records, segments and
assignments under the ids of the contract's examples, which path parameters are also drawn
from. Every operation runs schemathesis' examples, coverage and fuzzing phases with the
default checks: no 5xx; statuses, content types, headers and bodies as documented; valid
requests accepted and invalid ones refused. On top of them, every error has the
conventions' body.

Where the contract is silent or says otherwise and docs/conventions.md decides, or where a
known deviation is reported rather than fixed, LEEWAY lifts one check for the operations and
the response statuses concerned, and says why.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from werkzeug.serving import make_server

from segments_app import create_app
from segments_app.openapi import HTTP_METHODS
from tests.apis import Api
from tests.factories import TENANT

pytestmark = [pytest.mark.e2e, pytest.mark.live]

#: fuzzing examples per operation, after the examples and coverage phases
MAX_EXAMPLES = 8
API_BASE = "/customer-segment/{tenant}"

# Read from the app's own /openapi.json at collection: schemathesis' fixture loader, which
# could read it from the live server, sets `node._nodeid`, which pytest 9 no longer has.
_DOCUMENT_APP = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "doc-only"})
DOCUMENT = _DOCUMENT_APP.test_client().get("/openapi.json").get_json()

SEGMENTS = ("628cd20c6e8b2432b6346ca6", "S1234", "S2456")
LEGAL_ENTITIES = ("660af2af69babe3cf6e40771", "628cd20c6e8b2432b6346ca6")
CUSTOMERS = ("98029737", "18249883")
PRODUCTS = ("12468504", "12849186", "p1234", "p2345")

CONFIG = schemathesis.Config.from_dict(
    {
        "parameters": {
            "tenant": TENANT,
            "path.segmentId": {"dictionary": "segments", "probability": 0.7},
            "path.customerId": {"dictionary": "customers", "probability": 0.7},
            "path.legalEntityId": {"dictionary": "legal-entities", "probability": 0.7},
            "path.type": {"dictionary": "item-types", "probability": 0.8},
            "path.itemId": {"dictionary": "items", "probability": 0.7},
        },
        "dictionaries": {
            "segments": {"values": list(SEGMENTS)},
            "customers": {"values": list(CUSTOMERS)},
            "legal-entities": {"values": list(LEGAL_ENTITIES)},
            "item-types": {"values": ["PRODUCT", "CATEGORY"]},
            "items": {"values": [*PRODUCTS, "shoes", "boots"]},
        },
        "generation": {"max-examples": MAX_EXAMPLES},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
#: one connection pool for the run: a new connection per request doubles the run's time
SESSION = requests.Session()


# -- where the conventions decide, and known deviations -----------------------------------------

Op = tuple[str, str]  # (method, path as the document writes it)


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        target = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations() -> Iterator[tuple[Op, dict, set[str]]]:
    """(op, operation, names of its parameters) for every operation of the document."""
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                params = item.get("parameters", []) + operation.get("parameters", [])
                names = {_resolve(param)["name"] for param in params}
                yield (method.upper(), path), operation, names


def ops(predicate: Callable[[str, str, dict, set[str]], bool]) -> frozenset[Op]:
    """The operations for which predicate(method, path, operation, parameter names) holds."""
    found = frozenset(
        op for op, operation, names in _operations() if predicate(*op, operation, names)
    )
    assert found, "this selection names no operation of the document"
    return found


def _shadowed(path: str) -> bool:
    """Whether another path has a parameter where `path` has a literal (/segments/bulk and
    /segments/{segmentId})."""
    parts = path.split("/")
    for other in DOCUMENT["paths"]:
        theirs = other.split("/")
        if other != path and len(theirs) == len(parts):
            pairs = zip(parts, theirs, strict=True)
            if all(mine == their or their.startswith("{") for mine, their in pairs):
                return True
    return False


def _body_types(operation: dict) -> list[str]:
    body = operation.get("requestBody")
    return list(_resolve(body)["content"]) if body else []


def _directory_put(method: str, path: str) -> bool:
    return method == "PUT" and path.startswith(API_BASE + "/directory/")


_SEGMENT_BODIES = {"/segments", "/segments/{segmentId}", "/segments/match"}

LISTINGS = ops(lambda m, p, o, names: bool(names & {"q", "pageSize", "sort", "fields"}))
TOTALS = ops(lambda m, p, o, names: "X-Total-Count" in names)
CUSTOMER_FILTER = ops(lambda m, p, o, names: "customerId" in names)
FORCE_DELETE = ops(lambda m, p, o, names: "forceDelete" in names)
UNDER_A_SEGMENT = ops(lambda m, p, o, names: "{segmentId}" in p and "404" not in o["responses"])
BODIES = ops(lambda m, p, o, names: "requestBody" in o)
BULK = ops(lambda m, p, o, names: p.endswith("/bulk") or _directory_put(m, p))
BULK_DELETES = ops(lambda m, p, o, names: m == "DELETE" and p.endswith("/bulk"))
ITEM_TYPE = ops(lambda m, p, o, names: "{type}" in p)
ASSIGNMENT_PUTS = ops(lambda m, p, o, names: m == "PUT" and ("/customers/" in p or "/items/" in p))
LANGUAGE_WRITES = ops(lambda m, p, o, names: "Content-Language" in names or _directory_put(m, p))
SEGMENT_WRITES = ops(
    lambda m, p, o, names: m in {"POST", "PUT"} and p.removeprefix(API_BASE) in _SEGMENT_BODIES
)
PATCHES = ops(lambda m, p, o, names: m == "PATCH")
UPLOADS = ops(
    lambda m, p, o, names: bool({"text/csv", "multipart/form-data"} & set(_body_types(o)))
)
SHADOWED = ops(lambda m, p, o, names: _shadowed(p))
RULE_WRITES = ops(lambda m, p, o, names: m in {"PUT", "POST"} and p.endswith(("/rule", "/preview")))


@dataclass(frozen=True)
class Leeway:
    check: str
    statuses: frozenset[int]
    operations: frozenset[Op]
    why: str


def leeway(check: str, statuses: set[int] | None, operations: frozenset[Op], why: str):
    getattr(checks, check)  # a misspelt check would otherwise lift nothing
    every = frozenset(range(100, 600))
    return Leeway(check, frozenset(statuses) if statuses else every, operations, why)


PAGING = (
    "conventions 'paging', 'sort / fields', 'q': a page number or size that is not a whole "
    "number in range, an unknown sort or fields name, a q that does not parse, an X-Total-Count "
    "other than true or false is 400; the contract types them as free strings and documents no "
    "400 for most reads"
)
REFERENCE = (
    "conventions 'reference data': a customer, legal entity, product or category the directory "
    "does not know is 400 (customerId of GET /segments included)"
)
LEEWAY = (
    leeway("status_code_conformance", {400}, LISTINGS | TOTALS, PAGING),
    leeway("positive_data_acceptance", {400}, LISTINGS, PAGING),
    leeway("status_code_conformance", {400}, CUSTOMER_FILTER, REFERENCE),
    leeway("positive_data_acceptance", {400}, CUSTOMER_FILTER | ASSIGNMENT_PUTS, REFERENCE),
    leeway(
        "negative_data_rejection",
        {200},
        TOTALS,
        "conventions 'paging': X-Total-Count: true asks for the total; an empty header, which "
        "schemathesis sends for null, asks for nothing",
    ),
    *(
        leeway(
            check,
            {400},
            FORCE_DELETE,
            "conventions 'delete': a segment with assignments needs forceDelete=true, else 400; "
            "forceDelete other than true or false is 400; the contract documents no 400",
        )
        for check in ("status_code_conformance", "positive_data_acceptance")
    ),
    leeway(
        "status_code_conformance",
        {404},
        UNDER_A_SEGMENT,
        "conventions 'PATCH', 'delete': an unknown segment is 404, and so are the assignments "
        "under it; the contract documents no 404 for these",
    ),
    leeway(
        "response_schema_conformance",
        {400},
        BODIES,
        "conventions 'errors': details is a list of {field, type, message}; the contract's "
        "Error.details is a single object",
    ),
    leeway(
        "negative_data_rejection",
        {207},
        BULK,
        "conventions 'bulk': each element succeeds or fails on its own inside the 207, so an "
        "invalid element does not make the request a 400",
    ),
    leeway(
        "positive_data_acceptance",
        {400},
        BULK_DELETES,
        "conventions 'bulk': a bulk delete names its ids in the body; the contract declares no "
        "request body, so schemathesis sends none",
    ),
    *(
        leeway(
            check,
            {400},
            ITEM_TYPE,
            "conventions' reference ([CS]): an item assignment's type is PRODUCT or CATEGORY "
            "(any case); the contract types {type} as a free string",
        )
        for check in ("status_code_conformance", "positive_data_acceptance")
    ),
    leeway(
        "positive_data_acceptance",
        {400},
        LANGUAGE_WRITES,
        "conventions 'localization': Content-Language names one of the tenant's languages or "
        "*; the contract types it as a free string",
    ),
    leeway(
        "positive_data_acceptance",
        {400},
        SEGMENT_WRITES,
        "conventions 'ids' and the reference's 'name and siteCode required': an empty id, name, "
        "siteCode or site, or an id no path could carry, is 400",
    ),
    leeway(
        "positive_data_acceptance",
        {400},
        PATCHES,
        "conventions 'PATCH': a patch that cannot be applied, or whose result is invalid, is 400",
    ),
    leeway(
        "positive_data_acceptance",
        {400},
        UPLOADS,
        "reported: a member list must be text in its encoding, with a customer column; the "
        "document types the file as any string or bytes",
    ),
    leeway(
        "positive_data_acceptance",
        {400},
        RULE_WRITES,
        "a rule's fields, operators and values are checked against the tenant's attribute keys "
        "and segments (400 pointing into the rule); the document types the tree as any object",
    ),
    leeway(
        "allow_header_conformance",
        None,
        SHADOWED,
        "reported: methods a literal path (/segments/bulk) does not define reach the "
        "{segmentId} rule beside it, so OPTIONS lists them",
    ),
)


#: optional members of a request document where null means absent (services/documents.py
#: drop_nulls): generated SDKs send null for what they leave unset, and a drop-in must take it
NULL_MEANS_ABSENT = frozenset({"description", "validity", "mixins", "metadata", "status"})


def _sends_null_for_absent(body: object) -> bool:
    documents = body if isinstance(body, list) else [body]
    return any(
        isinstance(doc, dict) and any(doc.get(key, ...) is None for key in NULL_MEANS_ABSENT)
        for doc in documents
    )


def lifted(case, status: int) -> list:
    """The checks LEEWAY lifts for this case's operation and this response status."""
    op = (case.operation.method.upper(), case.operation.path)
    names = {lw.check for lw in LEEWAY if op in lw.operations and status in lw.statuses}
    if status < 300 and _sends_null_for_absent(getattr(case, "body", None)):
        names.add("negative_data_rejection")
    return [getattr(checks, name) for name in sorted(names)]


# -- the run -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(app) -> Iterator[str]:
    """The app on 127.0.0.1 for the whole module (as conftest's live_server, whose shutdown
    waits up to half a second: per operation that would cost more than the requests)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def _seed(api: Api) -> None:
    """Directory records, segments and assignments under the ids of the contract's examples."""
    directory = {
        "legal-entities": [{"id": e, "name": f"Entity {e}"} for e in LEGAL_ENTITIES],
        "customers": [
            {"id": c, "email": f"{c}@example.com", "legalEntityIds": [e]}
            for c, e in zip(CUSTOMERS, LEGAL_ENTITIES, strict=True)
        ],
        # Every category has a code: CategoryTreeResponse requires one and the directory does
        # not (reported).
        "categories": [
            {"id": "shoes", "code": "SHOES", "name": {"en": "Shoes", "de": "Schuhe"}},
            {"id": "boots", "code": "BOOTS", "parentId": "shoes", "name": {"en": "Boots"}},
        ],
        "products": [
            {"id": p, "code": p.upper(), "name": {"en": f"Product {p}"}, "categoryIds": ["boots"]}
            for p in PRODUCTS
        ],
    }
    for collection, records in directory.items():
        response = api.put(f"/directory/{collection}", json=records)
        assert [e["code"] for e in response.get_json()] == [201] * len(records)
    for segment_id in SEGMENTS:
        body = {
            "id": segment_id,
            "name": {"en": segment_id},
            "siteCode": "main",
            "status": "ACTIVE",
        }
        assert api.post("/segments", json=body).status_code == 201
    first, second, _ = SEGMENTS
    mixins = {"mixins": {"segmentAttributes": {"membershipStatus": "PREMIUM"}}}
    for path in (
        f"/segments/{first}/customers/{CUSTOMERS[0]}",
        f"/segments/{first}/customers/{CUSTOMERS[1]}/{LEGAL_ENTITIES[1]}",
        f"/segments/{first}/items/PRODUCT/{PRODUCTS[0]}",
        f"/segments/{first}/items/CATEGORY/shoes",
        f"/segments/{second}/items/PRODUCT/{PRODUCTS[2]}",
    ):
        assert api.put(path, json=mixins).status_code == 201, path


@pytest.fixture
def target(server, api, make_token) -> tuple[str, dict[str, str]]:
    """(base URL, headers): tenant acme seeded, and a bearer token with manage and read."""
    _seed(api)
    return server, {"Authorization": f"Bearer {make_token()}"}


def _assert_error_body(case, response) -> None:
    """API errors carry the conventions' body; a 401 also says how to authenticate."""
    if response.status_code < 400 or not case.operation.path.startswith(API_BASE):
        return
    assert response.headers["content-type"] == ["application/json"], response.text[:300]
    body = response.json()
    assert body["code"] == response.status_code, body
    assert body["status"] == HTTPStatus(response.status_code).phrase, body
    assert isinstance(body["message"], str) and body["message"], body
    if response.status_code == 401:
        assert response.headers["www-authenticate"][0].startswith("Bearer")


@schema.parametrize()
@settings(
    # CI's profile on every run (tests/hypotheses.py): the loaded profile's max_examples also
    # decides which cases schemathesis draws, so the everyday one would test other cases
    settings.get_profile("ci"),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # the same cases on every run, so CI is repeatable; SCHEMATHESIS_EXPLORE=1 draws new ones
    derandomize=not os.environ.get("SCHEMATHESIS_EXPLORE"),
)
def test_the_api_keeps_to_its_document(case, target):
    base, headers = target
    response = case.call(base_url=base, headers=headers, session=SESSION)
    case.validate_response(
        response, headers=headers, excluded_checks=lifted(case, response.status_code)
    )
    _assert_error_body(case, response)
