"""A checked rule evaluated in plain Python over one customer: the same semantics as the SQL of
rules.sql, written directly (the oracle of the property tests, and the answer for one record)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from segments_app.query.regex import compiled

from .fields import ORDER_OPERATORS, field_ref
from .sql import relative_threshold
from .tree import CheckedRule

__all__ = ["rule_matches"]

_ABSENT: Any = None


def rule_matches(rule: CheckedRule, customer: Mapping, now: datetime) -> bool:
    """Whether `rule` selects `customer`: {"id", "email", "firstName", "lastName",
    "attributes": {...}, "legalEntities": [{"id", "attributes"}], "segments": {segment ids}}."""
    return _holds(rule.tree, customer, now)


def _holds(node: dict, customer: Mapping, now: datetime) -> bool:
    if "all" in node:
        return all(_holds(part, customer, now) for part in node["all"])
    if "any" in node:
        return any(_holds(part, customer, now) for part in node["any"])
    if "not" in node:
        return not _holds(node["not"], customer, now)
    if "inSegment" in node:
        return node["inSegment"] in (customer.get("segments") or ())
    ref = field_ref(node["field"])
    assert ref is not None, node
    if not ref.legal_entity:
        return _condition(node, _value(customer, ref.attribute, ref.column), now)
    return any(
        _condition(node, _value(entity, ref.attribute, "id"), now)
        for entity in customer.get("legalEntities") or ()
    )


def _value(record: Mapping, key: str | None, column: str | None) -> Any:
    if key is not None:
        return (record.get("attributes") or {}).get(key)
    value = record.get(column or "id")
    return value.lower() if column == "email" and isinstance(value, str) else value


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python, but a boolean never equals a number in JSON
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _condition(node: dict, value: Any, now: datetime) -> bool:
    op = node["op"]
    expected: Any = node.get("value")
    if op == "exists":
        return value is not None
    if op == "missing":
        return value is None
    if value is None:
        return False
    if isinstance(value, list):  # tags
        found = any(tag in value for tag in ([expected] if op == "contains" else expected))
        return not found if op == "notIn" else found
    if op in ("withinLastDays", "notWithinLastDays"):
        # a date key holds "YYYY-MM-DD", a date-time key the longer canonical form
        threshold = relative_threshold("date" if len(value) == 10 else "datetime", expected, now)
        return value >= threshold if op == "withinLastDays" else value < threshold
    if op == "equals":
        return _same(value, expected)
    if op == "notEquals":
        return not _same(value, expected)
    if op == "in":
        return any(_same(value, item) for item in expected)
    if op == "notIn":
        return not any(_same(value, item) for item in expected)
    if op == "between":
        return expected[0] <= value <= expected[1]
    if op in ORDER_OPERATORS:
        return ORDER_OPERATORS[op](value, expected)
    if op == "contains":
        return expected in value
    if op == "startsWith":
        return value.startswith(expected)
    if op == "matches":
        return compiled(expected).search(value) is not None
    raise ValueError(f"operator {op}")  # pragma: no cover - check_rule refuses it
