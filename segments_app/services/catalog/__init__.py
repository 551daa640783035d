"""The directory's category tree as the dashboard browses it (trees), the products in it
(products), and searching both (searching); the names below are the catalog's public ones."""

from .products import (
    PRODUCT_COLUMNS,
    PRODUCT_PAGE_SIZE,
    ProductMarks,
    ProductPage,
    product_marks,
    products_by_id,
    products_in_category,
    resolve_products,
    segments_of_category,
)
from .searching import SEARCH_LIMIT, Found, search
from .trees import (
    CHILD_LIMIT,
    NODE_COLUMNS,
    Level,
    Node,
    Tree,
    children_of,
    has_orphans,
    lineage,
    mark,
    nodes_by_id,
    orphans,
    path_to,
)

__all__ = [
    "CHILD_LIMIT",
    "NODE_COLUMNS",
    "PRODUCT_COLUMNS",
    "PRODUCT_PAGE_SIZE",
    "SEARCH_LIMIT",
    "Found",
    "Level",
    "Node",
    "ProductMarks",
    "ProductPage",
    "Tree",
    "children_of",
    "has_orphans",
    "lineage",
    "mark",
    "nodes_by_id",
    "orphans",
    "path_to",
    "product_marks",
    "products_by_id",
    "products_in_category",
    "resolve_products",
    "search",
    "segments_of_category",
]
