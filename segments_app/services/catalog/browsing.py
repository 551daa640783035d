"""What a tree page shows (a segment's items tab, or the whole catalog): the tree open down to
one category, a level of it, a category's products panel and a search, each with the marks of
one segment (or, without a segment, how many segments hold each item)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ...errors import NotFound
from ...models import Tenant
from . import trees
from .products import (
    ProductMarks,
    ProductPage,
    product_marks,
    products_in_category,
    segments_of_category,
)
from .searching import SEARCH_LIMIT, Found, search
from .trees import Level, Node, Tree, children_of, lineage, mark, path_to


@dataclass(frozen=True)
class OpenTree:
    tree: Tree
    has_orphans: bool


def open_tree(tenant: Tenant, segment_pk: int | None, open_id: str, show_orphans: bool) -> OpenTree:
    """The roots, with the path to `open_id` open (the way in without script)."""
    path: list[Node] = []
    if open_id:
        path = path_to(open_id, lineage(tenant, [open_id]))
    tree = Tree(children_of(tenant, [None, *(node.id for node in path)]))
    # a path node beyond the first CHILD_LIMIT siblings is shown after them, so it stays open
    parents = [None, *(node.id for node in path)]
    missing = {
        node.id: parent
        for parent, node in zip(parents, path, strict=False)
        if node.parent_id == parent and node.id not in {n.id for n in tree.levels[parent].nodes}
    }
    for node in trees.nodes_by_id(tenant, missing).values():
        tree.levels[missing[node.id]] = replace(tree.levels[missing[node.id]], extra=[node])
    if show_orphans or (path and path[0].parent_id is not None):
        tree.orphans = trees.orphans(tenant)
    mark(tree, tenant, segment_pk)
    return OpenTree(tree, bool(tree.orphans and tree.orphans.nodes) or trees.has_orphans(tenant))


def tree_level(
    tenant: Tenant, segment_pk: int | None, parent: str | None, offset: int, of_orphans: bool
) -> tuple[Tree, Level]:
    """The children of `parent` (or the roots, or the categories whose parent is missing) from
    `offset` on, marked, with the tree that holds them."""
    if of_orphans:
        tree = Tree({}, orphans=trees.orphans(tenant, offset))
        level = tree.orphans
    else:
        tree = Tree(children_of(tenant, [parent], offset))
        level = tree.levels[parent]
    mark(tree, tenant, segment_pk)
    assert level is not None
    return tree, level


def open_below(tenant: Tenant, segment_pk: int, node: Node, open_ids: list[str]) -> Tree:
    """The levels `open_ids` open below `node`, marked with `node` (after it changed), so that
    the marks under it follow."""
    tree = Tree(children_of(tenant, open_ids))
    mark(tree, tenant, segment_pk, extra=[node])
    return tree


@dataclass(frozen=True)
class ProductsView:
    """The products panel: a category, a page of its products and their marks."""

    category: Node | None = None
    path: list[Node] = field(default_factory=list)
    listing: ProductPage | None = None
    marks: ProductMarks = field(default_factory=ProductMarks)
    #: the category's own state in the segment
    state: str = "none"
    #: (the whole catalog) the segments the category is assigned to
    segments: Sequence = field(default_factory=list)


def products_view(
    tenant: Tenant, segment_pk: int | None, category_id: str, page: int = 1
) -> ProductsView:
    """The panel of `category_id`'s products (an empty panel without a category)."""
    if not category_id:
        return ProductsView()
    path = path_to(category_id, lineage(tenant, [category_id]))
    if not path:
        raise NotFound(category_id, f"Category {category_id} is not in this tenant's directory.")
    listing = products_in_category(tenant, category_id, page)
    marks = product_marks(tenant, segment_pk, [row.pk for row in listing.rows])
    if segment_pk is None:
        segments = segments_of_category(path[-1].pk)
        return ProductsView(path[-1], path, listing, marks, segments=segments)
    known = {node.id: node for node in path}
    tree = mark(Tree({}), tenant, segment_pk, [path[-1]], known)
    return ProductsView(path[-1], path, listing, marks, tree.state(category_id))


@dataclass(frozen=True)
class SearchView:
    q: str = ""
    found: Found | None = None
    tree: Tree = field(default_factory=lambda: Tree({}))
    marks: ProductMarks = field(default_factory=ProductMarks)
    limit: int = SEARCH_LIMIT
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

    def path(self, node: Node) -> list[Node]:
        """The categories above a found one, root first."""
        return path_to(node.id, self.found.known)[:-1] if self.found else []


def search_view(
    tenant: Tenant,
    segment_pk: int | None,
    text: str,
    categories_after: str | None = None,
    products_after: str | None = None,
) -> SearchView:
    """Categories and products matching `text`, marked; a search that ran out of time goes on
    after `categories_after`, or (its categories done) after `products_after`."""
    if categories_after is not None:
        found = search(tenant, text, categories_after=categories_after)
    elif products_after is not None:
        found = search(tenant, text, categories_after=None, products_after=products_after)
    else:
        found = search(tenant, text)
    tree = mark(Tree({}), tenant, segment_pk, extra=found.categories, known=found.known)
    marks = product_marks(tenant, segment_pk, [row.pk for row in found.products])
    continued = categories_after is not None or products_after is not None
    return SearchView(text, found, tree, marks, continued=continued)
