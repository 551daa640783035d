"""The catalog: the whole directory's tree with segment counts, its products and search, and
"see as a customer", whose answers must equal the API's for that customer."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import pytest

from segments_app.services import segment_search, substring
from segments_app.services.catalog import searching as catalog_search
from tests.apis import customer_api
from tests.factories import add_category, add_customer, add_legal_entity, add_product, directory

NODE = re.compile(r'role="treeitem" id="node-\d+"[^>]*?data-category="([^"]+)"', re.S)
SEGMENT_COUNT = re.compile(r'data-category="([^"]+)">.*?(?:in (\d+) segments?</span>|</li>)', re.S)
PASSWORD = "kim-secret"


@pytest.fixture
def catalog(app, tenant):
    """tools > {saws, hammers > claw > claw-mini}; garden; books (unpublished) > novels;
    products in each."""
    with directory(app):
        add_category(tenant, "tools", name={"en": "Tools", "de": "Werkzeuge"})
        add_category(tenant, "saws", "tools", position=0)
        add_category(tenant, "hammers", "tools", position=1)
        add_category(tenant, "claw", "hammers")
        add_category(tenant, "claw-mini", "claw")
        add_category(tenant, "garden", name={"en": "Garden", "de": "Garten"}, position=1)
        add_category(tenant, "books", position=2, published=False)
        add_category(tenant, "novels", "books")
        add_product(tenant, "p-hammer", ("hammers",), name={"en": "Hammer"})
        add_product(tenant, "p-claw", ("claw",), name={"en": "Claw hammer"}, code="CLAW-1")
        add_product(tenant, "p-mini", ("claw-mini",))
        add_product(tenant, "p-saw", ("saws",))
        add_product(tenant, "p-rake", ("garden",))
        add_product(tenant, "p-novel", ("novels",))
        add_product(tenant, "p-loose")


@pytest.fixture
def segments(api, catalog, make_segment):
    """gold (main): hammers, p-saw; silver (main): hammers, garden; outlet (site outlet):
    garden; dormant (inactive): saws; partner (main, B2B): claw-mini, p-loose; books (main):
    novels."""
    for segment_id, extra in (
        ("gold", {}),
        ("silver", {}),
        ("outlet", {"siteCode": "outlet"}),
        ("dormant", {"status": "INACTIVE"}),
        ("partner", {}),
        ("books", {}),
    ):
        make_segment(id=segment_id, **extra)
    for segment_id, kind, item_id in (
        ("gold", "CATEGORY", "hammers"),
        ("gold", "PRODUCT", "p-saw"),
        ("silver", "CATEGORY", "hammers"),
        ("silver", "CATEGORY", "garden"),
        ("outlet", "CATEGORY", "garden"),
        ("dormant", "CATEGORY", "saws"),
        ("partner", "CATEGORY", "claw-mini"),
        ("partner", "PRODUCT", "p-loose"),
        ("books", "CATEGORY", "novels"),
    ):
        assert api.put(f"/segments/{segment_id}/items/{kind}/{item_id}").status_code == 201


# the tree of the whole catalog


def test_the_catalog_shows_the_tree_with_segment_counts(viewer, segments):
    response = viewer.get("/catalog")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert NODE.findall(html) == ["tools", "garden", "books"]
    assert 'aria-current="page">Catalog' in html
    assert "Unpublished" in html
    assert 'name="assign"' not in html
    counts = dict(SEGMENT_COUNT.findall(html.replace("\n", " ")))
    assert counts["garden"] == "2"

    children = viewer.get("/catalog/tree?parent=tools", htmx=True).get_data(as_text=True)
    assert "<html" not in children
    assert NODE.findall(children) == ["saws", "hammers"]
    assert dict(SEGMENT_COUNT.findall(children)) == {"saws": "1", "hammers": "2"}
    assert viewer.get("/catalog/tree?parent=tools").headers["Location"] == "/catalog?open=tools"


def test_the_catalog_opens_a_path_by_url(viewer, segments):
    html = viewer.get("/catalog?open=claw-mini&category=claw-mini").get_data(as_text=True)
    opened = ["tools", "saws", "hammers", "claw", "claw-mini", "garden", "books"]
    assert NODE.findall(html) == opened
    panel = html[html.index('id="products-panel"') :]
    assert "p-mini" in panel
    assert 'href="/segments/partner/items?open=claw-mini&amp;category=claw-mini"' in panel


def test_a_category_lists_its_products_with_how_many_segments_hold_them(viewer, segments):
    response = viewer.get("/catalog/products?category=saws", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert re.search(r'data-product="p-saw">.*?<td class="num">1</td>', html, re.S)
    assert "Assigned to" in html and "/segments/dormant/items" in html
    empty = viewer.get("/catalog/products?category=tools", htmx=True).get_data(as_text=True)
    assert "No products here" in empty


def test_the_catalog_search_finds_names_in_any_language_codes_and_ids(viewer, segments):
    def found(q: str) -> list[str]:
        html = viewer.get("/catalog", htmx=True, query_string={"q": q}).get_data(as_text=True)
        return re.findall(r'data-(?:category|product)="([^"]+)"', html)

    assert found("werkzeuge") == ["tools"]
    assert found("claw-1") == ["p-claw"]
    assert found("p-loose") == ["p-loose"]
    assert found("garten") == ["garden"]


def test_a_catalog_search_without_an_index_goes_on_where_it_stopped(viewer, catalog, monkeypatch):
    monkeypatch.setattr(catalog_search, "STRETCH", 2)
    monkeypatch.setattr(substring, "BUDGET_SECONDS", 0)
    html = viewer.get("/catalog?q=aw", htmx=True).get_data(as_text=True)  # no trigrams in it
    assert "Search further" in html and "Nothing matches" not in html
    found = []
    for _ in range(20):
        found += re.findall(r'data-(?:category|product)="([^"]+)"', html)
        further = re.search(r'href="([^"]+)" hx-get="[^"]+" hx-target="#tree-search"', html)
        if further is None:
            break
        html = viewer.get(unescape(further.group(1)), htmx=True).get_data(as_text=True)
        assert "back to the first matches" in html
    assert found == ["claw", "claw-mini", "saws", "p-claw", "p-saw"]


@pytest.fixture
def wide(app, tenant):
    with directory(app):
        for parent, size in (("wide3", 3), ("wide30", 30)):
            add_category(tenant, parent)
            for n in range(size):
                add_category(tenant, f"{parent}-{n}", parent, position=n)
                add_category(tenant, f"{parent}-{n}-x", f"{parent}-{n}")
                add_product(tenant, f"{parent}-p{n}", (f"{parent}-{n}",))


def test_expanding_costs_the_same_queries_for_3_or_30_children(viewer, wide, count_queries):
    costs = []
    for parent in ("wide3", "wide30"):
        with count_queries() as n:
            assert viewer.get(f"/catalog/tree?parent={parent}", htmx=True).status_code == 200
        costs.append(n())
    assert costs[0] == costs[1]


# see as a customer


@pytest.fixture
def kim(app, tenant, segments, api):
    """kim: B2C in gold, outlet and dormant; B2B in partner for acme-le and in silver for
    beta-le."""
    with directory(app):
        add_legal_entity(tenant, "acme-le", "Acme Ltd")
        add_legal_entity(tenant, "beta-le", "Beta GmbH")
        add_customer(
            tenant,
            "kim",
            "kim@example.com",
            first_name="Kim",
            last_name="Park",
            legal_entity_ids=("acme-le", "beta-le"),
            password=PASSWORD,
        )
        add_customer(tenant, "lee", "lee@example.com", first_name="Lee", last_name="Kimball")
    for path in (
        "/segments/gold/customers/kim",
        "/segments/outlet/customers/kim",
        "/segments/dormant/customers/kim",
        "/segments/partner/customers/kim/acme-le",
        "/segments/silver/customers/kim/beta-le",
    ):
        assert api.put(path).status_code == 201
    return "kim"


class _StorefrontTree(HTMLParser):
    """(id, assigned, children) of the nested <li data-category> of the customer's tree."""

    def __init__(self):
        super().__init__()
        self.roots: list = []
        self.stack: list = []

    def handle_starttag(self, tag, attrs):
        if tag != "li":
            return
        values = dict(attrs)
        if "data-category" not in values:
            self.stack.append(None)
            return
        node = (values["data-category"], values["data-assigned"] == "true", [])
        parents = [entry for entry in self.stack if entry is not None]
        (parents[-1][2] if parents else self.roots).append(node)
        self.stack.append(node)

    def handle_endtag(self, tag):
        if tag == "li":
            self.stack.pop()


def page_tree(html: str) -> list:
    start = html.find('id="customer-tree"')
    if start < 0:
        return []
    parser = _StorefrontTree()
    parser.feed(html[start : html.index("</section>", start)])
    return parser.roots


def api_tree(nodes: list[dict]) -> list:
    return [
        (node["id"], node["isSegmentAssigned"], api_tree(node.get("subcategories", [])))
        for node in nodes
    ]


def page_segments(html: str) -> list[str]:
    return re.findall(r'<tr data-segment="([^"]+)"', html)


@pytest.fixture
def kim_api(client, make_client, kim):
    return customer_api(client, make_client, "kim@example.com", PASSWORD)


def test_picking_a_customer_by_name_email_or_id(viewer, kim):
    def picked(find: str) -> list[str]:
        response = viewer.get("/catalog/customer/search", htmx=True, query_string={"find": find})
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in html
        return re.findall(r'href="/catalog/customer\?customer=([^"]+)"', html)

    assert picked("kim") == ["kim", "lee"]
    assert picked("kim@") == ["kim"]
    assert picked("park") == ["kim"]
    assert picked("nobody") == []
    page = viewer.get("/catalog/customer/search?find=kim@").get_data(as_text=True)
    assert "<html" in page and "2 legal entities" in page


def test_a_customer_search_without_an_index_goes_on_while_it_is_shown(
    app, viewer, kim, monkeypatch
):
    monkeypatch.setattr(segment_search, "STRETCH", 1)
    monkeypatch.setattr(substring, "BUDGET_SECONDS", 0)
    html = viewer.get("/catalog/customer/search?find=ee", htmx=True).get_data(as_text=True)
    assert "Searching… 1 customers looked at" in html and 'hx-trigger="revealed"' in html
    found = []
    while match := re.search(r'hx-get="([^"]*after=[^"]*)"', html):
        html = viewer.get(unescape(match.group(1)), htmx=True).get_data(as_text=True)
        assert not html.strip() or html.lstrip().startswith("<li")
        found += re.findall(r'href="/catalog/customer\?customer=([^"]+)"', html)
    assert found == ["lee"]


@pytest.mark.parametrize(
    "params",
    [{}, {"legal_entity": "acme-le"}, {"legal_entity": "beta-le"}, {"site": "main"}],
    ids=["all", "acme-le", "beta-le", "site-main"],
)
def test_a_customer_sees_the_segments_and_tree_the_api_gives_it(viewer, kim_api, params):
    api_params = {}
    if "legal_entity" in params:
        api_params["legalEntityId"] = params["legal_entity"]
    response = viewer.get("/catalog/customer", query_string={"customer": "kim", **params})
    html = response.get_data(as_text=True)
    assert response.status_code == 200

    own = kim_api.get("/segments", query_string=api_params).get_json()
    assert page_segments(html) == [doc["id"] for doc in own]
    assert "dormant" not in page_segments(html)

    tree_params = dict(api_params)
    if "site" in params:
        tree_params["siteCode"] = params["site"]
    trees = kim_api.get("/segments/items/category-trees", query_string=tree_params).get_json()
    assert page_tree(html) == api_tree(trees)
    assert page_tree(html)  # the comparison means something


def test_the_customer_view_is_a_fragment_for_htmx(viewer, kim):
    response = viewer.get("/catalog/customer?customer=kim&legal_entity=acme-le", htmx=True)
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<div id="customer-view"')
    assert 'value="acme-le" selected' in html
    missing = viewer.get("/catalog/customer?customer=nobody").get_data(as_text=True)
    assert "There is no customer nobody" in missing


def test_which_products_a_customer_sees_equals_the_match_api(api, viewer, kim, kim_api):
    asked = ["p-hammer", "CLAW-1", "p-mini", "p-saw", "p-rake", "p-loose", "p-novel", "nope"]
    ids = ["p-hammer", "p-claw", "p-mini", "p-saw", "p-rake", "p-loose", "p-novel"]
    for params in ({}, {"legal_entity": "acme-le"}, {"site": "outlet"}):
        form = {"customer": "kim", "products": "\n".join(asked[:4]) + ", " + " ".join(asked[4:])}
        form.update(params)
        response = viewer.post("/catalog/customer/match", htmx=True, data=form)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and html.lstrip().startswith('<div id="customer-match"')
        cells = re.findall(r'data-product="([^"]+)">.*?(?=<tr|</tbody>)', html, re.S)
        assert cells == ids
        assert 'data-token="nope"' in html and "Not in the directory" in html

        own = kim_api.get(
            "/segments", query_string={"legalEntityId": params.get("legal_entity", "")}
        ).get_json()
        sites = [params["site"]] if "site" in params else sorted({s["siteCode"] for s in own})
        for site in sites:
            body = {
                "items": [{"id": product_id} for product_id in ids],
                "segmentIds": [s["id"] for s in own if s["siteCode"] == site],
                "site": site,
            }
            expected = [entry["id"] for entry in api.post("/segments/match", json=body).get_json()]
            shown = re.findall(
                rf'data-product="([^"]+)">(?:(?!</tr>).)*?data-site="{site}" data-match="true"',
                html,
                re.S,
            )
            assert shown == expected, site
            assert expected  # the comparison means something


def test_matching_needs_the_csrf_token(viewer, kim):
    form = {"customer": "kim", "products": "p-hammer"}
    refused = viewer.post("/catalog/customer/match", htmx=True, csrf=False, data=form)
    assert refused.status_code == 400
    page = viewer.post("/catalog/customer/match", data=form)
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_a_long_level_comes_in_steps_and_an_open_path_stays_visible(app, tenant, viewer):
    with directory(app):
        add_category(tenant, "big")
        for n in range(205):
            add_category(tenant, f"big-{n:03}", "big", position=n)
    first = viewer.get("/catalog/tree?parent=big", htmx=True).get_data(as_text=True)
    assert len(NODE.findall(first)) == 200
    assert 'hx-get="/catalog/tree?parent=big&amp;offset=200"' in first
    rest = viewer.get("/catalog/tree?parent=big&offset=200", htmx=True).get_data(as_text=True)
    assert NODE.findall(rest) == [f"big-{n:03}" for n in range(200, 205)]
    assert "Show more" not in rest
    page = viewer.get("/catalog?open=big-203").get_data(as_text=True)
    assert NODE.findall(page)[-1] == "big-203" and len(NODE.findall(page)) == 202
    assert 'hx-get="/catalog/tree?parent=big&amp;offset=200"' in page
