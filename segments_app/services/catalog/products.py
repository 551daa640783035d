"""Products as the catalog shows them: a category's page of products, and for one segment
which products it holds directly or through a category."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Row, or_, select

from ...extensions import db
from ...models import ItemAssignment, Product, ProductCategory, Segment, Tenant
from ...query.listing import Page, page_by_key, read_page
from .trees import assigned_categories, assignment_counts, covered_ids, lineage, marked_state

PRODUCT_PAGE_SIZE = 25


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
    listing = page_by_key(
        select(*PRODUCT_COLUMNS).order_by(Product.pk),
        linked.order_by(ProductCategory.product_pk),
        on=Product.pk,
    )
    paged = read_page(db.session, listing, Page(page, page_size), count=True, within=True)
    rows, total, page = paged.rows, paged.total or 0, paged.page.number
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
        return marked_state(product_pk, self.assigned, self.covered)


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
    below = covered_ids(known, parent_of, assigned)
    covered = {pk for pk, category_id in links if category_id in assigned | below}
    # product_pk may be NULL in the table, never in rows matched by in_(pks)
    return ProductMarks(cast(set[int], direct), covered)


def segments_of_category(category_pk: int) -> Sequence[Row]:
    """Rows (id, name, status) of the segments a category is assigned to."""
    return db.session.execute(
        select(Segment.id, Segment.name, Segment.status)
        .join(ItemAssignment, ItemAssignment.segment_pk == Segment.pk)
        .where(ItemAssignment.category_pk == category_pk)
        .order_by(Segment.id)
    ).all()


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
