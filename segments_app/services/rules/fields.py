"""The fields and operators of rules, the attribute types a tenant's keys have, and the
canonical text of dates and date-times in rules."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import sqlalchemy as sa

from segments_app.extensions import db
from segments_app.models.rules import AttributeKey
from segments_app.models.types import isoformat

_ORDERED = ("equals", "notEquals", "before", "after", "between")
_DATES = (*_ORDERED, "withinLastDays", "notWithinLastDays", "exists", "missing")
#: the operators each type of field allows
OPERATORS: dict[str, tuple[str, ...]] = {
    "string": (
        "equals",
        "notEquals",
        "in",
        "notIn",
        "contains",
        "startsWith",
        "matches",
        "exists",
        "missing",
    ),
    "number": (
        "equals",
        "notEquals",
        "in",
        "notIn",
        "gt",
        "gte",
        "lt",
        "lte",
        "between",
        "exists",
        "missing",
    ),
    "boolean": ("equals", "notEquals", "exists", "missing"),
    "date": _DATES,
    "datetime": _DATES,
    "tags": ("contains", "in", "notIn", "exists", "missing"),
}
ALL_OPERATORS = frozenset(op for ops in OPERATORS.values() for op in ops)
NO_VALUE = frozenset({"exists", "missing"})
RELATIVE = frozenset({"withinLastDays", "notWithinLastDays"})
LISTS = frozenset({"in", "notIn"})
_COLUMNS = {"id": "id", "email": "email", "firstName": "firstName", "lastName": "lastName"}
GROUP_KEYS = ("all", "any", "not", "inSegment")
CONDITION_KEYS = ("field", "op", "value")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T.+")


@dataclass(frozen=True)
class AttributeTypes:
    """The type of each attribute key a tenant's customers and legal entities use."""

    customer: Mapping[str, str]
    legal_entity: Mapping[str, str]

    @classmethod
    def for_tenant(cls, tenant_id: int) -> AttributeTypes:
        rows = db.session.execute(
            sa.select(AttributeKey.owner, AttributeKey.key, AttributeKey.type).where(
                AttributeKey.tenant_id == tenant_id
            )
        )
        found: dict[str, dict[str, str]] = {"customer": {}, "legalEntity": {}}
        for owner, key, type_ in rows:
            found.setdefault(owner, {})[key] = type_
        return cls(found["customer"], found["legalEntity"])

    @cached_property
    def key(self) -> tuple:
        """The types as one hashable value, for the caches of what was made from them."""
        return (tuple(sorted(self.customer.items())), tuple(sorted(self.legal_entity.items())))


@dataclass(frozen=True)
class FieldRef:
    """What a condition's field names: a customer's or legal entity's column or attribute."""

    legal_entity: bool
    #: the attribute key, or None for a column
    attribute: str | None
    #: "id", "email", "firstName" or "lastName" when not an attribute
    column: str | None


def field_ref(name: str) -> FieldRef | None:
    """The field `name` refers to, regardless of the tenant's keys; None if it cannot be one."""
    legal_entity = name.startswith("legalEntity.")
    rest = name.removeprefix("legalEntity.")
    if rest.startswith("attributes."):
        key = rest.removeprefix("attributes.")
        return FieldRef(legal_entity, key, None) if _KEY.fullmatch(key) else None
    if legal_entity:
        return FieldRef(True, None, "id") if rest == "id" else None
    return FieldRef(False, None, rest) if rest in _COLUMNS else None


def field_type(name: str, types: AttributeTypes) -> str | None:
    ref = field_ref(name)
    if ref is None:
        return None
    if ref.attribute is None:
        return "string"
    owner = types.legal_entity if ref.legal_entity else types.customer
    return owner.get(ref.attribute)


def canonical_moment(value: object, kind: str) -> str | None:
    """A date ('YYYY-MM-DD') or date-time (models.types.isoformat's form) as stored; a date
    given for a date-time means its midnight UTC. None when `value` is not one."""
    if not isinstance(value, str):
        return None
    try:
        if _DATE.fullmatch(value):
            day = date.fromisoformat(value)
            if kind == "date":
                return day.isoformat()
            return isoformat(datetime(day.year, day.month, day.day, tzinfo=UTC))
        if kind == "datetime" and _DATETIME.fullmatch(value):
            moment = datetime.fromisoformat(value)
            return isoformat(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except (ValueError, OverflowError):
        return None
    return None


def shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def operators_of(kind: str | None) -> str:
    if kind is None:
        return f"operators: {', '.join(sorted(ALL_OPERATORS))}"
    return f"the operators of {kind} fields: {', '.join(OPERATORS[kind])}"


def unknown_field(field: str, types: AttributeTypes) -> str:
    ref = field_ref(field)
    if ref is not None and ref.attribute is not None:
        owner = "legal entities" if ref.legal_entity else "customers"
        keys = sorted(types.legal_entity if ref.legal_entity else types.customer)
        known = ", ".join(keys[:20]) + (", ..." if len(keys) > 20 else "") if keys else "none yet"
        return f"no {owner} have the attribute '{ref.attribute}'; known attributes: {known}"
    return (
        f"unknown field '{field}'; fields are id, email, firstName, lastName,"
        " attributes.<key>, legalEntity.id and legalEntity.attributes.<key>"
    )


#: the ordering operators and the comparison each makes: the same functions compare Python
#: values (pyeval) and build SQL (sql), so the two cannot drift apart
ORDER_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "after": operator.gt,
    "before": operator.lt,
}
