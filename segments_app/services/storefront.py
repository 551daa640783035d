"""What a storefront asks of segments: category trees and which products a segment shows.

Both walk the category hierarchy (children name their parent by public id) with recursive
CTEs, so the cost follows the size of the answer, never one query per category.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import (
    BindParameter,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.orm import aliased

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Category, ItemAssignment, Product, ProductCategory, Segment, Tenant
from ..models.types import isoformat
from ..query.i18n import LanguagePrefs
from .segments import effective
from .validation import conforms, validate


def effective_segment_pks(tenant: Tenant, site_code: str | None = None) -> Select:
    """SELECT of the pks of the tenant's effective segments (of one site if given)."""
    stmt = select(Segment.pk).where(Segment.tenant_id == tenant.id, effective())
    if site_code is not None:
        stmt = stmt.where(Segment.site_code == site_code)
    return stmt


# category trees


# What a tree row carries besides its structure. Localized maps and ecn come as their stored
# JSON text, embedded in the answer as they are (orjson.Fragment) when no language is picked, so
# that a tree of thousands of nodes is not decoded and encoded again.
NODE_COLUMNS = (
    Category.code,
    cast(Category.name, Text),
    cast(Category.localized_description, Text),
    cast(Category.localized_slug, Text),
    cast(Category.ecn, Text),
    Category.valid_from,
    Category.valid_to,
    Category.position,
)


def _looked_up(outer, columns: tuple, *conditions, lateral: bool, carry: tuple = ()) -> Select:
    """SELECT of `carry` (columns of `outer`) and `columns` of the categories that
    `conditions` tie to each row of `outer`.

    On PostgreSQL (`lateral`) the lookup is a LATERAL subquery behind OFFSET 0, which the
    planner cannot flatten: it then looks each row's categories up in an index. Flattened,
    it hashes the tenant's whole category table instead, because it cannot know that a walk
    or a customer's assignments hold a few hundred rows.
    """
    if not lateral:
        return select(*carry, *columns).select_from(outer).where(*conditions)
    found = select(*columns).where(*conditions).offset(0).lateral()
    return select(*carry, *found.c).select_from(outer).join(found, true())


def _lateral() -> bool:
    """Whether the session's database takes _looked_up's LATERAL form (PostgreSQL)."""
    return db.session.get_bind().dialect.name == "postgresql"


def _walk(
    name: str,
    start: Any,
    carried: str,
    joined: str,
    tenant_id: BindParameter[int],
    lateral: bool,
    *,
    published_only: bool,
) -> Any:
    """Recursive CTE `name` of rows (pk, `carried`): those of `start`, then in each step the
    categories whose `joined` column equals the `carried` value of a row found before
    (children: carried "id", joined "parent_id"; parents the other way round)."""
    walk = select(start.c.pk, start.c[carried]).cte(name, recursive=True)
    node = aliased(Category)
    conditions = [node.tenant_id == tenant_id, getattr(node, joined) == walk.c[carried]]
    if published_only:
        conditions.append(node.published.is_(True))
    step = _looked_up(walk, (node.pk, getattr(node, carried)), *conditions, lateral=lateral)
    return walk.union(step)


def _tree_rows(lateral: bool) -> Select:
    """Rows (id, parent_id, published, covered, *NODE_COLUMNS) for the trees of the categories
    that the segments `segment_pks` (a bound list) are assigned, in tenant `tenant_id`;
    `lateral` for PostgreSQL (see _looked_up).

    `covered` marks categories assigned to one of them or below one (published ones only,
    since an unpublished category hides its subtree); the other rows are their ancestors,
    unpublished ones included, so the caller can tell which branches are hidden.
    """
    tenant_id: BindParameter[int] = bindparam("tenant_id")
    # a category assigned to several of the segments comes once per segment here; the walks'
    # UNION keeps one
    assigned = (
        _looked_up(
            ItemAssignment,
            (Category.pk, Category.id, Category.parent_id),
            Category.pk == ItemAssignment.category_pk,
            Category.published.is_(True),
            lateral=lateral,
        )
        .where(
            ItemAssignment.segment_pk.in_(bindparam("segment_pks", expanding=True)),
            # lets the database read the partial index on (segment_pk, category_pk)
            ItemAssignment.category_pk.is_not(None),
        )
        .cte("assigned")
    )
    # down to the published subtrees, up through every ancestor
    down = _walk("covered", assigned, "id", "parent_id", tenant_id, lateral, published_only=True)
    up = _walk("lineage", assigned, "parent_id", "id", tenant_id, lateral, published_only=False)
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
    return (
        select(Category.id, Category.parent_id, Category.published, wanted.c.covered, *NODE_COLUMNS)
        .join_from(Category, wanted, Category.pk == wanted.c.pk)
        .order_by(Category.position, Category.id)
    )


# Built once: the statement is the same for every tree (two dialect variants)
TREE_ROWS = {lateral: _tree_rows(lateral) for lateral in (False, True)}


def category_trees_json(tenant: Tenant, segment_pks: Select, prefs: LanguagePrefs) -> str:
    """The contract's CategoryTreeResponse for the segments `segment_pks` selects, as JSON text."""
    conn = db.session.connection()
    pks = conn.execute(segment_pks).scalars().all()
    if not pks:
        return "[]"
    statement = TREE_ROWS[_lateral()]
    rows = conn.execute(statement, {"tenant_id": tenant.id, "segment_pks": pks}).all()
    in_answer = {row[0] for row in rows}
    localized = _localizer(prefs)
    # Rows arrive ordered by (position, id), so every list below is already in sibling order.
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    # each shown node without its subcategories
    nodes: dict[str, dict[str, Any]] = {}
    covered_ids: set[str] = set()
    for (
        category_id,
        parent_id,
        published,
        covered,
        code,
        name,
        description,
        slug,
        ecn,
        valid_from,
        valid_to,
        position,
    ) in rows:
        known_parent = parent_id is not None and parent_id in in_answer
        if known_parent:
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
        if known_parent:
            node["parentId"] = parent_id
        if code is not None:
            node["code"] = code
        node["name"] = None if name is None else localized(name)
        if description is not None and description != "{}":
            node["localizedDescription"] = localized(description)
        if slug is not None and slug != "{}":
            node["localizedSlug"] = localized(slug)
        if ecn is not None and ecn != "[]":
            node["ecn"] = orjson.Fragment(ecn)
        if valid_from is not None or valid_to is not None:
            validity = node["validity"] = {}
            if valid_from is not None:
                validity["from"] = isoformat(valid_from)
            if valid_to is not None:
                validity["to"] = isoformat(valid_to)
        node["position"] = position
        node["published"] = True
        node["isSegmentAssigned"] = bool(covered)
        nodes[category_id] = node
    # Pre-order walk from the roots through published categories only.
    order: list[str] = []
    stack = roots[::-1]
    while stack:
        category_id = stack.pop()
        if category_id not in nodes:
            continue
        order.append(category_id)
        below = children.get(category_id)
        if below:
            stack.extend(reversed(below))
    # Children come after their parent in `order`, so walking it backwards finishes each
    # subtree before its parent decides whether it has anything to show.
    shown: dict[str, dict[str, Any]] = {}
    for category_id in reversed(order):
        below = children.get(category_id)
        subcategories = [shown[c] for c in below if c in shown] if below else None
        if subcategories:
            nodes[category_id]["subcategories"] = subcategories
            shown[category_id] = nodes[category_id]
        elif category_id in covered_ids:
            shown[category_id] = nodes[category_id]
    return orjson.dumps([shown[root] for root in roots if root in shown]).decode()


def category_trees(tenant: Tenant, segment_pks: Select, prefs: LanguagePrefs) -> list[dict]:
    """category_trees_json, decoded (for the pages that draw a tree)."""
    return orjson.loads(category_trees_json(tenant, segment_pks, prefs))


def _localizer(prefs: LanguagePrefs) -> Callable[[str], Any]:
    """Stored map text -> what the answer shows: the map as stored, or the one picked language."""
    if prefs.full_maps:
        return orjson.Fragment
    # Which language a map shows depends on its keys alone: decide once per set of keys (a
    # tree of thousands of nodes holds a handful of them).
    chosen: dict[tuple[str, ...], str] = {}

    def localized(text: str) -> Any:
        values = orjson.loads(text)
        if not isinstance(values, dict) or not values:
            return orjson.Fragment(text)
        keys = tuple(values)
        key = chosen.get(keys)
        if key is None:
            (key,) = prefs.pick(values)
            chosen[keys] = key
        return {key: values[key]}

    return localized


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
    if not conforms("Match", doc):
        validate("Match", doc)  # raises with the schema's own wording
    return [item["id"] for item in doc["items"]], doc["segmentIds"], doc["site"]


def _match_query(tenant: Tenant, product_ids: list[str], segment_ids: list[str], site: str):
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
        _looked_up(
            lineage,
            (step.parent_id,),
            step.tenant_id == tenant.id,
            step.id == lineage.c.category_id,
            step.parent_id.is_not(None),
            lateral=_lateral(),
            carry=(lineage.c.product_pk,),
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


def matching_products(
    tenant: Tenant, product_ids: list[str], segment_ids: list[str], site: str
) -> list[str]:
    """The rule of /segments/match: which of `product_ids` (each once, in their order) the
    effective segments `segment_ids` of `site` show."""
    if not product_ids or not segment_ids:
        return []
    unique = list(dict.fromkeys(product_ids))
    matched = set(db.session.scalars(_match_query(tenant, unique, segment_ids, site)))
    return [product_id for product_id in unique if product_id in matched]


def match(tenant: Tenant, body: object) -> list[dict[str, str]]:
    """The contract's answer to /segments/match: [{id}] in request order, each product once."""
    return [{"id": product_id} for product_id in matching_products(tenant, *match_request(body))]
