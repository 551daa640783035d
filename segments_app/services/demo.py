"""Demo data for the embedded run: a tenant with a catalog, customers, segments and members."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import (
    Activity,
    Category,
    Customer,
    CustomerAssignment,
    CustomerLegalEntity,
    ItemAssignment,
    LegalEntity,
    Product,
    ProductCategory,
    Segment,
    Tenant,
)
from ..models.types import utcnow
from . import attributes, counters, demo_facts
from .accounts import create_user
from .longwork import lift_statement_timeout
from .tenants import create_tenant

DEMO_TENANT = "demo"
DEMO_CUSTOMER_EMAIL = "anna.berger@example.com"
DEMO_CUSTOMER_PASSWORD = "storefront-demo"
#: marketer logins of the demo tenant (email, role); all share DEMO_MARKETER_PASSWORD
DEMO_MARKETERS = (
    ("admin@demo.example", "admin"),
    ("editor@demo.example", "editor"),
    ("viewer@demo.example", "viewer"),
)
DEMO_MARKETER_PASSWORD = "segments-demo"

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Ilse",
    "Jonas",
    "Karl",
    "Lena",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
]
LAST = [
    "Berger",
    "Fischer",
    "Huber",
    "Keller",
    "Lang",
    "Meyer",
    "Neumann",
    "Otto",
    "Richter",
    "Schmid",
    "Vogel",
    "Weber",
    "Wolf",
]
DEPARTMENTS = [
    (
        "tools",
        "Tools",
        "Werkzeuge",
        ["Hammers", "Saws", "Drills", "Wrenches", "Pliers", "Measuring"],
    ),
    ("garden", "Garden", "Garten", ["Lawn", "Plants", "Watering", "Furniture", "Grills", "Soil"]),
    ("kitchen", "Kitchen", "Küche", ["Cookware", "Knives", "Storage", "Appliances", "Tableware"]),
    ("bath", "Bathroom", "Bad", ["Taps", "Showers", "Tiles", "Mirrors", "Towels"]),
    ("light", "Lighting", "Beleuchtung", ["Ceiling", "Wall", "Outdoor", "Bulbs", "Smart"]),
    ("paint", "Paint", "Farbe", ["Interior", "Exterior", "Brushes", "Rollers", "Primer"]),
    ("floor", "Flooring", "Bodenbeläge", ["Laminate", "Parquet", "Vinyl", "Carpet", "Underlay"]),
    ("office", "Office", "Büro", ["Desks", "Chairs", "Paper", "Printers", "Lamps"]),
]
GRADES = ["Basic", "Pro", "Premium", "Compact", "XL", "Eco", "Classic"]
SEGMENTS = [
    ("gold", "Gold customers", "Goldkunden", "main", "ACTIVE", 1800),
    ("silver", "Silver customers", "Silberkunden", "main", "ACTIVE", 1200),
    ("trade", "Trade accounts", "Gewerbekunden", "main", "ACTIVE", 700),
    ("newsletter", "Newsletter subscribers", "Newsletter-Abonnenten", "main", "ACTIVE", 2500),
    ("outlet-vip", "Outlet VIPs", "Outlet-VIPs", "outlet", "ACTIVE", 300),
    ("spring-sale", "Spring sale 2027", "Frühjahrsaktion 2027", "main", "INACTIVE", 900),
    ("lapsed", "Lapsed buyers", "Inaktive Käufer", "main", "INACTIVE", 400),
]


@dataclass(frozen=True)
class DemoSummary:
    tenant: str
    customers: int
    categories: int
    products: int
    segments: int
    memberships: int


def demo_present() -> bool:
    return db.session.scalar(select(Tenant.id).where(Tenant.name == DEMO_TENANT)) is not None


def load_demo(seed: int = 7) -> DemoSummary:
    """Create tenant 'demo' with a catalog, customers, legal entities, segments and members.

    Rows go in with set-based inserts; the caller commits.
    """
    lift_statement_timeout(db.session)
    rnd = random.Random(seed)
    tenant = create_tenant(DEMO_TENANT, ["en", "de"], "en")
    for email, role in DEMO_MARKETERS:
        create_user(tenant, email, role, DEMO_MARKETER_PASSWORD)
    now = utcnow()
    stamp: dict[str, Any] = {
        "tenant_id": tenant.id,
        "version": 1,
        "created_at": now,
        "modified_at": now,
    }

    # attributes draw from their own generator, so the rest of the demo stays as it was
    facts = random.Random(seed * 1000 + 13)
    entities = [
        {
            **stamp,
            "id": f"le-{i:03d}",
            "name": f"{rnd.choice(LAST)} {suffix} GmbH",
            "attributes": demo_facts.entity_attributes(facts, suffix),
        }
        for i, suffix in enumerate(rnd.choices(["Bau", "Handel", "Technik", "Haus"], k=120))
    ]
    db.session.execute(insert(LegalEntity), entities)
    attributes.remember(tenant.id, "legalEntity", [e["attributes"] for e in entities])

    customers, links = [], []
    for i in range(4000):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        email = f"{first}.{last}.{i}@example.com".lower()
        customers.append(
            {
                **stamp,
                "id": f"c{i:05d}",
                "first_name": first,
                "last_name": last,
                "email": email,
                "email_key": email,
                "password_hash": None,
                "attributes": demo_facts.customer_attributes(facts, now),
            }
        )
    customers[0].update(
        first_name="Anna",
        last_name="Berger",
        email=DEMO_CUSTOMER_EMAIL,
        email_key=DEMO_CUSTOMER_EMAIL,
        password_hash=generate_password_hash(DEMO_CUSTOMER_PASSWORD),
        attributes=demo_facts.first_customer(now),
    )
    db.session.execute(insert(Customer), customers)
    attributes.remember(tenant.id, "customer", [c["attributes"] for c in customers])
    customer_pk = dict(
        db.session.execute(
            select(Customer.id, Customer.pk).where(Customer.tenant_id == tenant.id)
        ).all()
    )
    entity_pk = dict(
        db.session.execute(
            select(LegalEntity.id, LegalEntity.pk).where(LegalEntity.tenant_id == tenant.id)
        ).all()
    )
    b2b: dict[str, list[str]] = {}
    for i, customer in enumerate(customers):
        if i == 0 or rnd.random() < 0.3:
            chosen = rnd.sample(list(entity_pk), 2 if rnd.random() < 0.1 else 1)
            b2b[customer["id"]] = chosen
            links += [
                {
                    "customer_pk": customer_pk[customer["id"]],
                    "legal_entity_id": le,
                    "tenant_id": tenant.id,
                    "position": n,
                }
                for n, le in enumerate(chosen)
            ]
    db.session.execute(insert(CustomerLegalEntity), links)

    categories, leaves = [], []
    for d, (code, en, de, subs) in enumerate(DEPARTMENTS):
        categories.append(_category(stamp, code, None, code.upper(), en, de, d))
        for s, sub in enumerate(subs):
            sub_id = f"{code}-{sub.lower()}"
            categories.append(_category(stamp, sub_id, code, sub_id.upper(), sub, sub, s))
            for g, grade in enumerate(GRADES):
                leaf_id = f"{sub_id}-{grade.lower()}"
                categories.append(
                    _category(
                        stamp,
                        leaf_id,
                        sub_id,
                        leaf_id.upper(),
                        f"{grade} {sub.lower()}",
                        f"{sub} {grade}",
                        g,
                    )
                )
                leaves.append(leaf_id)
    db.session.execute(insert(Category), categories)

    products = [
        {
            **stamp,
            "id": f"p{i:05d}",
            "code": f"SKU-{10000 + i}",
            "name": {"en": f"{rnd.choice(GRADES)} item {i}", "de": f"Artikel {i}"},
        }
        for i in range(3000)
    ]
    db.session.execute(insert(Product), products)
    product_pk = dict(
        db.session.execute(
            select(Product.id, Product.pk).where(Product.tenant_id == tenant.id)
        ).all()
    )
    db.session.execute(
        insert(ProductCategory),
        [
            {
                "product_pk": product_pk[p["id"]],
                "category_id": c,
                "tenant_id": tenant.id,
                "position": n,
            }
            for p in products
            for n, c in enumerate(rnd.sample(leaves, rnd.choice((1, 1, 2))))
        ],
    )
    category_pk = dict(
        db.session.execute(
            select(Category.id, Category.pk).where(Category.tenant_id == tenant.id)
        ).all()
    )

    memberships = 0
    ids = list(customer_pk)
    for n, (sid, en, de, site, status, size) in enumerate(SEGMENTS):
        created = now - timedelta(days=40 - n * 4)
        segment = Segment(
            tenant_id=tenant.id,
            id=sid,
            name={"en": en, "de": de},
            description={"en": f"Demo segment: {en.lower()}."},
            status=status,
            site_code=site,
            version=1,
            created_at=created,
            modified_at=created,
        )
        db.session.add(segment)
        db.session.flush()
        members = rnd.sample(ids, size)
        if sid == "gold" and "c00000" not in members:
            members[0] = "c00000"
        rows = []
        span = int((now - created).total_seconds() // 60)
        for i, cid in enumerate(members):
            entity = b2b.get(cid)
            since = created + timedelta(minutes=i * span // size)
            rows.append(
                {
                    "segment_pk": segment.pk,
                    "customer_pk": customer_pk[cid],
                    "legal_entity_pk": entity_pk[entity[0]] if entity and i % 2 else None,
                    "assignment_type": "MANUAL",
                    "version": 1,
                    "created_at": since,
                    "modified_at": since,
                }
            )
        db.session.execute(insert(CustomerAssignment), rows)
        memberships += len(rows)
        db.session.execute(insert(Activity), _daily_activity(tenant.id, segment, rows, rnd))
        dept = DEPARTMENTS[n % len(DEPARTMENTS)][0]
        items = [
            {
                "segment_pk": segment.pk,
                "item_type": "CATEGORY",
                "category_pk": category_pk[dept],
                "version": 1,
                "created_at": created,
                "modified_at": created,
            }
        ]
        items += [
            {
                "segment_pk": segment.pk,
                "item_type": "PRODUCT",
                "product_pk": product_pk[p],
                "version": 1,
                "created_at": created,
                "modified_at": created,
            }
            for p in rnd.sample(list(product_pk), 12)
        ]
        db.session.execute(insert(ItemAssignment), items)
        counters.adjust(db.session, segment.pk, members=len(rows), items=len(items))
    db.session.flush()
    return DemoSummary(
        DEMO_TENANT, len(customers), len(categories), len(products), len(SEGMENTS), memberships
    )


def _daily_activity(tenant_id: int, segment: Segment, rows: list[dict], rnd: random.Random):
    """Activity rows that tell the story of the demo memberships: additions per day, and a few
    removals, so the overview's chart has something to show."""
    per_day: dict = {}
    for row in rows:
        day = row["created_at"].replace(hour=12, minute=0, second=0, microsecond=0)
        per_day[day] = per_day.get(day, 0) + 1
    events = []
    for day, added in sorted(per_day.items()):
        base = {
            "tenant_id": tenant_id,
            "segment_pk": segment.pk,
            "segment_id": segment.id,
            "at": day,
            "actor": "demo data",
            "detail": None,
        }
        events.append({**base, "action": "members.added", "count": added})
        if rnd.random() < 0.3:
            events.append({**base, "action": "members.removed", "count": rnd.randint(1, 12)})
    return events


def _category(stamp: dict, cid: str, parent: str | None, code: str, en: str, de: str, pos: int):
    return {
        **stamp,
        "id": cid,
        "parent_id": parent,
        "code": code,
        "name": {"en": en, "de": de},
        "localized_description": None,
        "localized_slug": {"en": cid},
        "ecn": None,
        "valid_from": None,
        "valid_to": None,
        "position": pos,
        "published": True,
    }
