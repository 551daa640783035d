"""The contract walk: every walked operation, given the records it needs (a recipe) and the
contract's example body, answers each success status the contract documents for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.contract_support import API_BASE, CONTRACT, WALK, resolve, walk_id
from tests.apis import Api, customer_api

# A recipe is what the walk needs beyond the contract to get one documented success status:
# the records that must exist first, and a body where the contract gives no example.

EXAMPLE = object()
WALK_CUSTOMER = {"id": "walk-c", "email": "walk-c@example.com", "legalEntityIds": ["walk-le"]}
WALK_PASSWORD = "walk-password"
CUSTOMERS = "/segments/{segmentId}/customers"
B2C = CUSTOMERS + "/{customerId}"
B2B = B2C + "/{legalEntityId}"
ITEMS = "/segments/{segmentId}/items"
ITEM = ITEMS + "/{type}/{itemId}"


@dataclass(frozen=True)
class Recipe:
    #: makes what the request needs (with any fixture, through pytest's `request`); returns
    #: path parameters and whatever `body` needs
    setup: Callable[[pytest.FixtureRequest], dict[str, Any]] = lambda request: {}
    #: EXAMPLE: the operation's first request example; else a function of setup's result
    body: Any = EXAMPLE
    #: send the request with a storefront token of WALK_CUSTOMER (password grant)
    as_customer: bool = False


def _example_body(operation: dict) -> Any:
    body = operation.get("requestBody")
    if body is None:
        return None
    media = resolve(body)["content"]
    if "application/json" not in media:
        pytest.fail(f"the walk only sends JSON; this operation takes {sorted(media)}")
    content = media["application/json"]
    if "example" in content:
        return content["example"]
    examples = content.get("examples") or {}
    if not examples:
        pytest.fail("the contract has no request example: give the recipe a body")
    return resolve(next(iter(examples.values())), CONTRACT)["value"]


def _example_of(method: str, path: str) -> Any:
    return _example_body(CONTRACT["paths"][API_BASE + path][method])


def _directory(request, collection: str, records: list[dict]) -> None:
    """Create reference data through the directory API."""
    response = request.getfixturevalue("api").put(f"/directory/{collection}", json=records)
    codes = [entry["code"] for entry in response.get_json()]
    assert codes == [201] * len(records), response.get_json()


def _assigned(request, path: str) -> None:
    response = request.getfixturevalue("api").put(path)
    assert response.status_code == 201, response.get_data(as_text=True)


def _one_segment(request) -> dict[str, Any]:
    return {"segmentId": request.getfixturevalue("make_segment")()}


def _two_segments(request) -> dict[str, Any]:
    make_segment = request.getfixturevalue("make_segment")
    return {"ids": [make_segment(), make_segment(name={"en": "Silver"})]}


def _unknown_segment(request) -> dict[str, Any]:
    return {"segmentId": "walk-new-segment"}


def _customer(request) -> dict[str, Any]:
    """WALK_CUSTOMER and its legal entity walk-le in the directory."""
    _directory(request, "legal-entities", [{"id": "walk-le", "name": "Walk Ltd"}])
    _directory(request, "customers", [WALK_CUSTOMER])
    return {"customerId": "walk-c", "legalEntityId": "walk-le"}


def _member(request) -> dict[str, Any]:
    """A segment, and a customer in the directory that is not assigned to it yet."""
    return {**_customer(request), **_one_segment(request)}


def _b2c_member(request) -> dict[str, Any]:
    made = _member(request)
    _assigned(request, B2C.format_map(made))
    return made


def _b2b_member(request) -> dict[str, Any]:
    made = _member(request)
    _assigned(request, B2B.format_map(made))
    return made


def _both_members(request) -> dict[str, Any]:
    made = _b2c_member(request)
    _assigned(request, B2B.format_map(made))
    return made


def _customers_of_the_bulk_example(request) -> dict[str, Any]:
    """The customers and legal entities the contract's bulk upsert example names."""
    example = _example_of("put", "/segments/{segmentId}/customers/bulk")
    entities = sorted({element["legalEntityId"] for element in example})
    _directory(request, "legal-entities", [{"id": e, "name": f"{e} Ltd"} for e in entities])
    customers = [{"id": e["customerId"], "legalEntityIds": [e["legalEntityId"]]} for e in example]
    _directory(request, "customers", customers)
    return _one_segment(request)


def _catalog(request) -> dict[str, Any]:
    """A segment, categories walk-root > walk-cat and product walk-p in walk-cat."""
    categories = [
        {"id": "walk-root", "name": {"en": "Root"}},
        {"id": "walk-cat", "parentId": "walk-root", "name": {"en": "Shoes"}},
    ]
    _directory(request, "categories", categories)
    product = {"id": "walk-p", "name": {"en": "Boot"}, "categoryIds": ["walk-cat"]}
    _directory(request, "products", [product])
    return {**_one_segment(request), "type": "PRODUCT", "itemId": "walk-p"}


def _assigned_product(request) -> dict[str, Any]:
    made = _catalog(request)
    _assigned(request, ITEM.format_map(made))
    return made


def _assigned_category(request) -> dict[str, Any]:
    made = {**_catalog(request), "type": "CATEGORY", "itemId": "walk-cat"}
    _assigned(request, ITEM.format_map(made))
    return made


def _storefront(request) -> dict[str, Any]:
    """WALK_CUSTOMER (B2C) in a segment that has walk-cat and walk-p assigned."""
    made = {**_assigned_category(request), **_customer(request)}
    _assigned(request, ITEM.format_map({**made, "type": "PRODUCT", "itemId": "walk-p"}))
    _assigned(request, B2C.format_map(made))
    return made


def _products_of_the_bulk_example(request) -> dict[str, Any]:
    example = _example_of("put", "/segments/{segmentId}/items/{type}/bulk")
    products = [{"id": element["id"], "name": {"en": element["id"]}} for element in example]
    _directory(request, "products", products)
    return {**_one_segment(request), "type": "PRODUCT"}


def _match_example(request) -> dict[str, Any]:
    """The segments and products the contract's match example names, each product assigned
    to one of the segments: the first directly, the others through their category."""
    example = _example_of("post", "/segments/match")
    _directory(request, "categories", [{"id": "walk-match", "name": {"en": "Matched"}}])
    first, *others = [item["id"] for item in example["items"]]
    products = [{"id": first, "name": {"en": first}}] + [
        {"id": p, "name": {"en": p}, "categoryIds": ["walk-match"]} for p in others
    ]
    _directory(request, "products", products)
    make_segment = request.getfixturevalue("make_segment")
    direct, through, *_ = [
        make_segment(id=s, siteCode=example["siteCode"]) for s in example["segmentIds"]
    ]
    _assigned(request, f"/segments/{direct}/items/PRODUCT/{first}")
    _assigned(request, f"/segments/{through}/items/CATEGORY/walk-match")
    return {}


RECIPES: dict[tuple[str, str, int], Recipe] = {
    ("POST", "/segments", 201): Recipe(),
    ("GET", "/segments", 200): Recipe(setup=_one_segment),
    ("POST", "/segments/search", 200): Recipe(setup=_one_segment),
    ("GET", "/segments/{segmentId}", 200): Recipe(setup=_one_segment),
    ("PUT", "/segments/{segmentId}", 201): Recipe(setup=_unknown_segment),
    ("PUT", "/segments/{segmentId}", 204): Recipe(setup=_one_segment),
    ("PATCH", "/segments/{segmentId}", 204): Recipe(setup=_one_segment),
    ("DELETE", "/segments/{segmentId}", 204): Recipe(setup=_one_segment),
    ("POST", "/segments/bulk", 207): Recipe(),
    ("PUT", "/segments/bulk", 207): Recipe(),
    # The contract documents no request body for this one; the conventions say: a list of ids.
    ("DELETE", "/segments/bulk", 207): Recipe(setup=_two_segments, body=lambda made: made["ids"]),
    ("POST", "/segments/match", 200): Recipe(setup=_match_example),
    ("GET", CUSTOMERS, 200): Recipe(setup=_b2c_member),
    ("POST", CUSTOMERS + "/search", 200): Recipe(setup=_b2c_member),
    ("GET", B2C, 200): Recipe(setup=_b2c_member),
    ("PUT", B2C, 201): Recipe(setup=_member),
    ("PUT", B2C, 204): Recipe(setup=_b2c_member),
    ("DELETE", B2C, 204): Recipe(setup=_b2c_member),
    ("GET", B2B, 200): Recipe(setup=_b2b_member),
    ("PUT", B2B, 201): Recipe(setup=_member),
    ("PUT", B2B, 204): Recipe(setup=_b2b_member),
    ("DELETE", B2B, 204): Recipe(setup=_b2b_member),
    ("PUT", CUSTOMERS + "/bulk", 207): Recipe(setup=_customers_of_the_bulk_example),
    # No documented body; its description gives the shape: [{customerId, legalEntityId?}].
    ("DELETE", CUSTOMERS + "/bulk", 207): Recipe(
        setup=_both_members,
        body=lambda made: [
            {"customerId": made["customerId"]},
            {"customerId": made["customerId"], "legalEntityId": made["legalEntityId"]},
        ],
    ),
    # Documented for the segment_read_own scope only: a storefront customer's trees.
    ("GET", "/segments/items/category-trees", 200): Recipe(setup=_storefront, as_customer=True),
    ("GET", "/segments/items", 200): Recipe(setup=_storefront, as_customer=True),
    ("GET", ITEMS, 200): Recipe(setup=_assigned_product),
    ("POST", ITEMS + "/search", 200): Recipe(setup=_assigned_product),
    ("GET", ITEM, 200): Recipe(setup=_assigned_category),
    ("PUT", ITEM, 201): Recipe(setup=_catalog),
    ("PUT", ITEM, 204): Recipe(setup=_assigned_product),
    ("DELETE", ITEM, 204): Recipe(setup=_assigned_category),
    ("PUT", ITEMS + "/{type}/bulk", 207): Recipe(setup=_products_of_the_bulk_example),
    # No documented body; its description gives the shape: a list of item ids.
    ("DELETE", ITEMS + "/{type}/bulk", 207): Recipe(
        setup=_assigned_product, body=lambda made: [made["itemId"]]
    ),
}


def _recipe_key(path: str, method: str, status: int) -> tuple[str, str, int]:
    return method.upper(), path.removeprefix(API_BASE), status


def test_every_recipe_belongs_to_a_walked_operation():
    walked = {_recipe_key(*step) for step in WALK}
    assert set(RECIPES) <= walked


def _storefront_api(request) -> Api:
    """WALK_CUSTOMER signed in at the storefront (its password set by the operator CLI)."""
    api = request.getfixturevalue("api")
    result = request.getfixturevalue("cli").invoke(
        args=["customers", "set-password", "--tenant", api.tenant, WALK_CUSTOMER["id"]],
        input=WALK_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    make_client = request.getfixturevalue("make_client")
    return customer_api(api.client, make_client, WALK_CUSTOMER["email"], WALK_PASSWORD)


@pytest.mark.parametrize(("path", "method", "status"), WALK, ids=[walk_id(*s) for s in WALK])
def test_operation_answers_its_documented_success(request, api, path, method, status):
    key = _recipe_key(path, method, status)
    recipe = RECIPES.get(key)
    if recipe is None:
        pytest.fail(f"no request recipe for {key}: add one to RECIPES in {__name__}")
    operation = CONTRACT["paths"][path][method]
    made = recipe.setup(request)
    body = _example_body(operation) if recipe.body is EXAMPLE else recipe.body(made)
    concrete = path.removeprefix(API_BASE).format_map(made)
    kwargs = {} if body is None else {"json": body}
    caller = _storefront_api(request) if recipe.as_customer else api

    response = caller.request(method.upper(), concrete, **kwargs)

    assert response.status_code == status, response.get_data(as_text=True)
    documented = resolve(operation["responses"][str(status)])
    if "application/json" in documented.get("content", {}):
        assert response.is_json, response.get_data(as_text=True)
    if status == 207:
        failed = [entry for entry in response.get_json() if not 200 <= entry["code"] < 300]
        assert failed == []
    if status == 200 and isinstance(response.get_json(), list):
        # every recipe made something for a read to find
        assert response.get_json() != []
