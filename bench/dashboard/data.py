"""The dashboard data set: one tenant whose largest segment has a million members.

Generated in memory, deterministic for a seed, and written by bench.storefront's loader (COPY
on PostgreSQL, executemany in one transaction on SQLite, secondary indexes rebuilt after).
At the default `members` of 1,000,000:

- 1,050,000 customers with names and e-mails (a fifth B2B, each linked to one of 25,000 legal
  entities), of which the first 1,000,000 are the members of segment `everyone`;
- SEGMENTS segments (names in English and German from bench.api_throughput's generator):
  `everyone`, nine of 20,000 members and the rest of 50;
- 20,000 categories six levels deep (bench.storefront's level sizes), 200,000 products in
  about 300,000 product-category links, mostly on the two lowest levels;
- item assignments: 40 categories and 400 products of `everyone`, 5 and 20 of the others;
- ACTIVITY activity rows over the last 60 days (what the overview's chart reads).

Rows are tuples in bench.storefront.data's column order, primary keys included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..api_throughput.seed import segment_rows
from ..storefront import data as layout
from .names import FIRST_NAMES, LAST_NAMES

TENANT = "benchco"
LANGUAGES = ("en", "de")
BIG = "everyone"
SEGMENT_COLUMNS = layout.columns("segment")
#: the nine segments after the big one each have members // MIDDLE_SHARE members
MIDDLE_SEGMENTS = 9
MIDDLE_SHARE = 50
SMALL_MEMBERS = 50
#: categories per level, top first (20,000)
LEVELS = layout.LEVELS


@dataclass(frozen=True)
class Sizes:
    members: int
    segments: int

    @property
    def customers(self) -> int:
        return self.members + self.members // 20

    @property
    def legal_entities(self) -> int:
        return max(1, self.members // 40)

    @property
    def products(self) -> int:
        return 200_000


@dataclass
class DataSet:
    """What bench.storefront.load writes (`rows` by table), and what the probes need to know."""

    tenant_id: int
    sizes: Sizes
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    activity: list[dict] = field(default_factory=list)
    #: a segment with few members, a customer in several segments (B2B), one outside `everyone`
    small_segment: str = ""
    b2b_customer: str = ""
    outsider: str = ""
    #: a category with children and products, a leaf category, a product of `everyone`
    parent_category: str = ""
    leaf_category: str = ""
    assigned_category: str = ""
    product: str = ""

    def count(self, table: str) -> int:
        return len(self.rows[table])


def customer_id(n: int) -> str:
    return f"C{n:07d}"


def build(tenant_id: int, sizes: Sizes, seed: int = 20260301) -> DataSet:
    """The whole data set for the tenant with primary key `tenant_id`."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    data = DataSet(tenant_id, sizes)
    data.rows["segment"] = _segments(tenant_id, sizes.segments)
    data.rows["legal_entity"] = [
        (pk, tenant_id, f"LE{pk:06d}", f"Company {pk} GmbH", 1, now, now)
        for pk in range(1, sizes.legal_entities + 1)
    ]
    entity_of = _customers(rng, data, now)
    levels = _catalog(rng, data, now)
    _customer_assignments(rng, data, entity_of, now)
    _item_assignments(rng, data, levels, now)
    data.activity = _activity(rng, data, now)
    return data


def _segments(tenant_id: int, count: int) -> list[tuple]:
    rows = []
    for pk, row in enumerate(segment_rows(tenant_id, count), start=1):
        for key in ("valid_from", "valid_to", "created_at", "modified_at"):
            if row[key] is not None:
                row[key] = row[key].replace(tzinfo=None)
        if pk == 1:
            row.update(
                id=BIG,
                name={"en": "Everyone", "de": "Alle"},
                status="ACTIVE",
                site_code="main",
                valid_from=None,
                valid_to=None,
            )
        rows.append(tuple(pk if column == "pk" else row[column] for column in SEGMENT_COLUMNS))
    return rows


def _customers(rng: random.Random, data: DataSet, now: datetime) -> dict[int, int]:
    """Customers and their legal entity links; returns customer pk -> legal entity pk."""
    tenant_id = data.tenant_id
    customers, links, entity_of = [], [], {}
    for pk in range(1, data.sizes.customers + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{pk}@example.com".lower()
        customers.append(
            (pk, tenant_id, customer_id(pk), first, last, email, email, None, 1, now, now)
        )
        if rng.random() < 0.2:
            entity = rng.randint(1, data.sizes.legal_entities)
            entity_of[pk] = entity
            links.append((pk, f"LE{entity:06d}", tenant_id, 0))
    data.rows["customer"] = customers
    data.rows["customer_legal_entity"] = links
    data.outsider = customer_id(data.sizes.members + 1)
    data.b2b_customer = customer_id(next(pk for pk in sorted(entity_of) if pk > 1))
    return entity_of


def _catalog(rng: random.Random, data: DataSet, now: datetime) -> list[list[str]]:
    """Categories (LEVELS deep) and products; returns the category ids of each level."""
    tenant_id = data.tenant_id
    categories: list[tuple] = []
    by_level: list[list[str]] = []
    for level, size in enumerate(LEVELS, start=1):
        ids = [f"cat-{level}-{i:05d}" for i in range(size)]
        parents = by_level[-1] if by_level else [None]
        for i, category_id in enumerate(ids):
            name = {"en": f"Category {level}.{i}", "de": f"Kategorie {level}.{i}"}
            categories.append(
                (
                    len(categories) + 1,
                    tenant_id,
                    category_id,
                    rng.choice(parents),
                    f"C{level}{i:05d}",
                    name,
                    None,
                    None,
                    None,
                    None,
                    None,
                    i % 50,
                    rng.random() < 0.98,
                    1,
                    now,
                    now,
                )
            )
        by_level.append(ids)
    data.rows["category"] = categories
    low, lower, middle = by_level[-1], by_level[-2], by_level[2] + by_level[3]
    products, links = [], []
    for pk in range(1, data.sizes.products + 1):
        name = {"en": f"Product {pk}", "de": f"Produkt {pk}"}
        products.append((pk, tenant_id, f"P{pk:07d}", f"SKU-{pk:07d}", name, 1, now, now))
        chosen: set[str] = set()
        while len(chosen) < (2 if rng.random() < 0.5 else 1):
            roll = rng.random()
            chosen.add(rng.choice(low if roll < 0.7 else lower if roll < 0.9 else middle))
        links.extend((pk, c, tenant_id, n) for n, c in enumerate(sorted(chosen)))
    data.rows["product"] = products
    data.rows["product_category"] = links
    parents = {row[3] for row in categories if row[3] is not None}
    data.parent_category = next(c for c in by_level[2] if c in parents)
    data.leaf_category = next(c for c in low if c not in parents)
    return by_level


def _numbered(rng: random.Random, rows: list[tuple]) -> list[tuple]:
    """`rows` in a random order with their primary keys: assignments arrive over time."""
    rng.shuffle(rows)
    return [(pk, *row) for pk, row in enumerate(rows, start=1)]


def _customer_assignments(
    rng: random.Random, data: DataSet, entity_of: dict[int, int], now: datetime
) -> None:
    members = data.sizes.members
    stamp = (None, None, 1, now, now)  # mixins, metadata_mixins, version, created, modified
    rows: list[tuple] = [
        (1, pk, entity_of.get(pk), "MANUAL", *stamp) for pk in range(1, members + 1)
    ]
    population = range(1, data.sizes.customers + 1)
    for segment_pk in range(2, data.sizes.segments + 1):
        size = members // MIDDLE_SHARE if segment_pk <= 1 + MIDDLE_SEGMENTS else SMALL_MEMBERS
        chosen = rng.sample(population, min(size, len(population)))
        if segment_pk <= 1 + MIDDLE_SEGMENTS:
            chosen.append(int(data.b2b_customer[1:]))
        rows.extend((segment_pk, pk, entity_of.get(pk), "MANUAL", *stamp) for pk in set(chosen))
    data.rows["customer_assignment"] = _numbered(rng, rows)
    data.small_segment = data.rows["segment"][-1][2]


def _item_assignments(
    rng: random.Random, data: DataSet, levels: list[list[str]], now: datetime
) -> None:
    category_pk = {row[2]: row[0] for row in data.rows["category"]}
    deep = levels[-1] + levels[-2] + levels[-3]
    stamp = (None, None, 1, now, now)
    rows: list[tuple] = []
    for segment_pk in range(1, data.sizes.segments + 1):
        categories, products = (40, 400) if segment_pk == 1 else (5, 20)
        chosen = rng.sample(deep, categories)
        if segment_pk == 1:
            data.assigned_category = chosen[0]
        rows.extend((segment_pk, "CATEGORY", None, category_pk[c], *stamp) for c in chosen)
        picked = rng.sample(range(1, data.sizes.products + 1), products)
        if segment_pk == 1:
            data.product = f"P{picked[0]:07d}"
        rows.extend((segment_pk, "PRODUCT", pk, None, *stamp) for pk in picked)
    data.rows["item_assignment"] = _numbered(rng, rows)


def _activity(rng: random.Random, data: DataSet, now: datetime, count: int = 100_000) -> list:
    """Membership and item changes over the last 60 days, a fifth on `everyone`."""
    segments = data.rows["segment"]
    actions = ("members.added", "members.removed", "items.assigned", "segment.updated")
    rows = []
    for _ in range(count):
        segment = segments[0] if rng.random() < 0.2 else rng.choice(segments)
        rows.append(
            {
                "tenant_id": data.tenant_id,
                "segment_pk": segment[0],
                "segment_id": segment[2],
                "at": now - timedelta(seconds=rng.randint(0, 60 * 86_400)),
                "actor": rng.choice(("anna@benchco.example", "api-client", "system")),
                "action": rng.choice(actions),
                "count": rng.choice((1, 1, 1, 2, 5, 200)),
                "detail": None,
            }
        )
    return rows
