"""The storefront data set, generated in memory and deterministic for a given seed.

At scale 1: 200 segments; 250,000 customers (a fifth of them B2B, in 25,000 legal entities) and
1,000,000 customer assignments, skewed as real segments are (one segment of 120,000 members,
nine of 30,000, the rest about 3,200); 20,000 categories six levels deep; 200,000 products in
300,000 product-category links, mostly in the two lowest levels; 50,000 item assignments,
four fifths products and one fifth categories (mostly of the two lowest levels).

Rows are tuples in the column order of COLUMNS, with public ids and primary keys chosen here
(pk = position + 1), so that the loader can write them with COPY or executemany as they are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

TENANT = "benchshop"
LANGUAGES = ("en", "de")
MAIN_SITE = "main"
SEGMENT_COUNT = 200
#: the customer the storefront requests are made as, and the segments it is in
SHOPPER_EMAIL = "shopper@bench.example"
SHOPPER_PASSWORD = "bench-shopper-password"
SHOPPER_SEGMENTS = (0, 1, 2, 10, 11, 12)
#: segment sizes before scaling: one big, nine large, the rest share what is left
BIG_SEGMENTS = (120_000,) + (30_000,) * 9
#: categories per level, top to bottom (20,000)
LEVELS = (10, 60, 300, 1_500, 5_000, 13_130)

COLUMNS = {
    "segment": (
        "pk tenant_id id name description status site_code valid_from valid_to mixins "
        "metadata_mixins version created_at modified_at"
    ),
    "legal_entity": "pk tenant_id id name version created_at modified_at",
    "customer": (
        "pk tenant_id id first_name last_name email email_key password_hash version created_at "
        "modified_at"
    ),
    "customer_legal_entity": "customer_pk legal_entity_id tenant_id position",
    "category": (
        "pk tenant_id id parent_id code name localized_description localized_slug ecn "
        "valid_from valid_to position published version created_at modified_at"
    ),
    "product": "pk tenant_id id code name version created_at modified_at",
    "product_category": "product_pk category_id tenant_id position",
    "customer_assignment": (
        "pk segment_pk customer_pk legal_entity_pk assignment_type mixins metadata_mixins "
        "version created_at modified_at"
    ),
    "item_assignment": (
        "pk segment_pk item_type product_pk category_pk mixins metadata_mixins version "
        "created_at modified_at"
    ),
}
#: the order tables are written in (foreign keys first)
TABLES = tuple(COLUMNS)
#: columns holding JSON documents (written as JSON text)
JSON_COLUMNS = {
    "name",
    "description",
    "mixins",
    "metadata_mixins",
    "localized_description",
    "localized_slug",
    "ecn",
}


@dataclass(frozen=True)
class Sizes:
    customers: int
    legal_entities: int
    customer_assignments: int
    products: int
    item_assignments: int
    levels: tuple[int, ...]

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(value: int) -> int:
            return max(1, round(value * scale))

        return cls(
            customers=n(250_000),
            legal_entities=n(25_000),
            customer_assignments=n(1_000_000),
            products=n(200_000),
            item_assignments=n(50_000),
            levels=tuple(n(size) for size in LEVELS),
        )


@dataclass
class DataSet:
    tenant_id: int
    sizes: Sizes
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    #: public ids the measured requests use
    big_segment: str = ""
    #: the page of the big segment's customers to read: 1,000 at scale 1, within reach below
    deep_page: int = 1000
    match_segments: list[str] = field(default_factory=list)
    match_products: list[str] = field(default_factory=list)

    def count(self, table: str) -> int:
        return len(self.rows[table])


def _segment_id(index: int) -> str:
    return f"seg-{index:03d}"


def _customer_id(index: int) -> str:
    return f"c{index:07d}"


def _category_id(level: int, index: int) -> str:
    return f"cat-{level}-{index:05d}"


def _product_id(index: int) -> str:
    return f"p{index:07d}"


def build(tenant_id: int, scale: float = 1.0, seed: int = 20260101) -> DataSet:
    """The whole data set for the tenant with primary key `tenant_id`."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    data = DataSet(tenant_id, Sizes.at(scale))
    data.rows["segment"] = _segments(rng, tenant_id, now)
    data.rows["legal_entity"] = [
        (pk, tenant_id, f"le{pk:06d}", f"Company {pk}", 1, now, now)
        for pk in range(1, data.sizes.legal_entities + 1)
    ]
    _customers(rng, data, now)
    levels = _catalog(rng, data, now)
    _customer_assignments(rng, data, now)
    _item_assignments(rng, data, levels, now)
    return data


def _segments(rng: random.Random, tenant_id: int, now: datetime) -> list[tuple]:
    rows = []
    for index in range(SEGMENT_COUNT):
        chosen = index in SHOPPER_SEGMENTS or index < 20
        status = "ACTIVE" if chosen or rng.random() < 0.85 else "INACTIVE"
        valid_from = valid_to = None
        if not chosen and rng.random() < 0.15:
            valid_to = now - timedelta(days=rng.randint(1, 90))  # expired
        elif rng.random() < 0.3:
            valid_from = now - timedelta(days=rng.randint(1, 300))
        site = MAIN_SITE if chosen or rng.random() < 0.9 else "outlet"
        name = {"en": f"Segment {index}", "de": f"Segment {index}"}
        rows.append(
            (
                index + 1,
                tenant_id,
                _segment_id(index),
                name,
                None,
                status,
                site,
                valid_from,
                valid_to,
                None,
                None,
                1,
                now,
                now,
            )
        )
    return rows


def _customers(rng: random.Random, data: DataSet, now: datetime) -> None:
    tenant_id = data.tenant_id
    customers, links = [], []
    for pk in range(1, data.sizes.customers + 1):
        email = SHOPPER_EMAIL if pk == 1 else f"{_customer_id(pk)}@bench.example"
        customers.append(
            (pk, tenant_id, _customer_id(pk), "First", f"Last{pk}", email, email, None, 1, now, now)
        )
        if pk > 1 and rng.random() < 0.2:
            entity = rng.randint(1, data.sizes.legal_entities)
            links.append((pk, f"le{entity:06d}", tenant_id, 0))
    data.rows["customer"] = customers
    data.rows["customer_legal_entity"] = links


def _catalog(rng: random.Random, data: DataSet, now: datetime) -> list[list[str]]:
    """Categories and products; returns the category ids of each level, top first."""
    tenant_id = data.tenant_id
    categories: list[tuple] = []
    by_level: list[list[str]] = []
    for level, size in enumerate(data.sizes.levels, start=1):
        ids = [_category_id(level, i) for i in range(size)]
        parents = by_level[-1] if by_level else [None]
        for i, category_id in enumerate(ids):
            parent = rng.choice(parents)
            name = {"en": f"Category {level}.{i}", "de": f"Kategorie {level}.{i}"}
            published = rng.random() < 0.98
            categories.append(
                (
                    len(categories) + 1,
                    tenant_id,
                    category_id,
                    parent,
                    f"C{level}{i}",
                    name,
                    None,
                    None,
                    None,
                    None,
                    None,
                    i % 50,
                    published,
                    1,
                    now,
                    now,
                )
            )
        by_level.append(ids)
    data.rows["category"] = categories
    low, lower = by_level[-1], by_level[-2]
    middle = by_level[2] + by_level[3] if len(by_level) > 3 else low
    products, links = [], []
    for pk in range(1, data.sizes.products + 1):
        products.append(
            (pk, tenant_id, _product_id(pk), f"P{pk}", {"en": f"Product {pk}"}, 1, now, now)
        )
        count = 2 if rng.random() < 0.5 else 1
        chosen: set[str] = set()
        while len(chosen) < count:
            roll = rng.random()
            chosen.add(rng.choice(low if roll < 0.7 else lower if roll < 0.9 else middle))
        links.extend((pk, c, tenant_id, n) for n, c in enumerate(sorted(chosen)))
    data.rows["product"] = products
    data.rows["product_category"] = links
    return by_level


def _segment_sizes(total: int, scale_big: float) -> list[int]:
    big = [max(1, round(size * scale_big)) for size in BIG_SEGMENTS]
    rest = SEGMENT_COUNT - len(big)
    left = max(rest, total - sum(big))
    return big + [left // rest + (1 if i < left % rest else 0) for i in range(rest)]


def _numbered(rng: random.Random, rows: list[tuple]) -> list[tuple]:
    """`rows` in a random order, each with its primary key in front: assignments arrive over
    time, so a segment's rows are spread over the table rather than side by side."""
    rng.shuffle(rows)
    return [(pk, *row) for pk, row in enumerate(rows, start=1)]


def _customer_assignments(rng: random.Random, data: DataSet, now: datetime) -> None:
    scale = data.sizes.customer_assignments / 1_000_000
    sizes = _segment_sizes(data.sizes.customer_assignments, scale)
    entity_pk = {pk: int(le[2:]) for pk, le, _, _ in data.rows["customer_legal_entity"]}
    population = range(2, data.sizes.customers + 1)  # customer 1 is the shopper
    stamp = (None, None, 1, now, now)  # mixins, metadata_mixins, version, created, modified
    rows: list[tuple] = []
    for index, size in enumerate(sizes):
        members = rng.sample(population, min(size, len(population)))
        if index in SHOPPER_SEGMENTS:
            members.append(1)
        rows.extend(
            (index + 1, customer, entity_pk.get(customer), "MANUAL", *stamp) for customer in members
        )
    data.rows["customer_assignment"] = _numbered(rng, rows)
    data.big_segment = _segment_id(0)
    data.deep_page = min(1000, max(1, sizes[0] // 60))


def _item_assignments(
    rng: random.Random, data: DataSet, levels: list[list[str]], now: datetime
) -> None:
    per_segment = max(1, data.sizes.item_assignments // SEGMENT_COUNT)
    categories_per_segment = max(1, per_segment // 5)
    category_pk = {row[2]: row[0] for row in data.rows["category"]}
    all_products = range(1, data.sizes.products + 1)
    stamp = (None, None, 1, now, now)
    rows: list[tuple] = []
    for segment_pk in range(1, SEGMENT_COUNT + 1):
        products = rng.sample(all_products, per_segment - categories_per_segment)
        rows.extend((segment_pk, "PRODUCT", product, None, *stamp) for product in products)
        chosen: set[str] = set()
        while len(chosen) < categories_per_segment:
            roll = rng.random()
            level = (
                levels[-1]
                if roll < 0.7
                else levels[-2]
                if roll < 0.9
                else levels[2 + (roll < 0.95)]
            )
            chosen.add(rng.choice(level))
        rows.extend((segment_pk, "CATEGORY", None, category_pk[c], *stamp) for c in sorted(chosen))
    # /match: 10 effective segments of the main site and 500 products, a fifth of them
    # assigned to those segments directly
    data.match_segments = [_segment_id(i) for i in range(10, 20)]
    assigned = [_product_id(row[2]) for row in rows if row[1] == "PRODUCT" and 11 <= row[0] <= 20]
    others = [_product_id(pk) for pk in rng.sample(all_products, 500)]
    data.match_products = list(dict.fromkeys(assigned[:100] + others))[:500]
    data.rows["item_assignment"] = _numbered(rng, rows)


def columns(table: str) -> tuple[str, ...]:
    return tuple(COLUMNS[table].split())
