"""The directory's category tree as the dashboard browses it: a level at a time, with counts,
and for one segment which categories and products are assigned or covered.

Every function costs a fixed number of statements whatever the size of the level: counts come
from grouped queries over the nodes being shown, and "covered" from one walk up the lineage of
what is shown (recursive CTEs over `category (tenant_id, parent_id, position)` and
`product_category (tenant_id, category_id, product_pk)`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Row, Select, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    Category,
    ItemAssignment,
    Product,
    ProductCategory,
    Segment,
    Tenant,
)
from ..models.directory import name_text
from ..query import jsonsql
from . import substring

#: siblings shown at once; a longer level ends with a "show more" step
CHILD_LIMIT = 200
PRODUCT_PAGE_SIZE = 25
SEARCH_LIMIT = 20


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
        if category_id in self.assigned:
            return "assigned"
        return "covered" if category_id in self.covered else "none"


NODE_COLUMNS = (
    Category.pk,
    Category.id,
    Category.parent_id,
    Category.code,
    Category.name,
    Category.published,
)


# levels


def _level_rows(tenant: Tenant, where: ColumnElement[bool], offset: int, limit: int) -> list:
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


def _with_counts(tenant: Tenant, rows: Iterable) -> list[Node]:
    """Nodes for `rows`, their subcategory and product counts read in two grouped queries."""
    rows = list(rows)
    ids = [row.id for row in rows]
    children: dict[str, int] = {}
    products: dict[str, int] = {}
    if ids:
        children = dict(
            db.session.execute(
                select(Category.parent_id, func.count())
                .where(Category.tenant_id == tenant.id, Category.parent_id.in_(ids))
                .group_by(Category.parent_id)
            ).all()
        )
        products = dict(
            db.session.execute(
                select(ProductCategory.category_id, func.count())
                .where(ProductCategory.tenant_id == tenant.id, ProductCategory.category_id.in_(ids))
                .group_by(ProductCategory.category_id)
            ).all()
        )
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


def _levels(rows: list, nodes: list[Node], offset: int, limit: int, key) -> dict:
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
    levels = _levels(rows, _with_counts(tenant, rows), offset, limit, lambda row: row.parent_id)
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
    nodes = _with_counts(tenant, rows)
    return _levels(rows, nodes, offset, limit, lambda row: None).get(None, Level([], offset))


def nodes_by_id(tenant: Tenant, ids: Collection[str]) -> dict[str, Node]:
    """The categories `ids` (those that exist), with counts."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(*NODE_COLUMNS).where(Category.tenant_id == tenant.id, Category.id.in_(list(ids)))
    ).all()
    return {node.id: node for node in _with_counts(tenant, rows)}


# lineage and state


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


def _covered(ids: Iterable[str], parent_of: dict[str, str | None], assigned: set[str]) -> set[str]:
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
    tree.covered = _covered((node.id for node in shown), parent_of, tree.assigned)
    return tree


# products


@dataclass(frozen=True)
class ProductPage:
    rows: list[Row]
    total: int
    page: int
    page_size: int


PRODUCT_COLUMNS = (Product.pk, Product.id, Product.code, Product.name)


def products_in_category(
    tenant: Tenant, category_id: str, page: int = 1, page_size: int = PRODUCT_PAGE_SIZE
) -> ProductPage:
    """A page of the products linked to a category (its own, not its subcategories')."""
    linked = select(ProductCategory.product_pk).where(
        ProductCategory.tenant_id == tenant.id, ProductCategory.category_id == category_id
    )
    total = db.session.scalar(linked.with_only_columns(func.count())) or 0
    page = max(1, min(page, -(-total // page_size)))
    page_pks = linked.order_by(ProductCategory.product_pk).limit(page_size)
    page_pks = page_pks.offset((page - 1) * page_size).subquery()
    rows = db.session.execute(
        select(*PRODUCT_COLUMNS)
        .join(page_pks, page_pks.c.product_pk == Product.pk)
        .order_by(Product.pk)
    ).all()
    return ProductPage(rows, total, page, page_size)


def products_by_id(tenant: Tenant, ids: Collection[str]) -> dict[str, Row]:
    """Rows (PRODUCT_COLUMNS) of the products `ids` that exist, by id."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(*PRODUCT_COLUMNS).where(Product.tenant_id == tenant.id, Product.id.in_(list(ids)))
    )
    return {row.id: row for row in rows}


@dataclass
class ProductMarks:
    """Per product pk: assigned to the segment directly, covered through a category, or (for
    the whole catalog) how many segments it is assigned to."""

    assigned: set[int] = field(default_factory=set)
    covered: set[int] = field(default_factory=set)
    segments: dict[int, int] = field(default_factory=dict)

    def state(self, product_pk: int) -> str:
        if product_pk in self.assigned:
            return "assigned"
        return "covered" if product_pk in self.covered else "none"


def product_marks(
    tenant: Tenant, segment_pk: int | None, product_pks: Collection[int]
) -> ProductMarks:
    """Marks for `product_pks`: for a segment, which it holds directly and which through one
    of their categories or a category above one (four indexed statements); else how many
    segments hold each directly."""
    pks = list(product_pks)
    if not pks:
        return ProductMarks()
    if segment_pk is None:
        return ProductMarks(segments=assignment_counts(ItemAssignment.product_pk, pks))
    direct = set(
        db.session.scalars(
            select(ItemAssignment.product_pk).where(
                ItemAssignment.segment_pk == segment_pk, ItemAssignment.product_pk.in_(pks)
            )
        )
    )
    links = db.session.execute(
        select(ProductCategory.product_pk, ProductCategory.category_id).where(
            ProductCategory.product_pk.in_(pks), ProductCategory.tenant_id == tenant.id
        )
    ).all()
    # a product is covered when one of its categories is assigned or lies below one that is
    known = lineage(tenant, {category_id for _, category_id in links})
    assigned_pks = assigned_categories(segment_pk, {node.pk for node in known.values()})
    assigned = {node.id for node in known.values() if node.pk in assigned_pks}
    parent_of = {node.id: node.parent_id for node in known.values()}
    below = _covered(known, parent_of, assigned)
    covered = {pk for pk, category_id in links if category_id in assigned | below}
    return ProductMarks(direct, covered)


def segments_of_category(category_pk: int) -> list[Row]:
    """Rows (id, name, status) of the segments a category is assigned to."""
    return db.session.execute(
        select(Segment.id, Segment.name, Segment.status)
        .join(ItemAssignment, ItemAssignment.segment_pk == Segment.pk)
        .where(ItemAssignment.category_pk == category_pk)
        .order_by(Segment.id)
    ).all()


# search


#: categories and products a search reads per stretch where no index serves it (each about
#: 15 ms on SQLite, at worst 50 ms; see services.substring)
STRETCH = 20_000


def _matches(model, text: str, languages: Iterable[str]) -> ColumnElement[bool]:
    """The record's id is `text`, or its code or its name in one of `languages` contains it.

    Names are read language by language rather than by expanding the JSON object, which
    costs a third as much on PostgreSQL; and first, when it can, the names' JSON text is
    searched as a whole (a trigram index serves it on PostgreSQL, a plain LIKE is cheap on
    SQLite), so only the records it finds are read language by language.
    """
    names = or_(
        *(substring.contains(jsonsql.json_text(model.name, (lang,)), text) for lang in languages)
    )
    if substring.json_may_contain(text):
        names = and_(substring.contains(name_text(model), text), names)
    return or_(model.id == text, substring.contains(model.code, text), names)


@dataclass(frozen=True)
class Found:
    categories: list[Node]
    products: list[Row]
    #: every found category's ancestors (and itself) by id, for their paths
    known: dict[str, Node]
    #: where a search that ran out of time goes on: the category and the product id after
    #: which to read ("": from the start; None: that list is done)
    categories_after: str | None = None
    products_after: str | None = None
    #: categories and products read by stretches
    read: int = 0

    @property
    def done(self) -> bool:
        return self.categories_after is None and self.products_after is None


def _search_list(tenant: Tenant, model, columns, text: str, after: str, limit: int, until_time):
    def keys(start: str) -> Select:
        return (
            select(model.id)
            .where(model.tenant_id == tenant.id, model.id > start)
            .order_by(model.id)
        )

    def found(start: str, until: str | None, count: int) -> list:
        stmt = select(*columns).where(
            model.tenant_id == tenant.id,
            model.id > start,
            _matches(model, text, tenant.languages),
        )
        if until is not None:
            stmt = stmt.where(model.id <= until)
        return db.session.execute(stmt.order_by(model.id).limit(count)).all()

    return substring.scan(keys, found, after, limit, STRETCH, text, until_time)


def search(
    tenant: Tenant,
    text: str,
    limit: int = SEARCH_LIMIT,
    categories_after: str | None = "",
    products_after: str | None = "",
) -> Found:
    """Categories and products whose id is `text` or whose code or name contains it, by id:
    at most `limit` of each, those with ids after `categories_after` and `products_after`
    ("": all; None: none). Where no index serves the search and it runs out of time, Found
    says where to go on (see services.substring)."""
    text = text.strip()
    if not text:
        return Found([], [], {})
    until_time = substring.deadline()
    rows, products, read = [], [], 0
    if categories_after is not None:
        scan = _search_list(
            tenant, Category, NODE_COLUMNS, text, categories_after, limit, until_time
        )
        rows, categories_after, read = scan.rows[:limit], scan.resume, scan.read
    if products_after is not None and categories_after is None:
        scan = _search_list(
            tenant, Product, PRODUCT_COLUMNS, text, products_after, limit, until_time
        )
        products, products_after, read = scan.rows[:limit], scan.resume, read + scan.read
    categories = _with_counts(tenant, rows)
    known = lineage(tenant, [node.id for node in categories])
    return Found(categories, products, known, categories_after, products_after, read)


# seeing the catalog as one customer


def resolve_products(tenant: Tenant, tokens: list[str]) -> dict[str, tuple[str, dict]]:
    """Each token that names a product by id (or else by code): token -> (id, name)."""
    if not tokens:
        return {}
    rows = db.session.execute(
        select(Product.id, Product.code, Product.name).where(
            Product.tenant_id == tenant.id, or_(Product.id.in_(tokens), Product.code.in_(tokens))
        )
    ).all()
    by_id = {row.id: (row.id, row.name) for row in rows}
    by_code: dict[str, tuple[str, dict]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        if row.code is not None:
            by_code.setdefault(row.code, (row.id, row.name))
    return {t: by_id.get(t) or by_code[t] for t in tokens if t in by_id or t in by_code}
