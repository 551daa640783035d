"""A checked rule compiled to one WHERE condition over the customer table, for SQLite and
PostgreSQL. Every value travels as a bound parameter; attribute keys (checked against
^[A-Za-z][A-Za-z0-9_]{0,63}$) are written into the SQL, so expression indexes can match.

On PostgreSQL equality, `in` and tags use jsonb containment (`attributes @> '{"k": v}'`, which a
GIN index serves), text and canonical dates `attributes ->> 'k'`, numbers the type-guarded
numeric of query.jsonsql (a bare cast would fail on another tenant's text under the same key).
On SQLite every value is `json_extract(attributes, '$."k"')`, of the JSONB copy of a customer's
attributes (sqlite_attribute).

Attribute values are read as the key's type says (services.attributes keeps them so). A
condition under `not` is made two-valued (false, never NULL, without the value), so that its
negation holds for customers without the value; elsewhere NULL counts as "does not hold".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from segments_app.models import (
    CUSTOMER_ATTRIBUTES_JSONB,
    Customer,
    CustomerAssignment,
    CustomerLegalEntity,
    LegalEntity,
)
from segments_app.models.types import isoformat
from segments_app.query import jsonsql
from segments_app.query.literals import number_bind

from .fields import ORDER_OPERATORS, AttributeTypes, field_ref
from .tree import CheckedRule

__all__ = ["SqlContext", "relative_threshold", "rule_condition", "sqlite_attribute"]

customer = Customer.__table__
_link = CustomerLegalEntity.__table__
_legal_entity = LegalEntity.__table__
_assignment = CustomerAssignment.__table__


@dataclass
class SqlContext:
    tenant_id: int
    now: datetime
    types: AttributeTypes
    #: segment id -> pk, for inSegment
    segment_pks: Mapping[str, int]


def sqlite_attribute(col: Any, key: str) -> ColumnElement[Any]:
    """The attribute `key` of the JSON column `col` as SQLite reads it (and indexes it)."""
    return sa.func.json_extract(_sqlite_document(col), sa.literal_column(f"'$.\"{key}\"'"))


def _sqlite_document(col: Any) -> Any:
    # a customer's JSONB copy (migration 0014): parsed in less than half the time of the text,
    # and with the tenant in an index of its own, which a scan reads instead of the rows
    table = col.table
    if getattr(table, "element", table).name != "customer":
        return col
    return sa.column(CUSTOMER_ATTRIBUTES_JSONB, sa.LargeBinary(), _selectable=table)


def rule_condition(rule: CheckedRule, ctx: SqlContext) -> ColumnElement[bool]:
    """The WHERE condition (over Customer.__table__, correlated) of the customers `rule` selects.

    NULL counts as "not selected": to select the customers it does not hold for, negate
    `sa.func.coalesce(condition, sa.false())` or use NOT EXISTS.
    """
    return _node(rule.tree, ctx, negated=False)


def relative_threshold(kind: str, days: int, now: datetime) -> str:
    """The oldest value withinLastDays `days` accepts: canonical text of a date or date-time."""
    if now.tzinfo is None:  # a naive clock is UTC here, never the machine's local time
        now = now.replace(tzinfo=UTC)
    if kind == "date":
        return (now.astimezone(UTC).date() - timedelta(days=days)).isoformat()
    return isoformat(now - timedelta(days=days)) or ""


def _node(node: dict, ctx: SqlContext, negated: bool) -> ColumnElement[bool]:
    if "all" in node:
        return sa.and_(*(_node(part, ctx, negated) for part in node["all"]))
    if "any" in node:
        return sa.or_(*(_node(part, ctx, negated) for part in node["any"]))
    if "not" in node:
        return sa.not_(_node(node["not"], ctx, negated=True))
    if "inSegment" in node:
        pk = ctx.segment_pks.get(node["inSegment"])
        if pk is None:  # deleted since the rule was checked: it has no members
            return sa.false()
        return (
            sa.exists()
            .where(
                _assignment.c.customer_pk == customer.c.pk,
                _assignment.c.segment_pk == sa.literal(pk, sa.BigInteger()),
            )
            .correlate(customer)
        )
    condition = _condition(node, ctx)
    # EXISTS is never NULL; anything else may be, which `not` would turn into "no" as well
    if negated and not isinstance(condition, sa.Exists):
        return sa.func.coalesce(condition, sa.false())
    return condition


def _condition(node: dict, ctx: SqlContext) -> ColumnElement[bool]:
    ref = field_ref(node["field"])
    assert ref is not None, node  # check_rule let only known fields through
    if not ref.legal_entity:
        target = _target(customer, ref.attribute, ref.column, ctx.types.customer)
        return _compare(target, node, ctx.now)
    link = _link.alias()
    entity = _legal_entity.alias()
    target = _target(entity, ref.attribute, ref.column, ctx.types.legal_entity)
    return (
        sa.exists()
        .where(
            link.c.customer_pk == customer.c.pk,
            entity.c.tenant_id == link.c.tenant_id,
            entity.c.id == link.c.legal_entity_id,
            _compare(target, node, ctx.now),
        )
        .correlate(customer)
    )


@dataclass(frozen=True)
class _Target:
    """Where a condition reads its value: a column, or an attribute of a JSON column."""

    table: sa.FromClause
    kind: str
    column: Any = None
    key: str | None = None


def _target(
    table: sa.FromClause, key: str | None, column: str | None, types: Mapping[str, str]
) -> _Target:
    if key is not None:
        return _Target(table, types[key], key=key)
    # email compares lower-cased: email_key is the address lower-cased by Python, as pyeval does
    name = {"id": "id", "email": "email_key", "firstName": "first_name", "lastName": "last_name"}
    return _Target(table, "string", column=table.c[name[column or "id"]])


class _PerDialect(ColumnElement[bool]):
    """One condition written twice, once per database; the compiler picks its own."""

    _traverse_internals = [
        ("sqlite", InternalTraversal.dp_clauseelement),
        ("postgresql", InternalTraversal.dp_clauseelement),
    ]
    # the two branches hold different bound parameters; statements with rules are not cached
    inherit_cache = False
    type = sa.Boolean()
    # a condition itself, so SQLite's WHERE does not compare it with 1 (which defeats indexes)
    _is_implicitly_boolean = True

    def __init__(self, sqlite: ColumnElement[bool], postgresql: ColumnElement[bool]):
        self.sqlite = sqlite
        self.postgresql = postgresql

    @property
    def _from_objects(self) -> list[Any]:
        return self.sqlite._from_objects


@compiles(_PerDialect)
def _compile_sqlite(element: _PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.sqlite, **kw)})"


@compiles(_PerDialect, "postgresql")
def _compile_postgresql(element: _PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.postgresql, **kw)})"


def _bind(value: Any, kind: str) -> Any:
    if kind == "number":
        return number_bind(value)
    if kind == "boolean":
        return sa.literal(value, sa.Boolean())
    return sa.literal(value, sa.String())


def _compare(target: _Target, node: dict, now: datetime) -> ColumnElement[bool]:
    op, kind = node["op"], target.kind
    value: Any = node.get("value")
    if op in ("withinLastDays", "notWithinLastDays"):
        op = "gte" if op == "withinLastDays" else "lt"
        value = relative_threshold(kind, value, now)
    if target.key is None:
        return _scalar(target.column, target.column, op, value, kind)
    col, key = target.table.c.attributes, target.key
    path: Any = sa.literal_column(f"'$.\"{key}\"'")
    extracted = sqlite_attribute(col, key)
    if kind == "tags":
        return _PerDialect(_sqlite_tags(col, path, op, value), _pg_tags(col, key, op, value))
    pg_json = sa.type_coerce(col, JSONB)
    pg_text = pg_json.op("->>", return_type=sa.String())(sa.literal_column(f"'{key}'"))
    pg_value = jsonsql.json_number(col, [key]) if kind == "number" else pg_text
    pg_node = pg_json.op("->", return_type=JSONB)(sa.literal_column(f"'{key}'"))
    sqlite = _scalar(extracted, extracted, op, value, kind)
    if op in ("equals", "in") or (op == "notEquals" and kind == "boolean"):
        values = [value] if op != "in" else value
        if op == "notEquals":
            values = [not value]
        postgresql = sa.or_(*(pg_json.contains(sa.literal({key: v}, JSONB)) for v in values))
    elif op == "exists":
        postgresql = pg_json.has_key(sa.literal(key, sa.String()))
    elif op == "missing":
        postgresql = pg_node.is_(None)
    else:
        postgresql = _scalar(pg_value, pg_text, op, value, kind)
    return _PerDialect(sqlite, postgresql)


def _scalar(expr: Any, text: Any, op: str, value: Any, kind: str) -> ColumnElement[bool]:
    """A condition on a value (`expr`, typed as `kind`; `text` the same as text) that both
    databases write alike, except contains and startsWith, which get a _PerDialect."""
    if op == "exists":
        return expr.is_not(None)
    if op == "missing":
        return expr.is_(None)
    if op == "equals":
        return expr == _bind(value, kind)
    if op == "notEquals":
        return expr != _bind(value, kind)
    if op == "in":
        return expr.in_([_bind(v, kind) for v in value])
    if op == "notIn":
        return expr.not_in([_bind(v, kind) for v in value])
    if op == "between":
        return sa.and_(expr >= _bind(value[0], kind), expr <= _bind(value[1], kind))
    if op in ORDER_OPERATORS:
        return ORDER_OPERATORS[op](expr, _bind(value, kind))
    if op == "matches":
        return text.regexp_match(sa.literal(value, sa.String()))
    if op == "contains":
        needle = sa.literal(value, sa.String())
        return _PerDialect(sa.func.instr(text, needle) > 0, sa.func.strpos(text, needle) > 0)
    if op == "startsWith":
        # GLOB and PostgreSQL's LIKE are case-sensitive (SQLite's LIKE is not); both use indexes
        glob = "".join(f"[{char}]" if char in "*?[" else char for char in value) + "*"
        like = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return _PerDialect(
            text.op("GLOB", is_comparison=True)(sa.literal(glob, sa.String())),
            text.like(sa.literal(like, sa.String()), escape="\\"),
        )
    raise ValueError(f"operator {op} on {kind}")  # pragma: no cover - check_rule refuses it


def _sqlite_tags(col: Any, path: Any, op: str, value: Any) -> ColumnElement[bool]:
    extracted = sa.func.json_extract(_sqlite_document(col), path)
    if op in ("exists", "missing"):
        return extracted.is_not(None) if op == "exists" else extracted.is_(None)
    each = sa.func.json_each(_sqlite_document(col), path).table_valued("value").alias()
    tags = [value] if op == "contains" else value
    has = sa.exists().where(each.c.value.in_([sa.literal(t, sa.String()) for t in tags]))
    if op == "notIn":
        return sa.and_(extracted.is_not(None), sa.not_(has))
    return has


def _pg_tags(col: Any, key: str, op: str, value: Any) -> ColumnElement[bool]:
    doc = sa.type_coerce(col, JSONB)
    if op == "exists":
        return doc.has_key(sa.literal(key, sa.String()))
    if op == "missing":
        return doc.op("->", return_type=JSONB)(sa.literal_column(f"'{key}'")).is_(None)
    tags = [value] if op == "contains" else value
    has = sa.or_(*(doc.contains(sa.literal({key: [t]}, JSONB)) for t in tags))
    if op == "notIn":
        return sa.and_(doc.has_key(sa.literal(key, sa.String())), sa.not_(has))
    return has
