"""The catalog: the whole directory's category tree, and seeing it as one customer.

It also holds what a segment's items tab shares with this page: how a tree page names its URLs
(`TreeLinks`) and how the tree, the products panel and the search of one request are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from flask import g, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from ..errors import NotFound
from ..extensions import db
from ..models import Customer, Segment
from ..query.i18n import LanguagePrefs
from ..services import catalog as service
from ..services import storefront
from ..services.assignments import customer_view, own_segment_pks
from ..services.directory import find_record
from ..services.segment_search import legal_entities_named, search_customers
from ..services.segments import segments_query
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


# the whole catalog


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


# seeing the catalog as one customer

#: customers the picker offers at once
CANDIDATES = 10
#: a bound on the products one match request names
MATCH_TOKENS = 1000
_TOKENS = re.compile(r"[\s,;]+")


@dataclass
class CustomerLens:
    """A customer (and legal entity) picked on the page, and what a storefront shows it."""

    find: str = ""
    candidates: list[Customer] = field(default_factory=list)
    #: where the search for `find` goes on when it ran out of time (see services.substring)
    after: int | None = None
    read: int = 0
    customer: Customer | None = None
    entities: list[tuple[str, str | None]] = field(default_factory=list)
    entity: str = ""
    site: str = ""
    segments: list[Segment] = field(default_factory=list)
    trees: list[dict] = field(default_factory=list)
    problem: str = ""

    @property
    def sites(self) -> list[str]:
        return sorted({segment.site_code for segment in self.segments})


def _lens(values: MultiDict, with_trees: bool = True) -> CustomerLens:
    """Read the picked customer, legal entity and site; its segments (and category trees) as
    the API computes them for that customer's storefront token with legalEntityId (and
    siteCode)."""
    tenant = g.tenant
    lens = CustomerLens(find=values.get("find", "").strip())
    if lens.find:
        shown = int_arg(values.get("shown"), 0)
        want = max(1, CANDIDATES - shown)
        scan = search_customers(tenant, lens.find, int_arg(values.get("after"), 0), want)
        lens.candidates = scan.rows[:want]
        lens.after, lens.read = scan.resume, int_arg(values.get("read"), 0) + scan.read
    customer_id = values.get("customer", "").strip()
    if not customer_id:
        return lens
    lens.customer = find_record(Customer, tenant, customer_id)
    if lens.customer is None:
        lens.problem = f"There is no customer {customer_id} in the directory."
        return lens
    entity_ids = lens.customer.legal_entity_ids
    names = dict(db.session.execute(legal_entities_named(tenant, entity_ids)).all())
    lens.entities = [(entity_id, names.get(entity_id)) for entity_id in entity_ids]
    entity = values.get("legal_entity", "").strip()
    lens.entity = entity if entity in {entity_id for entity_id, _ in lens.entities} else ""
    own = customer_view(lens.customer, lens.entity or None)
    lens.segments = list(
        db.session.scalars(segments_query(tenant, only_effective=True, membership=own))
    )
    site = values.get("site", "").strip()
    lens.site = site if site in lens.sites else ""
    if not with_trees:
        return lens
    prefs = LanguagePrefs((), tenant.default_language)
    lens.trees = storefront.category_trees(
        tenant, own_segment_pks(tenant, own, lens.site or None), prefs
    )
    return lens


@dataclass(frozen=True)
class MatchRow:
    token: str
    product_id: str | None
    name: dict | None
    #: site -> whether the customer's segments of that site show the product
    matches: dict[str, bool]


def _match(lens: CustomerLens, text: str) -> tuple[list[MatchRow], list[str], str]:
    """For each named product (by id or code), whether `/segments/match` with the customer's
    effective segments of each site says it shows; (rows, sites, a note)."""
    tokens = list(dict.fromkeys(token for token in _TOKENS.split(text) if token))
    note = ""
    if len(tokens) > MATCH_TOKENS:
        note = f"Only the first {MATCH_TOKENS:,} products were checked."
        tokens = tokens[:MATCH_TOKENS]
    products = service.resolve_products(g.tenant, tokens)
    product_ids = list(dict.fromkeys(product_id for product_id, _ in products.values()))
    sites = [lens.site] if lens.site else lens.sites
    matched: dict[str, set[str]] = {}
    for site in sites:
        # the rule of /segments/match, without validating a request body this page built
        segment_ids = [s.id for s in lens.segments if s.site_code == site]
        matched[site] = set()
        if product_ids and segment_ids:
            stmt = storefront.match_query(g.tenant, product_ids, segment_ids, site)
            matched[site] = set(db.session.scalars(stmt))
    rows = []
    for token in tokens:
        product_id, name = products.get(token, (None, None))
        rows.append(
            MatchRow(token, product_id, name, {site: product_id in matched[site] for site in sites})
        )
    return rows, sites, note


@bp.get("/catalog/customer")
@can("read")
def catalog_customer():
    """See as a customer: its effective segments, the category tree a storefront would get
    and, on request, which products it is shown."""
    lens = _lens(request.args)
    return render("catalog/customer.html", "catalog/_customer_view.html", lens=lens, match=None)


@bp.get("/catalog/customer/search")
@can("read")
def catalog_customer_search():
    """Customers by id, email or name, as the picker's input is typed; with `after`, those a
    search that ran out of time finds next (for htmx, only those)."""
    lens = _lens(request.args)
    fragment = "catalog/_customer_results.html"
    if "after" in request.args:
        fragment = "catalog/_customer_items.html"
    shown = int_arg(request.args.get("shown"), 0)
    return render("catalog/customer.html", fragment, lens=lens, match=None, shown=shown)


@bp.post("/catalog/customer/match")
@can("read")
def catalog_customer_match():
    """Which of the listed products the picked customer's segments show, per site."""
    lens = _lens(request.form, with_trees=not wants_fragment())
    text = request.form.get("products", "")
    match = None
    if lens.customer is not None:
        rows, sites, note = _match(lens, text)
        match = {"text": text, "rows": rows, "sites": sites, "note": note}
    return render("catalog/customer.html", "catalog/_match.html", lens=lens, match=match)
