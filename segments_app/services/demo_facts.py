"""The demo's customer and legal entity attributes: realistic, deterministic for a seed, with
dates relative to the day the demo is loaded (so rules over the last N days find customers)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from ..models.types import isoformat

COUNTRIES = ["DE", "AT", "CH", "NL", "FR"]
TAGS = ["newsletter", "garden", "tools", "app", "outlet", "diy-pro", "vip"]
INDUSTRIES = {
    "Bau": "construction",
    "Handel": "retail",
    "Technik": "engineering",
    "Haus": "facility services",
}


def first_customer(now: datetime) -> dict[str, Any]:
    """The attributes of the demo's storefront customer (Anna Berger)."""
    return {
        "country": "DE",
        "tier": "gold",
        "lifetimeValue": 3120.4,
        "orders": 27,
        "lastOrderAt": isoformat((now - timedelta(days=6)).replace(second=0, microsecond=0)),
        "signupDate": (now - timedelta(days=900)).date().isoformat(),
        "newsletter": True,
        "tags": ["newsletter", "garden", "app"],
    }


def customer_attributes(facts: random.Random, now: datetime) -> dict[str, Any]:
    """A customer's facts for rules: where it lives, what it bought and when, what it likes."""
    country = facts.choices(COUNTRIES, weights=(55, 20, 15, 5, 5))[0]
    orders = min(int(facts.expovariate(1 / 8)), 120)
    value = round(orders * facts.uniform(35, 140), 2)
    signup = now - timedelta(days=facts.randint(30, 2400))
    found: dict[str, Any] = {
        "country": country,
        "tier": "gold" if value >= 1500 else "silver" if value >= 600 else "bronze",
        "lifetimeValue": value,
        "orders": orders,
        "signupDate": signup.date().isoformat(),
        "tags": facts.sample(TAGS, facts.choice((0, 1, 1, 2, 3))),
    }
    if orders:
        ago = timedelta(minutes=facts.randint(60, min(720, (now - signup).days) * 24 * 60))
        found["lastOrderAt"] = isoformat((now - ago).replace(second=0, microsecond=0))
    found["newsletter"] = facts.random() < 0.45
    if not found["tags"]:
        del found["tags"]
    return found


def entity_attributes(facts: random.Random, suffix: str) -> dict[str, Any]:
    return {
        "industry": INDUSTRIES[suffix],
        "employees": int(facts.lognormvariate(3, 1.2)) + 1,
        "country": facts.choices(COUNTRIES[:3], weights=(70, 20, 10))[0],
    }
