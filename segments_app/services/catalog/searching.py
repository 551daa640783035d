"""Searching the catalog: categories and products by id, code or name, a stretch at a time
where no index serves the search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Select, and_, or_, select

from ...extensions import db
from ...models import Category, Product, Tenant
from ...models.directory import name_text
from ...query import jsonsql
from .. import substring
from .products import PRODUCT_COLUMNS
from .trees import NODE_COLUMNS, Node, lineage, with_counts

#: categories and products a search reads per stretch where no index serves it (each about
#: 15 ms on SQLite, at worst 50 ms; see services.substring)
STRETCH = 20_000
SEARCH_LIMIT = 20


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

    def found(start: str, until: str | None, count: int) -> Sequence:
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
    categories = with_counts(tenant, rows)
    known = lineage(tenant, [node.id for node in categories])
    return Found(categories, products, known, categories_after, products_after, read)
