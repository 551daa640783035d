"""The catalog: the whole directory's category tree (seeing it as one customer is in
catalog_customer).

It also holds what a segment's items tab shares with this page: how a tree page names its URLs
(`TreeLinks`) and how the tree, the products panel and the search of one request are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask import g, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from ..errors import NotFound
from ..services import catalog as service
from . import bp, can
from .args import int_arg, page_arg
from .htmx import render, wants_fragment


def _present(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value not in (None, "", 0, False)}


@dataclass(frozen=True)
class TreeLinks:
    """The URLs of a tree page: a segment's items tab, or the whole catalog."""

    #: the template folder of the page's fragments
    area: str
    page: str
    children: str
    products: str
    language: str
    args: dict[str, str] = field(default_factory=dict)
    #: the segment whose items are shown; None for the whole catalog
    segment_pk: int | None = None
    #: the assign/unassign endpoints, when the user may change items
    toggle_category: str | None = None
    toggle_product: str | None = None

    def page_url(self, **params: Any) -> str:
        return url_for(self.page, **self.args, **_present(params))

    def children_url(self, parent: str | None = None, offset: int = 0, orphans: bool = False):
        params = {"parent": parent, "offset": offset, "orphans": 1 if orphans else None}
        return url_for(self.children, **self.args, **_present(params))

    def products_url(self, category: str, page: int = 1) -> str:
        params = {"category": category, "page": page if page > 1 else None}
        return url_for(self.products, **self.args, **_present(params))

    def toggle_url(self, endpoint: str) -> str:
        return url_for(endpoint, **self.args)


@dataclass(frozen=True)
class TreeQuery:
    """What a tree page shows, as it travels in the URL."""

    open: str = ""
    category: str = ""
    page: int = 1
    q: str = ""
    orphans: bool = False
    #: a search that ran out of time goes on after this category id, or (its categories done)
    #: after this product id
    categories_after: str | None = None
    products_after: str | None = None

    @classmethod
    def from_args(cls, args: MultiDict) -> TreeQuery:
        return cls(
            open=args.get("open", "").strip(),
            category=args.get("category", "").strip(),
            page=page_arg(args.get("page")),
            q=args.get("q", "").strip(),
            orphans=args.get("orphans") == "1",
            categories_after=args.get("categories_after"),
            products_after=args.get("products_after"),
        )

    @property
    def continued(self) -> bool:
        return self.categories_after is not None or self.products_after is not None


@dataclass(frozen=True)
class ProductsView:
    """The products panel: a category, a page of its products and their marks."""

    category: service.Node | None = None
    path: list[service.Node] = field(default_factory=list)
    listing: service.ProductPage | None = None
    marks: service.ProductMarks = field(default_factory=service.ProductMarks)
    #: the category's own state in the segment
    state: str = "none"
    #: (the whole catalog) the segments the category is assigned to
    segments: list = field(default_factory=list)


@dataclass(frozen=True)
class SearchView:
    q: str = ""
    found: service.Found | None = None
    tree: service.Tree = field(default_factory=lambda: service.Tree({}))
    marks: service.ProductMarks = field(default_factory=service.ProductMarks)
    limit: int = service.SEARCH_LIMIT
    #: the results follow on from an earlier search that ran out of time
    continued: bool = False

    def next_params(self) -> dict[str, str]:
        """Where a search that ran out of time goes on (empty when it is done)."""
        found = self.found
        if found is None or found.done:
            return {}
        if found.categories_after is not None:
            return {"categories_after": found.categories_after}
        return {"products_after": found.products_after or ""}

    def path(self, node: service.Node) -> list[service.Node]:
        """The categories above a found one, root first."""
        return service.path_to(node.id, self.found.known)[:-1] if self.found else []


def page_tree(links: TreeLinks, query: TreeQuery) -> dict[str, Any]:
    """The roots, with the path to `query.open` rendered open (the way in without script)."""
    tenant = g.tenant
    path: list[service.Node] = []
    if query.open:
        path = service.path_to(query.open, service.lineage(tenant, [query.open]))
    tree = service.Tree(service.children_of(tenant, [None, *(node.id for node in path)]))
    # a path node beyond the first CHILD_LIMIT siblings is shown after them, so it stays open
    parents = [None, *(node.id for node in path)]
    missing = {
        node.id: parent
        for parent, node in zip(parents, path, strict=False)
        if node.parent_id == parent and node.id not in {n.id for n in tree.levels[parent].nodes}
    }
    for node in service.nodes_by_id(tenant, missing).values():
        tree.levels[missing[node.id]] = replace(tree.levels[missing[node.id]], extra=[node])
    if query.orphans or (path and path[0].parent_id is not None):
        tree.orphans = service.orphans(tenant)
    service.mark(tree, tenant, links.segment_pk)
    has_orphans = bool(tree.orphans and tree.orphans.nodes) or service.has_orphans(tenant)
    return {"tree": tree, "has_orphans": has_orphans}


def products_view(links: TreeLinks, category_id: str, page: int = 1) -> ProductsView:
    """The panel of `category_id`'s products (an empty panel without a category)."""
    if not category_id:
        return ProductsView()
    tenant = g.tenant
    path = service.path_to(category_id, service.lineage(tenant, [category_id]))
    if not path:
        raise NotFound(category_id, f"Category {category_id} is not in this tenant's directory.")
    listing = service.products_in_category(tenant, category_id, page)
    marks = service.product_marks(tenant, links.segment_pk, [row.pk for row in listing.rows])
    if links.segment_pk is None:
        segments = service.segments_of_category(path[-1].pk)
        return ProductsView(path[-1], path, listing, marks, segments=segments)
    known = {node.id: node for node in path}
    tree = service.mark(service.Tree({}), tenant, links.segment_pk, [path[-1]], known)
    return ProductsView(path[-1], path, listing, marks, tree.state(category_id))


def search_view(links: TreeLinks, query: TreeQuery) -> SearchView:
    tenant = g.tenant
    if query.categories_after is not None:
        found = service.search(tenant, query.q, categories_after=query.categories_after)
    elif query.products_after is not None:
        found = service.search(
            tenant, query.q, categories_after=None, products_after=query.products_after
        )
    else:
        found = service.search(tenant, query.q)
    tree = service.mark(
        service.Tree({}), tenant, links.segment_pk, extra=found.categories, known=found.known
    )
    marks = service.product_marks(tenant, links.segment_pk, [row.pk for row in found.products])
    return SearchView(query.q, found, tree, marks, continued=query.continued)


def tree_page(links: TreeLinks, query: TreeQuery) -> dict[str, Any]:
    """The context of a tree page; an htmx request for it wants only the search results."""
    context: dict[str, Any] = {"links": links, "query": query}
    context["search"] = search_view(links, query) if query.q else SearchView()
    if not wants_fragment():
        context.update(page_tree(links, query))
        context["products"] = products_view(links, query.category, query.page)
    return context


def children_fragment(links: TreeLinks):
    """The children of `parent` (or the roots, or the categories whose parent is missing),
    from `offset` on; a request without htmx gets the page with that node open."""
    parent = request.args.get("parent") or None
    orphans = request.args.get("orphans") == "1"
    if not wants_fragment():
        return redirect(links.page_url(open=parent, orphans=orphans), 303)
    offset = int_arg(request.args.get("offset"), 0)
    tenant = g.tenant
    if orphans:
        tree = service.Tree({}, orphans=service.orphans(tenant, offset))
        level = tree.orphans
    else:
        tree = service.Tree(service.children_of(tenant, [parent], offset))
        level = tree.levels[parent]
    service.mark(tree, tenant, links.segment_pk)
    return render(
        f"{links.area}/_children.html",
        level=level,
        parent=parent,
        orphans=orphans,
        tree=tree,
        links=links,
    )


def products_fragment(links: TreeLinks):
    """The products panel of a category; without htmx, the page showing it."""
    category = request.args.get("category", "").strip()
    page = page_arg(request.args.get("page"))
    if not wants_fragment():
        shown = links.page_url(open=category, category=category, page=page if page > 1 else None)
        return redirect(shown, 303)
    return render(
        f"{links.area}/_products.html",
        products=products_view(links, category, page),
        links=links,
    )


def _links() -> TreeLinks:
    language = g.tenant.default_language
    return TreeLinks(
        "catalog", "web.catalog", "web.catalog_children", "web.catalog_products", language
    )


@bp.get("/catalog")
@can("read")
def catalog():
    """The directory's category tree, its products and search, with how many segments each
    category and product is assigned to."""
    query = TreeQuery.from_args(request.args)
    return render("catalog/index.html", "catalog/_search.html", **tree_page(_links(), query))


@bp.get("/catalog/tree")
@can("read")
def catalog_children():
    return children_fragment(_links())


@bp.get("/catalog/products")
@can("read")
def catalog_products():
    return products_fragment(_links())
