"""A segment's items tab: the lazily loaded category tree, its marks, the assign toggles, the
products of a category, search, the way in without JavaScript, and query-count guards."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import Activity
from tests.factories import add_category, add_product, directory

ITEMS = "/segments/gold/items"
NODE = re.compile(r'role="treeitem" id="node-\d+"[^>]*?data-category="([^"]+)"', re.S)
MARK = re.compile(r'data-(?:category|product)="([^"]+)" data-state="([^"]+)"')


def nodes(html: str) -> list[str]:
    """The ids of the category nodes in `html`, in document order."""
    return NODE.findall(html)


def marks(response) -> dict[str, str]:
    """Category or product id -> assigned / covered / none, as the response shows them."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return dict(MARK.findall(response.get_data(as_text=True)))


def item_ids(api, kind: str) -> list[str]:
    response = api.get("/segments/gold/items", query_string={"q": f"type:{kind}"})
    return sorted(doc["item"]["id"] for doc in response.get_json())


@pytest.fixture
def catalog(app, tenant):
    """tools > {saws, hammers > claw > claw-mini}; garden; lost (its parent is missing);
    30 products in hammers, p-claw in claw, p-saw in saws."""
    with directory(app):
        add_category(tenant, "tools", name={"en": "Tools", "de": "Werkzeuge"})
        add_category(tenant, "saws", "tools", position=0)
        add_category(tenant, "hammers", "tools", position=1)
        add_category(tenant, "claw", "hammers")
        add_category(tenant, "claw-mini", "claw")
        garden = {"en": "Garden", "de": "Garten"}
        add_category(tenant, "garden", name=garden, position=1, code="G-7")
        add_category(tenant, "lost", "nowhere")
        for n in range(30):
            add_product(tenant, f"h{n:02}", ("hammers",), name={"en": f"Hammer {n:02}"})
        add_product(tenant, "p-claw", ("claw",), name={"en": "Claw hammer", "de": "Klauenhammer"})
        add_product(tenant, "p-saw", ("saws",))


@pytest.fixture
def gold(make_segment, catalog) -> str:
    return make_segment(id="gold")


def test_the_page_shows_the_roots_with_counts(viewer, gold):
    response = viewer.get(ITEMS)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert nodes(html) == ["tools", "garden"]
    assert "2 subcategories" in html
    assert "Parent not in the directory" in html
    assert 'role="tree"' in html and 'aria-current="page">Items' in html
    # a viewer reads; the assign forms are for editors
    assert 'name="assign"' not in html


def test_expanding_a_node_fetches_its_children_as_a_fragment(viewer, gold):
    response = viewer.get(f"{ITEMS}/tree?parent=tools", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert nodes(html) == ["saws", "hammers"]
    assert "1 subcategory · 30 products" in html
    assert 'name="open" value="tools"' in html
    assert "HX-Request" in response.headers["Vary"]
    deeper = viewer.get(f"{ITEMS}/tree?parent=claw", htmx=True).get_data(as_text=True)
    assert nodes(deeper) == ["claw-mini"]
    lost = viewer.get(f"{ITEMS}/tree?orphans=1", htmx=True).get_data(as_text=True)
    assert nodes(lost) == ["lost"]


def test_marks_follow_assignments_three_levels_down(api, viewer, gold):
    def level(parent: str) -> dict[str, str]:
        return marks(viewer.get(f"{ITEMS}/tree?parent={parent}", htmx=True))

    api.put("/segments/gold/items/CATEGORY/hammers")
    assert marks(viewer.get(ITEMS))["tools"] == "none"
    assert level("tools") == {"saws": "none", "hammers": "assigned"}
    assert level("hammers") == {"claw": "covered"}
    assert level("claw") == {"claw-mini": "covered"}
    api.put("/segments/gold/items/CATEGORY/claw")
    assert level("hammers") == {"claw": "assigned"}
    api.delete("/segments/gold/items/CATEGORY/hammers")
    assert level("tools") == {"saws": "none", "hammers": "none"}
    assert level("hammers") == {"claw": "assigned"}
    assert level("claw") == {"claw-mini": "covered"}


def test_an_editor_assigns_a_category_and_its_open_subtree_follows(app, api, editor, gold):
    form = {"id": "hammers", "assign": "1", "open": ["hammers", "claw"]}
    response = editor.post(f"{ITEMS}/category", htmx=True, data=form)
    assert marks(response) == {"hammers": "assigned", "claw": "covered", "claw-mini": "covered"}
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<li role="treeitem"') and "data-autofocus" in html
    events = json.loads(response.headers["HX-Trigger"])
    assert events["items-changed"] is True
    assert "Assigned “Hammers”" in events["notify"]["message"]
    assert item_ids(api, "CATEGORY") == ["hammers"]
    with app.app_context():
        actions = db.session.scalars(select(Activity.action).order_by(Activity.id)).all()
    assert actions[-1] == "items.assigned"

    again = editor.post(f"{ITEMS}/category", htmx=True, data=form)
    assert "already assigned" in json.loads(again.headers["HX-Trigger"])["notify"]["message"]

    form["assign"] = "0"
    response = editor.post(f"{ITEMS}/category", htmx=True, data=form)
    assert marks(response) == {"hammers": "none", "claw": "none", "claw-mini": "none"}
    assert item_ids(api, "CATEGORY") == []


def test_viewers_may_not_assign_and_writes_need_the_csrf_token(api, viewer, editor, gold):
    form = {"id": "hammers", "assign": "1"}
    assert viewer.post(f"{ITEMS}/category", htmx=True, data=form).status_code == 403
    product = {"id": "h00", "assign": "1"}
    assert viewer.post(f"{ITEMS}/product", htmx=True, data=product).status_code == 403
    assert editor.post(f"{ITEMS}/category", htmx=True, csrf=False, data=form).status_code == 400
    assert item_ids(api, "CATEGORY") == []


def test_unknown_items_and_segments_are_not_found(editor, gold):
    response = editor.post(f"{ITEMS}/category", htmx=True, data={"id": "nope", "assign": "1"})
    assert response.status_code == 404
    assert "not in this tenant's directory" in response.get_data(as_text=True)
    assert editor.get("/segments/nope/items").status_code == 404
    assert editor.get(f"{ITEMS}/products?category=nope", htmx=True).status_code == 404


def test_without_javascript_the_path_opens_by_url_and_toggles_are_forms(editor, gold):
    html = editor.get(f"{ITEMS}?open=claw").get_data(as_text=True)
    assert nodes(html) == ["tools", "saws", "hammers", "claw", "claw-mini", "garden"]
    for category in ("tools", "hammers", "claw"):
        item = re.search(rf'aria-expanded="(\w+)"\s+data-category="{category}"', html)
        assert item and item.group(1) == "true"
    assert f'href="{ITEMS}?open=hammers"' in html  # claw's toggle closes it
    assert f'action="{ITEMS}/category"' in html

    response = editor.post(f"{ITEMS}/category", data={"id": "claw", "assign": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{ITEMS}?open=claw"
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Assigned “Claw”" in page
    assert marks_of(page)["claw-mini"] == "covered"

    back = f"{ITEMS}?open=hammers&category=hammers&page=2"
    response = editor.post(f"{ITEMS}/product", data={"id": "h27", "assign": "1", "back": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    off_site = {"id": "h27", "assign": "0", "back": "https://evil.example/"}
    assert editor.post(f"{ITEMS}/product", data=off_site).headers["Location"] == ITEMS


def marks_of(html: str) -> dict[str, str]:
    return dict(MARK.findall(html))


def test_products_are_paged_and_have_their_own_toggles(api, editor, gold):
    first = editor.get(f"{ITEMS}/products?category=hammers", htmx=True)
    html = first.get_data(as_text=True)
    assert len(marks(first)) == 25 and "Page 1 of 2" in html
    assert f'hx-get="{ITEMS}/products?category=hammers&amp;page=2"' in html
    assert f'href="{ITEMS}?open=hammers&amp;category=hammers&amp;page=2"' in html
    second = editor.get(f"{ITEMS}/products?category=hammers&page=2", htmx=True)
    assert sorted(marks(second)) == ["h25", "h26", "h27", "h28", "h29"]

    response = editor.post(f"{ITEMS}/product", htmx=True, data={"id": "h26", "assign": "1"})
    assert marks(response) == {"h26": "assigned"}
    assert response.get_data(as_text=True).lstrip().startswith("<tr")
    assert item_ids(api, "PRODUCT") == ["h26"]

    api.put("/segments/gold/items/CATEGORY/hammers")
    claw = editor.get(f"{ITEMS}/products?category=claw", htmx=True)
    assert marks(claw) == {"p-claw": "covered"}
    assert "A category above this one is assigned" in claw.get_data(as_text=True)
    assert marks(second)["h27"] == "none"
    assert marks(editor.get(f"{ITEMS}/products?category=hammers&page=2", htmx=True)) == {
        "h25": "covered",
        "h26": "assigned",
        "h27": "covered",
        "h28": "covered",
        "h29": "covered",
    }
    response = editor.post(f"{ITEMS}/product", htmx=True, data={"id": "h26", "assign": "0"})
    assert marks(response) == {"h26": "covered"}
    assert item_ids(api, "PRODUCT") == []

    # without htmx, the fragment's URL is the page showing that panel
    plain = editor.get(f"{ITEMS}/products?category=claw")
    assert plain.status_code == 303
    assert plain.headers["Location"] == f"{ITEMS}?open=claw&category=claw"
    page = editor.get(plain.headers["Location"]).get_data(as_text=True)
    assert "Claw hammer" in page and 'id="products-panel"' in page


def test_search_finds_categories_and_products_by_name_code_or_id(viewer, gold):
    def found(q: str) -> list[str]:
        response = viewer.get(ITEMS, htmx=True, query_string={"q": q})
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in html
        return re.findall(r'data-(?:category|product)="([^"]+)"', html)

    assert found("garten") == ["garden"]
    assert found("g-7") == ["garden"]
    assert found("klauen") == ["p-claw"]
    assert found("p-saw") == ["p-saw"]
    assert found("claw") == ["claw", "claw-mini", "p-claw"]
    assert found("%") == []
    html = viewer.get(ITEMS, query_string={"q": "claw-mini"}).get_data(as_text=True)
    assert "<html" in html
    # the path above a found category
    assert re.search(r"Tools \W+</span>\s*<span class=\"muted\">Hammers \W+</span>", html)
    nothing = viewer.get(ITEMS, htmx=True, query_string={"q": "zzz"})
    assert "Nothing matches" in nothing.get_data(as_text=True)


def test_search_shows_the_marks(api, viewer, gold):
    api.put("/segments/gold/items/CATEGORY/hammers")
    response = viewer.get(ITEMS, htmx=True, query_string={"q": "claw"})
    assert marks(response) == {"claw": "covered", "claw-mini": "covered", "p-claw": "covered"}


@pytest.fixture
def wide(app, tenant, gold, api):
    """Two categories with 3 and 30 children, each child with a grandchild and a product, and
    every other child assigned to gold."""
    with directory(app):
        for parent, size in (("wide3", 3), ("wide30", 30)):
            add_category(tenant, parent)
            for n in range(size):
                add_category(tenant, f"{parent}-{n}", parent, position=n)
                add_category(tenant, f"{parent}-{n}-x", f"{parent}-{n}")
                add_product(tenant, f"{parent}-p{n}", (f"{parent}-{n}",))
    for parent, size in (("wide3", 3), ("wide30", 30)):
        for n in range(0, size, 2):
            api.put(f"/segments/gold/items/CATEGORY/{parent}-{n}")


def test_expanding_costs_the_same_queries_for_3_or_30_children(viewer, wide, count_queries):
    costs = {}
    for parent in ("wide3", "wide30", "wide3-0", "wide30-0"):
        with count_queries() as n:
            response = viewer.get(f"{ITEMS}/tree?parent={parent}", htmx=True)
        assert response.status_code == 200
        costs[parent] = n()
    assert costs["wide3"] == costs["wide30"]
    assert costs["wide3-0"] == costs["wide30-0"]
    for parent in ("wide3-1-x", "wide30-1-x"):
        with count_queries() as n:
            assert viewer.get(f"{ITEMS}?open={parent}").status_code == 200
        costs[parent] = n()
    assert costs["wide3-1-x"] == costs["wide30-1-x"]


def test_a_toggle_costs_the_same_queries_however_wide_its_subtree(editor, wide, count_queries):
    costs = []
    for parent in ("wide3", "wide30"):
        with count_queries() as n:
            response = editor.post(
                f"{ITEMS}/category", htmx=True, data={"id": parent, "assign": "1", "open": parent}
            )
        assert response.status_code == 200
        costs.append(n())
    assert costs[0] == costs[1]


def test_cyclic_parents_end_the_walk(app, tenant, api, viewer, gold):
    with directory(app):
        add_category(tenant, "loop-a", "loop-b")
        add_category(tenant, "loop-b", "loop-a")
    api.put("/segments/gold/items/CATEGORY/loop-a")
    assert viewer.get(f"{ITEMS}?open=loop-a&category=loop-a").status_code == 200
    assert marks(viewer.get(f"{ITEMS}/tree?parent=loop-a", htmx=True)) == {"loop-b": "covered"}
    assert marks(viewer.get(f"{ITEMS}/tree?parent=loop-b", htmx=True)) == {"loop-a": "assigned"}
