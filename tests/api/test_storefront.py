"""Category trees (/segments/items/category-trees) and /segments/match."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from tests.apis import customer_api
from tests.factories import add_category, add_customer, add_product, directory
from tests.sql import statements

TREES = "/segments/items/category-trees"
PAST = {"from": "2019-01-01T00:00:00.000Z", "to": "2020-01-01T00:00:00.000Z"}


@pytest.fixture
def catalog(app, tenant):
    """tools > {saws, hammers > {secret (unpublished) > secret-child, claw > claw-mini, sledge}},
    garden, archive (unpublished) > old, books, toys; and products in them."""
    with directory(app):
        add_category(
            tenant,
            "tools",
            name={"en": "Tools", "de": "Werkzeuge"},
            localized_description={"en": "All tools", "de": "Alle Werkzeuge"},
            localized_slug={"en": "tools", "de": "werkzeuge"},
            ecn=["T-1"],
            valid_from=datetime(2024, 1, 1, tzinfo=UTC),
            code="T",
        )
        add_category(tenant, "saws", "tools", position=0)
        add_category(tenant, "hammers", "tools", name={"en": "Hammers"}, position=1)
        add_category(tenant, "sledge", "hammers", position=2)
        add_category(tenant, "claw", "hammers", position=1)
        add_category(tenant, "claw-mini", "claw")
        add_category(tenant, "secret", "hammers", position=0, published=False)
        add_category(tenant, "secret-child", "secret")
        add_category(tenant, "garden", position=1)
        add_category(tenant, "archive", position=2, published=False)
        add_category(tenant, "old", "archive")
        add_category(tenant, "books", position=3)
        add_category(tenant, "toys", position=4)
        add_product(tenant, "p-direct")
        add_product(tenant, "p-hammers", ("hammers",))
        add_product(tenant, "p-claw-mini", ("claw-mini",))
        add_product(tenant, "p-saws", ("saws",))
        add_product(tenant, "p-multi", ("saws", "claw"))
        add_product(tenant, "p-garden", ("garden",))
        add_product(tenant, "p-dormant")
        add_product(tenant, "p-books", ("books",))
        add_product(tenant, "p-toys", ("toys",))


@pytest.fixture
def segments(api, catalog, make_segment):
    """gold (main): hammers, old, p-direct; dormant (inactive): garden, p-dormant;
    outlet (site outlet): books; past (expired): toys."""
    make_segment(id="gold")
    make_segment(id="dormant", status="INACTIVE")
    make_segment(id="outlet", siteCode="outlet")
    make_segment(id="past", validity=PAST)
    for path in (
        "gold/items/CATEGORY/hammers",
        "gold/items/CATEGORY/old",
        "gold/items/PRODUCT/p-direct",
        "dormant/items/CATEGORY/garden",
        "dormant/items/PRODUCT/p-dormant",
        "outlet/items/CATEGORY/books",
        "past/items/CATEGORY/toys",
    ):
        assert api.put(f"/segments/{path}").status_code == 201, path


def shape(nodes: list[dict]) -> list:
    """Ids, assignment flags and nesting of a tree: [(id, isSegmentAssigned, [children])]."""
    return [(n["id"], n["isSegmentAssigned"], shape(n.get("subcategories", []))) for n in nodes]


HAMMERS = ("hammers", True, [("claw", True, [("claw-mini", True, [])]), ("sledge", True, [])])
BOOKS = ("books", True, [])


# --- category trees ----------------------------------------------------------------------------


def test_tree_covers_the_subtrees_of_assigned_categories_and_shows_their_ancestors(api, segments):
    response = api.get(TREES)
    assert response.status_code == 200
    trees = response.get_json()
    assert shape(trees) == [("tools", False, [HAMMERS]), BOOKS]

    tools = trees[0]
    assert tools == {
        "id": "tools",
        "code": "T",
        "name": {"en": "Tools", "de": "Werkzeuge"},
        "localizedDescription": {"en": "All tools", "de": "Alle Werkzeuge"},
        "localizedSlug": {"en": "tools", "de": "werkzeuge"},
        "ecn": ["T-1"],
        "validity": {"from": "2024-01-01T00:00:00.000Z"},
        "position": 0,
        "published": True,
        "isSegmentAssigned": False,
        "subcategories": tools["subcategories"],
    }
    hammers = tools["subcategories"][0]
    assert hammers["parentId"] == "tools" and hammers["code"] == "HAMMERS"
    assert hammers["position"] == 1 and hammers["published"] is True
    claw = hammers["subcategories"][0]
    assert claw["parentId"] == "hammers"
    assert "subcategories" not in claw["subcategories"][0]
    assert "parentId" not in trees[1]


def test_site_code_narrows_the_segments(api, segments):
    assert shape(api.get(TREES, query_string={"siteCode": "main"}).get_json()) == [
        ("tools", False, [HAMMERS])
    ]
    assert shape(api.get(TREES, query_string={"siteCode": "outlet"}).get_json()) == [BOOKS]
    assert api.get(TREES, query_string={"siteCode": "nowhere"}).get_json() == []


def test_segments_that_are_not_effective_give_no_trees(api, catalog, make_segment):
    make_segment(id="dormant", status="INACTIVE")
    make_segment(id="past", validity=PAST)
    make_segment(id="future", validity={"from": "2999-01-01T00:00:00.000Z"})
    api.put("/segments/dormant/items/CATEGORY/garden")
    api.put("/segments/past/items/CATEGORY/toys")
    api.put("/segments/future/items/CATEGORY/books")
    assert api.get(TREES).get_json() == []
    assert api.patch("/segments/future", json={"validity": None}).status_code == 204
    assert shape(api.get(TREES).get_json()) == [BOOKS]


def test_a_category_under_an_assigned_one_is_covered_once(api, segments):
    api.put("/segments/gold/items/CATEGORY/claw")
    api.put("/segments/outlet/items/CATEGORY/hammers")
    assert shape(api.get(TREES).get_json()) == [("tools", False, [HAMMERS]), BOOKS]


def test_accept_language_localizes_the_tree(api, segments):
    trees = api.get(TREES, headers={"Accept-Language": "de"}).get_json()
    tools = trees[0]
    assert tools["name"] == {"de": "Werkzeuge"}
    assert tools["localizedDescription"] == {"de": "Alle Werkzeuge"}
    assert tools["localizedSlug"] == {"de": "werkzeuge"}
    assert tools["subcategories"][0]["name"] == {"en": "Hammers"}


def test_tree_nodes_written_as_text_keep_every_value_and_leave_out_empty_ones(app, api, segments):
    # nodes are joined from text the database writes: awkward characters, empty maps and
    # lists, a validity with only an end, a missing code, and a parent id that needs escaping
    awkward = 'Say "hi" \\ </script> \u2028 \U0001f600 \u00e9t\u00e9'
    with directory(app):
        add_category(
            "acme",
            'odd "parent"',
            name={"en": awkward},
            localized_description={},
            localized_slug={"de": "tab\there"},
            ecn=[],
            valid_to=datetime(2031, 2, 3, 4, 5, 6, 789999, tzinfo=UTC),
            code=None,
            position=9,
        )
        add_category("acme", "odd-child", 'odd "parent"', name={"de": "Kind"})
    api.put("/segments/gold/items/CATEGORY/odd-child")
    response = api.get(TREES)
    assert response.status_code == 200 and response.mimetype == "application/json"
    odd = response.get_json()[-1]
    assert odd == {
        "id": 'odd "parent"',
        "name": {"en": awkward},
        "localizedSlug": {"de": "tab\there"},
        "validity": {"to": "2031-02-03T04:05:06.789Z"},
        "position": 9,
        "published": True,
        "isSegmentAssigned": False,
        "subcategories": [
            {
                "id": "odd-child",
                "parentId": 'odd "parent"',
                "code": "ODD-CHILD",
                "name": {"de": "Kind"},
                "position": 0,
                "published": True,
                "isSegmentAssigned": True,
            }
        ],
    }
    picked = api.get(TREES, headers={"Accept-Language": "fr, en;q=0.5"}).get_json()[-1]
    assert picked["name"] == {"en": awkward} and picked["localizedSlug"] == {"de": "tab\there"}


def test_a_tree_costs_the_same_queries_whatever_its_size(app, api, segments):
    with statements(app) as small:
        api.get(TREES)
    with directory(app):
        for n in range(60):
            add_category("acme", f"extra-{n}", "claw" if n % 2 else f"extra-{n - 1}", position=n)
    with statements(app) as large:
        trees = api.get(TREES).get_json()
    assert len(large) == len(small) <= 3
    claw = trees[0]["subcategories"][0]["subcategories"][0]
    assert len(claw["subcategories"]) == 31


def test_cyclic_parents_end_and_show_nothing(app, api, segments):
    with directory(app):
        add_category("acme", "loop-a", "loop-b")
        add_category("acme", "loop-b", "loop-a")
        add_product("acme", "p-loop", ("loop-b",))
    api.put("/segments/gold/items/CATEGORY/loop-a")
    assert shape(api.get(TREES).get_json()) == [("tools", False, [HAMMERS]), BOOKS]
    body = {"items": [{"id": "p-loop"}], "segmentIds": ["gold"], "site": "main"}
    assert api.post("/segments/match", json=body).get_json() == [{"id": "p-loop"}]


@pytest.fixture
def kim(app, client, make_client, tenant):
    with directory(app):
        add_customer(tenant, "kim", "kim@example.com", password="kim-secret")
    return customer_api(client, make_client, "kim@example.com", "kim-secret")


def test_a_customer_gets_the_trees_of_its_own_effective_segments(api, segments, kim):
    assert kim.get(TREES).get_json() == []
    api.put("/segments/outlet/customers/kim")
    api.put("/segments/dormant/customers/kim")
    assert shape(kim.get(TREES).get_json()) == [BOOKS]
    assert kim.get(TREES, query_string={"siteCode": "main"}).get_json() == []
    api.put("/segments/gold/customers/kim")
    assert shape(kim.get(TREES).get_json()) == [("tools", False, [HAMMERS]), BOOKS]


def test_trees_need_a_read_scope(client, make_api, segments):
    assert client.get(f"/customer-segment/acme{TREES}").status_code == 401
    assert make_api(scopes=(SCOPE_MANAGE,)).get(TREES).status_code == 403
    assert make_api(scopes=(SCOPE_READ,)).get(TREES).status_code == 200


def test_category_trees_is_not_a_segments_items(api, segments):
    # /segments/items/category-trees is its own operation, not an item list of segment "items"
    assert isinstance(api.get(TREES).get_json(), list)
    assert api.get("/segments/items/category-trees/x").status_code == 404


# --- match -------------------------------------------------------------------------------------


def match(api, items, segment_ids, **site):
    body = {"items": [{"id": i} for i in items], "segmentIds": segment_ids, **site}
    response = api.post("/segments/match", json=body)
    assert response.status_code == 200, response.get_json()
    return [entry["id"] for entry in response.get_json()]


ALL = [
    "p-direct",
    "p-hammers",
    "p-claw-mini",
    "p-saws",
    "p-multi",
    "p-garden",
    "p-dormant",
    "p-books",
    "p-toys",
]


def test_match_direct_through_a_category_and_through_its_descendants(api, segments):
    got = match(api, ALL, ["gold", "dormant", "outlet", "past"], site="main")
    assert got == ["p-direct", "p-hammers", "p-claw-mini", "p-multi"]


def test_match_takes_site_code_and_keeps_to_that_site(api, segments):
    assert match(api, ALL, ["gold", "outlet"], siteCode="outlet") == ["p-books"]
    assert match(api, ALL, ["gold"], siteCode="outlet") == []
    assert match(api, ["p-books"], ["outlet"], site="outlet", siteCode="outlet") == ["p-books"]


def test_match_ignores_segments_that_are_not_effective(api, segments):
    assert match(api, ALL, ["dormant", "past"], site="main") == []
    api.patch("/segments/dormant", json={"status": "ACTIVE"})
    assert match(api, ALL, ["dormant"], site="main") == ["p-garden", "p-dormant"]


def test_match_keeps_request_order_once_each_and_skips_unknown_ids(api, segments):
    items = ["p-claw-mini", "nope", "p-direct", "p-claw-mini", "p-saws", "p-hammers", "p-direct"]
    got = match(api, items, ["nope", "gold", "gold"], site="main")
    assert got == ["p-claw-mini", "p-direct", "p-hammers"]
    assert match(api, [], ["gold"], site="main") == []
    assert match(api, ALL, [], site="main") == []
    assert match(api, ["p-direct"], ["GOLD"], site="main") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"id": "p"}], "segmentIds": ["gold"]}, "site"),
        ({"segmentIds": ["gold"], "site": "main"}, "items"),
        ({"items": [{"id": "p"}], "site": "main"}, "segmentIds"),
        ({"items": [{"code": "p"}], "segmentIds": ["gold"], "site": "main"}, "items.0.id"),
        ({"items": [{"id": 5}], "segmentIds": ["gold"], "site": "main"}, "items.0.id"),
        ({"items": "p", "segmentIds": ["gold"], "site": "main"}, "items"),
        ({"items": [], "segmentIds": [1], "site": "main"}, "segmentIds.0"),
        ({"items": [], "segmentIds": [], "site": "main", "siteCode": "outlet"}, "siteCode"),
        (["p"], ""),
    ],
)
def test_match_validates_its_body(api, segments, body, field):
    response = api.post("/segments/match", json=body)
    assert response.status_code == 400
    assert field in {d["field"] for d in response.get_json()["details"]}


def test_match_needs_the_manage_scope(client, app, make_api, segments, kim):
    body = {"items": [{"id": "p-direct"}], "segmentIds": ["gold"], "site": "main"}
    assert client.post("/customer-segment/acme/segments/match", json=body).status_code == 401
    assert make_api(scopes=(SCOPE_READ,)).post("/segments/match", json=body).status_code == 403
    assert kim.post("/segments/match", json=body).status_code == 403
    assert make_api(scopes=(SCOPE_MANAGE,)).post("/segments/match", json=body).status_code == 200


def test_match_costs_the_same_queries_whatever_the_number_of_items(app, api, segments):
    with directory(app):
        for n in range(200):
            add_product("acme", f"bulk-{n}", ("claw-mini",) if n % 2 else ())
    body = {"items": [{"id": "p-direct"}], "segmentIds": ["gold", "outlet"], "site": "main"}
    with statements(app) as one:
        api.post("/segments/match", json=body)
    body["items"] = [{"id": f"bulk-{n}"} for n in range(200)]
    with statements(app) as many:
        response = api.post("/segments/match", json=body)
    assert len(many) == len(one) <= 3
    assert [e["id"] for e in response.get_json()] == [f"bulk-{n}" for n in range(1, 200, 2)]


def test_match_is_not_a_segment_id(api, segments):
    # POST /segments/match is the match; a GET there asks for a segment called "match"
    body = {"items": [{"id": "p-direct"}], "segmentIds": ["gold"], "site": "main"}
    assert api.post("/segments/match", json=body).get_json() == [{"id": "p-direct"}]
    response = api.get("/segments/match")
    assert response.status_code == 404 and response.get_json()["resourceId"] == "match"
