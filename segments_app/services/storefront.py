"""What a storefront asks of segments: category trees and which products a segment shows.

Both walk the category hierarchy (children name their parent by public id) with recursive
CTEs, so the cost follows the size of the answer, never one query per category.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import (
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
from ..limits import ARRAY_MAX_ITEMS, MATCH_ITEMS_MAX
from ..models import Category, ItemAssignment, Product, ProductCategory, Segment, Tenant
from ..query.i18n import LanguagePrefs
from ..query.jsonout import EMPTY, NULL, STRING, TIMESTAMP, json_members, member, nested
from .segments import effective
from .validation import validate


def effective_segment_pks(tenant: Tenant, site_code: str | None = None) -> Select:
    """SELECT of the pks of the tenant's effective segments (of one site if given)."""
    stmt = select(Segment.pk).where(Segment.tenant_id == tenant.id, effective())
    if site_code is not None:
        stmt = stmt.where(Segment.site_code == site_code)
    return stmt


# category trees


# What a tree row carries besides its structure: the pieces of its node's JSON text, written
# by the database (query.jsonout) so that a tree of thousands of nodes is never decoded into
# dicts and encoded again. Localized maps and ecn come as their stored JSON text.
NODE_PIECES = (
    json_members(member("id", Category.id, STRING)),
    json_members(member("code", Category.code, STRING, omit=NULL)),
    cast(Category.name, Text),
    cast(Category.localized_description, Text),
    cast(Category.localized_slug, Text),
    cast(Category.ecn, Text),
    json_members(
        nested(
            "validity",
            member("from", Category.valid_from, TIMESTAMP, omit=NULL),
            member("to", Category.valid_to, TIMESTAMP, omit=NULL),
            omit=EMPTY,
        )
    ),
    Category.position,
)
#: the text `,"id":` that starts NODE_PIECES' first piece
_ID_LABEL = len(',"id":')


def _looked_up(outer, columns: tuple, *conditions, lateral: bool, carry: tuple = ()) -> Select:
    """SELECT of `carry` (columns of `outer`) and `columns` of the categories that
    `conditions` tie to each row of `outer`.

    On PostgreSQL (`lateral`) the lookup is a LATERAL subquery behind OFFSET 0, which the
    planner cannot flatten: it then looks each row's categories up in an index. Flattened,
    it hashes the tenant's whole category table instead, because it cannot know that a walk
    or a customer's assignments hold a few hundred rows (measured on a tree of 1,656 nodes
    among 20,000 categories: 25 ms flattened, 12 ms looked up).
    """
    if not lateral:
        return select(*carry, *columns).select_from(outer).where(*conditions)
    found = select(*columns).where(*conditions).offset(0).lateral()
    return select(*carry, *found.c).select_from(outer).join(found, true())


def _lateral() -> bool:
    """Whether the session's database takes _looked_up's LATERAL form (PostgreSQL)."""
    return db.session.get_bind().dialect.name == "postgresql"


def _tree_rows(lateral: bool) -> Select:
    """Rows (id, parent_id, published, covered, *NODE_PIECES) for the trees of the categories
    that the segments `segment_pks` (a bound list) are assigned, in tenant `tenant_id`;
    `lateral` for PostgreSQL (see _looked_up).

    `covered` marks categories assigned to one of them or below one (published ones only,
    since an unpublished category hides its subtree); the other rows are their ancestors,
    unpublished ones included, so the caller can tell which branches are hidden.
    """
    tenant_id = bindparam("tenant_id")
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
    down = select(assigned.c.pk, assigned.c.id).cte("covered", recursive=True)
    child = aliased(Category)
    down = down.union(
        _looked_up(
            down,
            (child.pk, child.id),
            child.tenant_id == tenant_id,
            child.parent_id == down.c.id,
            child.published.is_(True),
            lateral=lateral,
        )
    )
    up = select(assigned.c.pk, assigned.c.parent_id).cte("lineage", recursive=True)
    parent = aliased(Category)
    up = up.union(
        _looked_up(
            up,
            (parent.pk, parent.parent_id),
            parent.tenant_id == tenant_id,
            parent.id == up.c.parent_id,
            lateral=lateral,
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
    return (
        select(Category.id, Category.parent_id, Category.published, wanted.c.covered, *NODE_PIECES)
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
    # a category's id as a JSON string, for its children's parentId
    quoted = {row[0]: row[4][_ID_LABEL:] for row in rows}
    localized = _localizer(prefs)
    # Rows arrive ordered by (position, id), so every list below is already in sibling order.
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    # each shown node's text up to its subcategories, without the closing brace
    opened: dict[str, str] = {}
    covered_ids: set[str] = set()
    for (
        category_id,
        parent_id,
        published,
        covered,
        id_text,
        code_text,
        name,
        description,
        slug,
        ecn,
        validity_text,
        position,
    ) in rows:
        parent_text = quoted.get(parent_id) if parent_id is not None else None
        if parent_text is not None:
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
        parts = ["{", id_text[1:]]
        if parent_text is not None:
            parts += (',"parentId":', parent_text)
        parts += (code_text, ',"name":', "null" if name is None else localized(name))
        if description is not None and description != "{}":
            parts += (',"localizedDescription":', localized(description))
        if slug is not None and slug != "{}":
            parts += (',"localizedSlug":', localized(slug))
        if ecn is not None and ecn != "[]":
            parts += (',"ecn":', ecn)
        parts += (
            validity_text,
            f',"position":{position},"published":true,"isSegmentAssigned":',
            "true" if covered else "false",
        )
        opened[category_id] = "".join(parts)
    # Pre-order walk from the roots through published categories only.
    order: list[str] = []
    stack = roots[::-1]
    while stack:
        category_id = stack.pop()
        if category_id not in opened:
            continue
        order.append(category_id)
        below = children.get(category_id)
        if below:
            stack.extend(reversed(below))
    # Children come after their parent in `order`, so walking it backwards finishes each
    # subtree before its parent decides whether it has anything to show.
    shown: dict[str, str] = {}
    for category_id in reversed(order):
        below = children.get(category_id)
        subcategories = [shown[c] for c in below if c in shown] if below else None
        if subcategories:
            shown[category_id] = (
                opened[category_id] + ',"subcategories":[' + ",".join(subcategories) + "]}"
            )
        elif category_id in covered_ids:
            shown[category_id] = opened[category_id] + "}"
    return "[" + ",".join(shown[root] for root in roots if root in shown) + "]"


def category_trees(tenant: Tenant, segment_pks: Select, prefs: LanguagePrefs) -> list[dict]:
    """category_trees_json, decoded (for the pages that draw a tree)."""
    return json.loads(category_trees_json(tenant, segment_pks, prefs))


def _localizer(prefs: LanguagePrefs) -> Callable[[str], str]:
    """Stored map text -> the text the answer shows: as stored, or the one picked language."""
    if prefs.full_maps:
        return lambda text: text
    # Which language a map shows depends on its keys alone: decide once per set of keys (a
    # tree of thousands of nodes holds a handful of them), then only the value is encoded.
    chosen: dict[tuple[str, ...], tuple[str, str]] = {}

    def localized(text: str) -> str:
        values = json.loads(text)
        if not isinstance(values, dict) or not values:
            return text
        keys = tuple(values)
        pick = chosen.get(keys)
        if pick is None:
            (key,) = prefs.pick(values)
            pick = chosen[keys] = (key, "{" + json.dumps(key, ensure_ascii=False) + ":")
        key, opening = pick
        return opening + json.dumps(values[key], ensure_ascii=False) + "}"

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
    if not _well_formed_match(doc):
        validate("Match", doc)  # raises with the schema's own wording
    return [item["id"] for item in doc["items"]], doc["segmentIds"], doc["site"]


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
        and len(items) <= MATCH_ITEMS_MAX
        and type(segment_ids) is list
        and len(segment_ids) <= ARRAY_MAX_ITEMS
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


def match(tenant: Tenant, body: object) -> list[dict[str, str]]:
    """The contract's answer to /segments/match: [{id}] in request order, each product once."""
    product_ids, segment_ids, site = match_request(body)
    if not product_ids or not segment_ids:
        return []
    unique = list(dict.fromkeys(product_ids))
    matched = set(db.session.scalars(match_query(tenant, unique, segment_ids, site)))
    return [{"id": product_id} for product_id in unique if product_id in matched]
