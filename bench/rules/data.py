"""The rules benchmark's data: a million customers of one tenant with 6-10 attributes each, legal
entities for a fifth of them, the tenant's attribute keys, and 200 rules.

Every value comes from a seeded generator, so two runs with the same options hold the same data
(up to the clock: dates are spread over the two years before `now`). Rows are produced lazily, a
customer at a time, so the loader streams them into the database without holding a million
dictionaries.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import orjson

TENANT = "benchrules"
#: bumped whenever the generated data change, so a cached database is not reused by mistake
DATA_VERSION = 1

#: twenty countries, skewed as a European shop's customers would be
COUNTRIES = {
    "DE": 22, "US": 14, "FR": 10, "GB": 9, "IT": 7, "ES": 6, "NL": 5, "AT": 4, "CH": 4,
    "PL": 3.5, "SE": 3, "BE": 3, "DK": 2.5, "NO": 2, "FI": 2, "PT": 1.5, "IE": 1.5, "CZ": 1.5,
    "JP": 1, "CA": 1,
}  # fmt: skip
TIERS = {"bronze": 50, "silver": 30, "gold": 15, "platinum": 5}
TAGS = [
    "newsletter", "b2b", "vip", "outlet", "returns", "gift", "app", "loyalty", "student",
    "wholesale", "eco", "sale-hunter", "early-adopter", "reviewer", "referral",
]  # fmt: skip
LANGUAGES = {"de": 35, "en": 35, "fr": 12, "it": 8, "es": 10}
CHANNELS = {"web": 55, "app": 25, "store": 15, "phone": 5}
INDUSTRIES = [
    "retail", "manufacturing", "health", "education", "hospitality", "logistics", "finance",
    "construction", "agriculture", "public",
]  # fmt: skip

CUSTOMER_KEYS = {
    "country": "string",
    "tier": "string",
    "lifetimeValue": "number",
    "orders": "number",
    "lastOrderAt": "datetime",
    "signupDate": "date",
    "newsletter": "boolean",
    "tags": "tags",
    "language": "string",
    "channel": "string",
}
LEGAL_ENTITY_KEYS = {"industry": "string", "employees": "number", "creditLimit": "number"}

#: customers per legal entity among the fifth of customers that have one
CUSTOMERS_PER_ENTITY = 4


def _weighted(options: dict[str, float]) -> tuple[list[str], list[float]]:
    return list(options), list(options.values())


def datetime_text(moment: datetime) -> str:
    """The canonical stored form of a date-time attribute (UTC, milliseconds, Z)."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def customer_id(n: int) -> str:
    return f"C{n:08d}"


def entity_id(n: int) -> str:
    return f"LE{n:07d}"


@dataclass(frozen=True)
class Shape:
    """How much data: the customer count decides the rest."""

    customers: int
    now: datetime

    @property
    def entities(self) -> int:
        return max(1, self.customers // 5 // CUSTOMERS_PER_ENTITY)

    def entity_of(self, n: int) -> int | None:
        """The legal entity of customer `n` (1-based), or None: every fifth customer has one."""
        if n % 5:
            return None
        return (n // 5 - 1) % self.entities + 1


def customer_attributes(rng: random.Random, now: datetime) -> dict:
    """6 to 10 attributes, as a shop's CRM would hold them."""
    country = rng.choices(*_COUNTRY_CHOICE)[0]
    orders = int(rng.expovariate(1 / 6)) if rng.random() < 0.88 else 0
    value = round(orders * rng.lognormvariate(4.0, 0.8), 2)
    signup = now.date() - timedelta(days=rng.randrange(5 * 365))
    attributes: dict = {
        "country": country,
        "tier": rng.choices(*_TIER_CHOICE)[0],
        "lifetimeValue": value,
        "orders": orders,
        "signupDate": signup.isoformat(),
        "newsletter": rng.random() < 0.4,
    }
    if orders:
        ago = timedelta(seconds=rng.randrange(2 * 365 * 86400))
        attributes["lastOrderAt"] = datetime_text(now - ago)
    count = rng.choices((0, 1, 2, 3, 4), (20, 30, 25, 15, 10))[0]
    if count:
        attributes["tags"] = rng.sample(TAGS, count)
    if rng.random() < 0.5:
        attributes["language"] = rng.choices(*_LANGUAGE_CHOICE)[0]
    if rng.random() < 0.5:
        attributes["channel"] = rng.choices(*_CHANNEL_CHOICE)[0]
    return attributes


_COUNTRY_CHOICE = _weighted(COUNTRIES)
_TIER_CHOICE = _weighted(TIERS)
_LANGUAGE_CHOICE = _weighted(LANGUAGES)
_CHANNEL_CHOICE = _weighted(CHANNELS)


def customer_rows(shape: Shape, tenant_id: int, stamp: str) -> Iterator[tuple]:
    """(pk, tenant_id, id, first_name, last_name, email, email_key, version, created_at,
    modified_at, attributes JSON text) per customer."""
    rng = random.Random(1)
    for n in range(1, shape.customers + 1):
        email = f"c{n:08d}@example.com"
        yield (
            n,
            tenant_id,
            customer_id(n),
            _FIRST[n % len(_FIRST)],
            _LAST[(n // 7) % len(_LAST)],
            email,
            email,
            1,
            stamp,
            stamp,
            orjson.dumps(customer_attributes(rng, shape.now)).decode(),
        )


CUSTOMER_COLUMNS = (
    "pk", "tenant_id", "id", "first_name", "last_name", "email", "email_key", "version",
    "created_at", "modified_at", "attributes",
)  # fmt: skip
ENTITY_COLUMNS = ("pk", "tenant_id", "id", "name", "version", "created_at", "modified_at",
                  "attributes")  # fmt: skip
LINK_COLUMNS = ("customer_pk", "legal_entity_id", "tenant_id", "position")

_FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas"]
_LAST = ["Meyer", "Smith", "Dubois", "Rossi", "Garcia", "Jansen", "Novak", "Berg", "Kowalski"]


def entity_rows(shape: Shape, tenant_id: int, stamp: str) -> Iterator[tuple]:
    rng = random.Random(2)
    for n in range(1, shape.entities + 1):
        attributes = {
            "industry": rng.choice(INDUSTRIES),
            "employees": int(rng.lognormvariate(3.0, 1.5)) + 1,
        }
        if rng.random() < 0.6:
            attributes["creditLimit"] = rng.choice((1000, 5000, 10000, 50000, 100000))
        yield (
            n,
            tenant_id,
            entity_id(n),
            f"Company {n}",
            1,
            stamp,
            stamp,
            orjson.dumps(attributes).decode(),
        )


def link_rows(shape: Shape, tenant_id: int) -> Iterator[tuple]:
    for n in range(5, shape.customers + 1, 5):
        entity = shape.entity_of(n)
        assert entity is not None
        yield (n, entity_id(entity), tenant_id, 0)


def attribute_key_rows(tenant_id: int, stamp: str) -> list[tuple]:
    """(tenant_id, owner, key, type, examples JSON, created_at)."""
    examples = {
        "country": list(COUNTRIES)[:5],
        "tier": list(TIERS),
        "lifetimeValue": [120.5, 80.0, 1840.25, 35.9, 412.0],
        "orders": [1, 3, 12, 5, 0],
        "lastOrderAt": ["2026-11-02T10:00:00.000Z"],
        "signupDate": ["2024-03-01"],
        "newsletter": [True, False],
        "tags": TAGS[:5],
        "language": list(LANGUAGES)[:5],
        "channel": list(CHANNELS),
        "industry": INDUSTRIES[:5],
        "employees": [12, 250, 3],
        "creditLimit": [1000, 5000],
    }
    rows = []
    for owner, keys in (("customer", CUSTOMER_KEYS), ("legalEntity", LEGAL_ENTITY_KEYS)):
        for key, type_ in keys.items():
            rows.append((tenant_id, owner, key, type_, orjson.dumps(examples[key]).decode(), stamp))
    return rows


def day(now: datetime, days_ago: int) -> str:
    return (now.date() - timedelta(days=days_ago)).isoformat()


def as_date(value: str) -> date:
    return date.fromisoformat(value)
