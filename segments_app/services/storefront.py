"""What a storefront asks of segments: category trees and which products a segment shows.

Both walk the category hierarchy (children name their parent by public id) with recursive
CTEs, so the cost follows the size of the answer, never one query per category.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, literal, select, union, union_all
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
    # One row per wanted category with its flag (1: covered), grouped once: `pk IN (covered)`
    # per row is a linear scan of the CTE per category whenever PostgreSQL cannot hash it
    # (whole-tenant trees of thousands of categories).
    flagged = union_all(
        select(down.c.pk, literal(1).label("covered")),
        select(up.c.pk, literal(0).label("covered")),
    ).subquery()
    wanted = (
        select(flagged.c.pk, func.max(flagged.c.covered).label("covered"))
        .group_by(flagged.c.pk)
        .subquery()
    )
    # plain columns, not entities: a tree can have tens of thousands of nodes
    return (
        select(*TREE_COLUMNS, wanted.c.covered)
        .join_from(Category, wanted, Category.pk == wanted.c.pk)
        .order_by(Category.position, Category.id)
    )


def category_trees(tenant: Tenant, segment_pks: Select, prefs: LanguagePrefs) -> list[dict]:
    """The contract's CategoryTreeResponse for the segments `segment_pks` selects."""
    # Plain tuples through the Core connection (no ORM result layer): a tree can have tens of
    # thousands of nodes, and each one is built once from its row.
    rows = db.session.connection().execute(tree_rows_query(tenant, segment_pks)).all()
    present = {row[0] for row in rows}
    pick = None if prefs.full_maps else prefs.pick
    # Rows arrive ordered by (position, id), so every list below is already in sibling order.
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    base: dict[str, dict] = {}
    covered_ids: set[str] = set()
    for (
        category_id,
        parent_id,
        code,
        name,
        description,
        slug,
        ecn,
        valid_from,
        valid_to,
        position,
        published,
        covered,
    ) in rows:
        has_parent = parent_id is not None and parent_id in present
        if has_parent:
            siblings = children.get(parent_id)
            if siblings is None:
                children[parent_id] = [category_id]
            else:
                siblings.append(category_id)
        else:
            roots.append(category_id)
        if not published:
            continue  # an unpublished category hides itself and its subtree
        if covered:
            covered_ids.add(category_id)
        node: dict[str, Any] = {"id": category_id}
        if has_parent:
            node["parentId"] = parent_id
        if code is not None:
            node["code"] = code
        node["name"] = pick(name) if pick else name
        if description:
            node["localizedDescription"] = pick(description) if pick else description
        if slug:
            node["localizedSlug"] = pick(slug) if pick else slug
        if ecn:
            node["ecn"] = ecn
        if valid_from is not None or valid_to is not None:
            validity = {}
            if valid_from is not None:
                validity["from"] = isoformat(valid_from)
            if valid_to is not None:
                validity["to"] = isoformat(valid_to)
            node["validity"] = validity
        node["position"] = position
        node["published"] = published
        node["isSegmentAssigned"] = bool(covered)
        base[category_id] = node
    # Pre-order walk from the roots through published categories only.
    order: list[str] = []
    stack = roots[::-1]
    while stack:
        category_id = stack.pop()
        if category_id not in base:
            continue
        order.append(category_id)
        below = children.get(category_id)
        if below:
            stack.extend(reversed(below))
    # Children come after their parent in `order`, so walking it backwards finishes each
    # subtree before its parent decides whether it has anything to show.
    shown: dict[str, dict] = {}
    for category_id in reversed(order):
        below = children.get(category_id)
        subcategories = [shown[c] for c in below if c in shown] if below else None
        if subcategories:
            node = base[category_id]
            node["subcategories"] = subcategories
            shown[category_id] = node
        elif category_id in covered_ids:
            shown[category_id] = base[category_id]
    return [shown[root] for root in roots if root in shown]


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
    if not _well_formed_match(doc):
        validate("Match", doc)  # raises with the schema's own wording
    product_ids = [item["id"] for item in doc["items"]]
    if len(product_ids) > MATCH_LIMIT:
        raise BadRequest(f"items takes at most {MATCH_LIMIT} entries; this has {len(product_ids)}.")
    return product_ids, doc["segmentIds"], doc["site"]


def _well_formed_match(doc: dict) -> bool:
    """Whether `doc` certainly passes the Match schema (and overlay), checked without
    jsonschema: a request of thousands of items would otherwise spend milliseconds per request
    in the validator. Anything else goes through `validate`, which names the problem."""
    site = doc.get("site")
    items = doc.get("items")
    segment_ids = doc.get("segmentIds")
    return (
        type(site) is str
        and site != ""
        and type(items) is list
        and type(segment_ids) is list
        and all(type(segment_id) is str for segment_id in segment_ids)
        and all(type(item) is dict and type(item.get("id")) is str for item in items)
    )


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
