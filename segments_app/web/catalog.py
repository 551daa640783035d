"""The catalog: the whole directory's category tree (seeing it as one customer is in
catalog_customer).

It also holds what a segment's items tab shares with this page: how a tree page names its URLs
(`TreeLinks`) and how the tree, the products panel and the search of one request are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from ..services.catalog import browsing
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
    # Any, as url_for types its values: mypy checks a str value against its _external too
    args: dict[str, Any] = field(default_factory=dict)
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


def tree_page(links: TreeLinks, query: TreeQuery) -> dict[str, Any]:
    """The context of a tree page; an htmx request for it wants only the search results."""
    tenant, segment_pk = g.tenant, links.segment_pk
    context: dict[str, Any] = {"links": links, "query": query}
    context["search"] = (
        browsing.search_view(
            tenant, segment_pk, query.q, query.categories_after, query.products_after
        )
        if query.q
        else browsing.SearchView()
    )
    if not wants_fragment():
        shown = browsing.open_tree(tenant, segment_pk, query.open, query.orphans)
        context["tree"], context["has_orphans"] = shown.tree, shown.has_orphans
        context["products"] = browsing.products_view(tenant, segment_pk, query.category, query.page)
    return context


def children_fragment(links: TreeLinks):
    """The children of `parent` (or the roots, or the categories whose parent is missing),
    from `offset` on; a request without htmx gets the page with that node open."""
    parent = request.args.get("parent") or None
    orphans = request.args.get("orphans") == "1"
    if not wants_fragment():
        return redirect(links.page_url(open=parent, orphans=orphans), 303)
    offset = int_arg(request.args.get("offset"), 0)
    tree, level = browsing.tree_level(g.tenant, links.segment_pk, parent, offset, orphans)
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
        products=browsing.products_view(g.tenant, links.segment_pk, category, page),
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
