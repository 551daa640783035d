"""What a storefront asks of segments: category trees and which products a segment shows.

Both walk the category hierarchy (children name their parent by public id) with recursive
CTEs, so the cost follows the size of the answer, never one query per category.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row, Select, and_, select, union
from sqlalchemy.orm import aliased

from ..errors import BadRequest, ValidationFailed
from ..extensions import db
from ..models import Category, ItemAssignment, Product, ProductCategory, Segment, Tenant
from ..models.types import isoformat
from ..query.i18n import LanguagePrefs
from .segments import effective
from .validation import validate

#: a bound on /match, well below the bind-parameter limits of both databases
MATCH_LIMIT = 10_000


def effective_segment_pks(tenant: Tenant, site_code: str | None = None) -> Select:
    """SELECT of the pks of the tenant's effective segments (of one site if given)."""
    stmt = select(Segment.pk).where(Segment.tenant_id == tenant.id, effective())
    if site_code is not None:
        stmt = stmt.where(Segment.site_code == site_code)
    return stmt


# category trees


TREE_COLUMNS = (
    Category.id,
    Category.parent_id,
    Category.code,
    Category.name,
    Category.localized_description,
    Category.localized_slug,
    Category.ecn,
    Category.valid_from,
    Category.valid_to,
    Category.position,
    Category.published,
)


def tree_rows_query(tenant: Tenant, segment_pks: Select) -> Select:
    """Rows (TREE_COLUMNS..., covered) for the trees of the segments `segment_pks` selects.

    `covered` marks categories assigned to one of them or below one (published ones only,
    since an unpublished category hides its subtree); the other rows are their ancestors,
    unpublished ones included, so the caller can tell which branches are hidden.
    """
    assigned = select(ItemAssignment.category_pk).where(
        ItemAssignment.segment_pk.in_(segment_pks), ItemAssignment.category_pk.is_not(None)
    )
    down = (
        select(Category.pk, Category.id)
        .where(Category.pk.in_(assigned), Category.published.is_(True))
        .cte("covered", recursive=True)
    )
    child = aliased(Category)
    down = down.union(
        select(child.pk, child.id).where(
            child.tenant_id == tenant.id,
            child.parent_id == down.c.id,
            child.published.is_(True),
        )
    )
    up = (
        select(Category.pk, Category.parent_id)
        .where(Category.pk.in_(assigned), Category.published.is_(True))
        .cte("lineage", recursive=True)
    )
    parent = aliased(Category)
    up = up.union(
        select(parent.pk, parent.parent_id).where(
            parent.tenant_id == tenant.id, parent.id == up.c.parent_id
        )
    )
    wanted = union(select(down.c.pk), select(up.c.pk)).subquery()
    covered = Category.pk.in_(select(down.c.pk))
    # plain columns, not entities: a tree can have tens of thousands of nodes
    return (
        select(*TREE_COLUMNS, covered.label("covered"))
        .where(Category.pk.in_(select(wanted.c.pk)))
        .order_by(Category.position, Category.id)
    )


def category_trees(tenant: Tenant, segment_pks: Select, prefs: LanguagePrefs) -> list[dict]:
    """The contract's CategoryTreeResponse for the segments `segment_pks` selects."""
    rows = db.session.execute(tree_rows_query(tenant, segment_pks)).all()
    by_id = {row.id: row for row in rows}
    children: dict[str, list[str]] = defaultdict(list)
    roots: list[str] = []
    for row in rows:
        if row.parent_id is not None and row.parent_id in by_id:
            children[row.parent_id].append(row.id)
        else:
            roots.append(row.id)
    # Rows arrive ordered by (position, id), so every list above is already in sibling order.
    order: list[tuple[str, bool]] = []
    stack = [(root, False) for root in reversed(roots)]
    while stack:
        category_id, has_parent = stack.pop()
        if not by_id[category_id].published:
            continue
        order.append((category_id, has_parent))
        stack.extend((child_id, True) for child_id in reversed(children[category_id]))
    nodes: dict[str, dict] = {}
    # Children come after their parent in `order`, so walking it backwards finishes each
    # subtree before its parent decides whether it has anything to show.
    for category_id, has_parent in reversed(order):
        row = by_id[category_id]
        subcategories = [nodes[c] for c in children[category_id] if c in nodes]
        if not row.covered and not subcategories:
            continue
        nodes[category_id] = _tree_node(row, has_parent, subcategories, prefs)
    return [nodes[root] for root in roots if root in nodes]


def _tree_node(row: Row, has_parent: bool, subcategories: list[dict], prefs: LanguagePrefs) -> dict:
    node: dict[str, Any] = {"id": row.id}
    if has_parent:
        node["parentId"] = row.parent_id
    if row.code is not None:
        node["code"] = row.code
    node["name"] = prefs.pick(row.name)
    if row.localized_description:
        node["localizedDescription"] = prefs.pick(row.localized_description)
    if row.localized_slug:
        node["localizedSlug"] = prefs.pick(row.localized_slug)
    if row.ecn:
        node["ecn"] = row.ecn
    validity = {}
    if row.valid_from is not None:
        validity["from"] = isoformat(row.valid_from)
    if row.valid_to is not None:
        validity["to"] = isoformat(row.valid_to)
    if validity:
        node["validity"] = validity
    node["position"] = row.position
    node["published"] = row.published
    node["isSegmentAssigned"] = bool(row.covered)
    if subcategories:
        node["subcategories"] = subcategories
    return node


# match


def match_request(body: object) -> tuple[list[str], list[str], str]:
    """(product ids, segment ids, site) of a Match body, which may name the site `siteCode`."""
    if not isinstance(body, dict):
        raise ValidationFailed.field("", "The body must be a JSON object.", "type")
    doc = dict(body)
    site_code = doc.pop("siteCode", None)
    if site_code is not None:
        if doc.get("site") not in (None, site_code):
            raise ValidationFailed.field(
                "siteCode", "site and siteCode name different sites; send one of them.", "mismatch"
            )
        doc["site"] = site_code
    validate("Match", doc)
    product_ids = [item["id"] for item in doc["items"]]
    if len(product_ids) > MATCH_LIMIT:
        raise BadRequest(f"items takes at most {MATCH_LIMIT} entries; this has {len(product_ids)}.")
    return product_ids, doc["segmentIds"], doc["site"]


def match_query(tenant: Tenant, product_ids: list[str], segment_ids: list[str], site: str):
    """SELECT of the ids among `product_ids` assigned to one of the effective segments
    `segment_ids` of `site`, directly or through a category at or above one of theirs."""
    segments = effective_segment_pks(tenant, site).where(Segment.id.in_(segment_ids))
    asked = select(Product.pk).where(Product.tenant_id == tenant.id, Product.id.in_(product_ids))
    # Walk up from the products' own categories: the walk is bounded by the request, not by
    # the size of the assigned subtrees.
    lineage = (
        select(ProductCategory.product_pk, ProductCategory.category_id)
        .where(ProductCategory.product_pk.in_(asked))
        .cte("lineage", recursive=True)
    )
    step = aliased(Category)
    lineage = lineage.union(
        select(lineage.c.product_pk, step.parent_id).where(
            step.tenant_id == tenant.id,
            step.id == lineage.c.category_id,
            step.parent_id.is_not(None),
        )
    )
    # `product_pk IS NOT NULL` lets the database read the partial index on (segment_pk,
    # product_pk) instead of the whole table
    direct = select(ItemAssignment.product_pk).where(
        ItemAssignment.segment_pk.in_(segments), ItemAssignment.product_pk.is_not(None)
    )
    through = (
        select(lineage.c.product_pk)
        .join(Category, and_(Category.tenant_id == tenant.id, Category.id == lineage.c.category_id))
        .join(ItemAssignment, ItemAssignment.category_pk == Category.pk)
        .where(ItemAssignment.segment_pk.in_(segments))
    )
    return select(Product.id).where(Product.pk.in_(asked), Product.pk.in_(union(direct, through)))


def match(tenant: Tenant, body: object) -> list[dict[str, str]]:
    """The contract's answer to /segments/match: [{id}] in request order, each product once."""
    product_ids, segment_ids, site = match_request(body)
    if not product_ids or not segment_ids:
        return []
    unique = list(dict.fromkeys(product_ids))
    matched = set(db.session.scalars(match_query(tenant, unique, segment_ids, site)))
    return [{"id": product_id} for product_id in unique if product_id in matched]
