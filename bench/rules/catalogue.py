"""The rules the benchmark stores, saves and previews, in the rule language of issue 13.

Each is drawn from a seeded generator out of templates a marketer would write: a country and a
tier, big spenders on the newsletter, recent buyers (relative), lapsed good customers
(relative), tag audiences, B2B by industry, a few built on other segments. They are narrow enough
that 200 of them hold a couple of million memberships over a million customers, as real rule
segments do (a segment of everyone is not a segment).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .data import CHANNELS, COUNTRIES, INDUSTRIES, LANGUAGES, TAGS, TIERS


def cond(field: str, op: str, value: object = None) -> dict:
    out: dict = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


def attr(key: str, op: str, value: object = None) -> dict:
    return cond(f"attributes.{key}", op, value)


@dataclass(frozen=True)
class StoredRule:
    segment_id: str
    rule: dict
    relative: bool


#: the rule saved in figure (a): three conditions, about a tenth of the customers
SAVE_RULE = {
    "all": [
        attr("country", "in", ["DE", "AT", "CH", "FR"]),
        attr("tier", "in", ["silver", "gold", "platinum"]),
        attr("orders", "gte", 3),
    ]
}

_COUNTRIES = list(COUNTRIES)
_TIERS = list(TIERS)


def _relative(rng: random.Random) -> dict:
    if rng.random() < 0.5:
        # recent buyers of a country
        return {
            "all": [
                attr("lastOrderAt", "withinLastDays", rng.choice((7, 14, 30, 60, 90))),
                attr("country", "equals", rng.choice(_COUNTRIES[:10])),
                *([attr("orders", "gte", rng.randint(2, 8))] if rng.random() < 0.5 else []),
            ]
        }
    # lapsed good customers: win-back audiences
    return {
        "all": [
            attr("lastOrderAt", "notWithinLastDays", rng.choice((180, 270, 365))),
            attr("tier", "in", rng.sample(_TIERS[1:], 2)),
            attr("country", "in", rng.sample(_COUNTRIES, 2)),
            *([attr("newsletter", "equals", True)] if rng.random() < 0.5 else []),
        ]
    }


def _absolute(rng: random.Random, earlier: list[str]) -> dict:
    kind = rng.randrange(8)
    if kind == 0:
        return {
            "all": [
                attr("country", "equals", rng.choice(_COUNTRIES)),
                attr("tier", "equals", rng.choice(_TIERS[1:])),
            ]
        }
    if kind == 1:
        return {
            "all": [
                attr("lifetimeValue", "gte", rng.choice((1500, 2500, 4000))),
                attr("newsletter", "equals", True),
                attr("country", "in", rng.sample(_COUNTRIES[:8], 2)),
            ]
        }
    if kind == 2:
        return {
            "all": [
                attr("tags", "contains", rng.choice(TAGS)),
                attr("country", "equals", rng.choice(_COUNTRIES[:10])),
                attr("language", "equals", rng.choice(list(LANGUAGES))),
            ]
        }
    if kind == 3:
        return {
            "all": [
                attr("signupDate", "after", f"202{rng.randint(5, 6)}-0{rng.randint(1, 9)}-01"),
                attr("tier", "in", rng.sample(_TIERS, 2)),
                attr("channel", "equals", rng.choice(list(CHANNELS))),
            ]
        }
    if kind == 4:
        return {
            "any": [
                {
                    "all": [
                        attr("tier", "equals", "platinum"),
                        attr("country", "equals", rng.choice(_COUNTRIES[:6])),
                    ]
                },
                attr("lifetimeValue", "gt", rng.choice((8000, 12000))),
            ]
        }
    if kind == 5:
        return {
            "all": [
                cond("legalEntity.attributes.industry", "equals", rng.choice(INDUSTRIES)),
                cond("legalEntity.attributes.employees", "gte", rng.choice((50, 200, 1000))),
            ]
        }
    if kind == 6 and earlier:
        return {
            "all": [
                {"inSegment": rng.choice(earlier)},
                attr("newsletter", "equals", rng.random() < 0.5),
            ]
        }
    return {
        "all": [
            {"not": attr("tags", "contains", "outlet")},
            attr("orders", "between", sorted((rng.randint(10, 20), rng.randint(20, 40)))),
            attr("language", "equals", rng.choice(list(LANGUAGES))),
            attr("tier", "in", rng.sample(_TIERS, 2)),
        ]
    }


def stored_rules(count: int = 200, relative: int = 50) -> list[StoredRule]:
    """`count` rules, `relative` of them comparing with now (spread through the list)."""
    rng = random.Random(13)
    out: list[StoredRule] = []
    relative_every = count / relative if relative else 0
    for n in range(count):
        segment_id = f"rule-{n + 1:03d}"
        is_relative = (
            bool(relative)
            and int(n % relative_every) == 0
            and (sum(r.relative for r in out) < relative)
        )
        if is_relative:
            rule = _relative(rng)
        else:
            # inSegment only over absolute rules written earlier (no cycles, no chains of
            # relative rules)
            earlier = [
                r.segment_id for r in out if not r.relative and "inSegment" not in str(r.rule)
            ]
            rule = _absolute(rng, earlier[-20:])
        out.append(StoredRule(segment_id, rule, is_relative))
    return out


def preview_rules(count: int = 30) -> list[dict]:
    """Varied three-condition rules, as a marketer edits one: some narrow, some broad."""
    rng = random.Random(31)
    out = []
    for n in range(count):
        kind = n % 5
        if kind == 0:
            rule = [
                attr("country", "in", rng.sample(_COUNTRIES[:6], rng.randint(1, 3))),
                attr("tier", "in", rng.sample(_TIERS, 2)),
                attr("orders", "gte", rng.randint(1, 10)),
            ]
        elif kind == 1:
            rule = [
                attr("lastOrderAt", "withinLastDays", rng.choice((30, 90, 180))),
                attr("newsletter", "equals", rng.random() < 0.5),
                attr("lifetimeValue", "gte", rng.choice((100, 500, 1000))),
            ]
        elif kind == 2:
            rule = [
                attr("tags", "contains", rng.choice(TAGS)),
                attr("country", "equals", rng.choice(_COUNTRIES)),
                attr("tier", "notEquals", "bronze"),
            ]
        elif kind == 3:
            rule = [
                attr("signupDate", "between", ["2024-01-01", f"2025-0{rng.randint(1, 9)}-01"]),
                attr("channel", "in", rng.sample(list(CHANNELS), 2)),
                attr("country", "in", rng.sample(_COUNTRIES, 3)),
            ]
        else:
            rule = [
                attr("tier", "equals", rng.choice(_TIERS)),
                attr(
                    "lifetimeValue",
                    "between",
                    sorted((rng.randint(50, 500), rng.randint(500, 3000))),
                ),
                attr("language", "equals", rng.choice(list(LANGUAGES))),
            ]
        out.append({"all": rule})
    return out
