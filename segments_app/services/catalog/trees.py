"""The directory's category tree as the dashboard browses it: a level at a time, with counts,
and for one segment which categories and products are assigned or covered.

Every function costs a fixed number of statements whatever the size of the level: counts come
from grouped queries over the nodes being shown, and "covered" from one walk up the lineage of
what is shown (recursive CTEs over `category (tenant_id, parent_id, position)` and
`product_category (tenant_id, category_id, product_pk)`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models import Category, ItemAssignment, ProductCategory, Tenant

#: siblings shown at once; a longer level ends with a "show more" step
CHILD_LIMIT = 200


def marked_state(key, assigned: Collection, covered: Collection) -> str:
    """How a tree row shows a category or product: assigned, covered through a category, or none."""
    if key in assigned:
        return "assigned"
    return "covered" if key in covered else "none"


@dataclass(frozen=True)
class Node:
    """A category as a tree row shows it, with how many subcategories and products it has."""

    pk: int
    id: str
    parent_id: str | None
    code: str | None
    name: dict[str, str]
    published: bool
    children: int = 0
    products: int = 0


@dataclass(frozen=True)
class Level:
    """The children of one parent (None: the roots), from `offset` on."""

    nodes: list[Node]
    offset: int = 0
    more: bool = False
    #: shown after the others though further down the list (the path to an open category)
    extra: list[Node] = field(default_factory=list)

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.nodes)


@dataclass
class Tree:
    """What one render of the tree needs: levels by parent id, and per-category markers."""

    levels: dict[str | None, Level]
    #: the categories whose parent is missing, when they are shown
    orphans: Level | None = None
    #: ids assigned to the segment (segment views only)
    assigned: set[str] = field(default_factory=set)
    #: ids under an assigned ancestor (segment views only)
    covered: set[str] = field(default_factory=set)
    #: how many segments each shown category is assigned to (the whole-catalog view)
    segments: dict[str, int] = field(default_factory=dict)

    def state(self, category_id: str) -> str:
        return marked_state(category_id, self.assigned, self.covered)


NODE_COLUMNS = (
    Category.pk,
    Category.id,
    Category.parent_id,
    Category.code,
    Category.name,
    Category.published,
)


def _level_rows(tenant: Tenant, where: ColumnElement[bool], offset: int, limit: int) -> Sequence:
    """Rows of the categories matching `where`, ranked within their parent; one more than
    `limit` per parent, so the caller can tell whether more follow."""
    rank = (
        func.row_number()
        .over(partition_by=Category.parent_id, order_by=(Category.position, Category.id))
        .label("rank")
    )
    ranked = select(*NODE_COLUMNS, rank).where(Category.tenant_id == tenant.id, where).subquery()
    stmt = (
        select(ranked)
        .where(ranked.c.rank > offset, ranked.c.rank <= offset + limit + 1)
        .order_by(ranked.c.parent_id, ranked.c.rank)
    )
    return db.session.execute(stmt).all()


def _counts(column, tenant_column, tenant: Tenant, ids: list[str]) -> dict[str, int]:
    """How many rows name each of `ids` in `column`: one grouped query."""
    if not ids:
        return {}
    stmt = select(column, func.count()).where(tenant_column == tenant.id, column.in_(ids))
    return dict(db.session.execute(stmt.group_by(column)).all())


def with_counts(tenant: Tenant, rows: Iterable) -> list[Node]:
    """Nodes for `rows`, their subcategory and product counts read in two grouped queries."""
    rows = list(rows)
    ids = [row.id for row in rows]
    children = _counts(Category.parent_id, Category.tenant_id, tenant, ids)
    products = _counts(ProductCategory.category_id, ProductCategory.tenant_id, tenant, ids)
    return [
        Node(
            pk=row.pk,
            id=row.id,
            parent_id=row.parent_id,
            code=row.code,
            name=row.name or {},
            published=row.published,
            children=children.get(row.id, 0),
            products=products.get(row.id, 0),
        )
        for row in rows
    ]


def _levels(rows: Sequence, nodes: list[Node], offset: int, limit: int, key) -> dict:
    levels: dict[str | None, list[Node]] = {}
    for row, node in zip(rows, nodes, strict=True):
        levels.setdefault(key(row), []).append(node)
    return {
        parent: Level(group[:limit], offset, len(group) > limit) for parent, group in levels.items()
    }


def children_of(
    tenant: Tenant,
    parent_ids: Collection[str | None],
    offset: int = 0,
    limit: int = CHILD_LIMIT,
) -> dict[str | None, Level]:
    """The children of each of `parent_ids` (None for the roots), in sibling order, with
    counts: three statements however many parents and children."""
    keys = [p for p in parent_ids if p is not None]
    conditions = []
    if keys:
        conditions.append(Category.parent_id.in_(keys))
    if None in parent_ids:
        conditions.append(Category.parent_id.is_(None))
    if not conditions:
        return {}
    rows = _level_rows(tenant, or_(*conditions), offset, limit)
    levels = _levels(rows, with_counts(tenant, rows), offset, limit, lambda row: row.parent_id)
    return {parent: levels.get(parent, Level([], offset)) for parent in parent_ids}


def _dangling(tenant: Tenant) -> ColumnElement[bool]:
    parent = aliased(Category)
    return and_(
        Category.parent_id.is_not(None),
        ~exists().where(parent.tenant_id == tenant.id, parent.id == Category.parent_id),
    )


def has_orphans(tenant: Tenant) -> bool:
    """Whether some category names a parent the directory does not hold (yet)."""
    stmt = select(Category.pk).where(Category.tenant_id == tenant.id, _dangling(tenant)).limit(1)
    return db.session.scalar(stmt) is not None


def orphans(tenant: Tenant, offset: int = 0, limit: int = CHILD_LIMIT) -> Level:
    """Categories whose parent is missing: roots in all but name."""
    rows = _level_rows(tenant, _dangling(tenant), offset, limit)
    nodes = with_counts(tenant, rows)
    return _levels(rows, nodes, offset, limit, lambda row: None).get(None, Level([], offset))


def nodes_by_id(tenant: Tenant, ids: Collection[str]) -> dict[str, Node]:
    """The categories `ids` (those that exist), with counts."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(*NODE_COLUMNS).where(Category.tenant_id == tenant.id, Category.id.in_(list(ids)))
    ).all()
    return {node.id: node for node in with_counts(tenant, rows)}


def lineage(tenant: Tenant, category_ids: Collection[str]) -> dict[str, Node]:
    """The categories `category_ids` and all their ancestors by id (without counts)."""
    if not category_ids:
        return {}
    # the walk carries every column, so no join back to category (which PostgreSQL would do
    # by hashing the whole table) is needed; UNION, not UNION ALL, ends it on cyclic parents
    up = (
        select(*NODE_COLUMNS)
        .where(Category.tenant_id == tenant.id, Category.id.in_(list(category_ids)))
        .cte("up", recursive=True)
    )
    parent = aliased(Category)
    up = up.union(
        select(*(getattr(parent, column.key) for column in NODE_COLUMNS)).where(
            parent.tenant_id == tenant.id, parent.id == up.c.parent_id
        )
    )
    return {
        row.id: Node(row.pk, row.id, row.parent_id, row.code, row.name or {}, row.published)
        for row in db.session.execute(select(up))
    }


def path_to(category_id: str, known: dict[str, Node]) -> list[Node]:
    """The categories from a root down to `category_id`, as far as `known` reaches."""
    path: list[Node] = []
    seen: set[str] = set()
    current: str | None = category_id
    while current is not None and current in known and current not in seen:
        seen.add(current)
        path.append(known[current])
        current = known[current].parent_id
    return path[::-1]


def assigned_categories(segment_pk: int, category_pks: Collection[int]) -> set[int]:
    """Which of `category_pks` are assigned to the segment (one indexed lookup)."""
    if not category_pks:
        return set()
    return set(
        db.session.scalars(
            select(ItemAssignment.category_pk).where(
                ItemAssignment.segment_pk == segment_pk,
                ItemAssignment.category_pk.in_(list(category_pks)),
            )
        )
    )


def covered_ids(
    ids: Iterable[str], parent_of: dict[str, str | None], assigned: set[str]
) -> set[str]:
    """The ids with an assigned category somewhere above them, walking `parent_of`."""
    covered = set()
    for category_id in ids:
        seen = {category_id}
        parent = parent_of.get(category_id)
        while parent is not None and parent not in seen and parent not in assigned:
            seen.add(parent)
            parent = parent_of.get(parent)
        if parent is not None and parent in assigned:
            covered.add(category_id)
    return covered


def assignment_counts(column, pks: Collection[int]) -> dict[int, int]:
    """How many segments each of `pks` is assigned to, by an ItemAssignment `column`
    (category_pk or product_pk): one grouped query."""
    if not pks:
        return {}
    stmt = select(column, func.count()).where(column.in_(list(pks))).group_by(column)
    return dict(db.session.execute(stmt).all())


def mark(
    tree: Tree,
    tenant: Tenant,
    segment_pk: int | None,
    extra: Iterable[Node] = (),
    known: dict[str, Node] | None = None,
) -> Tree:
    """Fill the tree's markers for the nodes it shows and `extra` ones: assigned and covered
    for a segment (a lineage walk, unless `known` holds it already, and one lookup), else
    per-category segment counts."""
    levels = [*tree.levels.values(), *([tree.orphans] if tree.orphans else [])]
    shown = [node for level in levels for node in (*level.nodes, *level.extra)]
    shown.extend(extra)
    if segment_pk is None:
        counts = assignment_counts(ItemAssignment.category_pk, {node.pk for node in shown})
        tree.segments = {node.id: counts[node.pk] for node in shown if node.pk in counts}
        return tree
    if known is None:
        known = lineage(tenant, {node.parent_id for node in shown if node.parent_id is not None})
    known = {**known}
    known.update({node.id: node for node in shown})
    assigned_pks = assigned_categories(segment_pk, {node.pk for node in known.values()})
    tree.assigned = {node.id for node in known.values() if node.pk in assigned_pks}
    parent_of = {node.id: node.parent_id for node in known.values()}
    tree.covered = covered_ids((node.id for node in shown), parent_of, tree.assigned)
    return tree
