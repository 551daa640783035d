"""A checked rule compiled to one WHERE condition over the customer table, for SQLite and
PostgreSQL. Every value travels as a bound parameter; attribute keys (checked against
^[A-Za-z][A-Za-z0-9_]{0,63}$) are written into the SQL, so expression indexes can match.

On PostgreSQL equality, `in` and tags use jsonb containment (`attributes @> '{"k": v}'`, which a
GIN index serves), text and canonical dates `attributes ->> 'k'`, numbers the type-guarded
numeric of query.jsonsql (a bare cast would fail on another tenant's text under the same key).
On SQLite every value is `json_extract(attributes, '$."k"')`, of the JSONB copy of a customer's
attributes (sqlite_attribute). A directory batch reads them from its customers' attributes taken
out once (rules.columns) through the same `Attributes` calls.

Attribute values are read as the key's type says (services.attributes keeps them so). A
condition under `not` is made two-valued (false, never NULL, without the value), so that its
negation holds for customers without the value; elsewhere NULL counts as "does not hold".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
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

__all__ = [
    "RELATIVE_PARAMETER",
    "Attributes",
    "SqlContext",
    "relative_threshold",
    "rule_condition",
    "sqlite_attribute",
]

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
    #: where customer attributes are read from; None: the customer's JSON column
    attributes: Attributes | None = None


class Attributes:
    """Where conditions read the attributes of `table`: its JSON column, each condition its own
    value. (columns.Projected reads each key once for a batch and answers the same.)"""

    #: the one database conditions over these attributes are compiled for (None: either)
    dialect: str | None = None

    def __init__(self, table: sa.FromClause):
        self.table = table
        self.doc = sa.type_coerce(table.c.attributes, JSONB)

    # SQLite
    def value(self, key: str) -> ColumnElement[Any]:
        return sqlite_attribute(self.table.c.attributes, key)

    def each(self, key: str) -> Any:
        """json_each over the key's value (its members, for tags)."""
        path: Any = sa.literal_column(f"'$.\"{key}\"'")
        return sa.func.json_each(_sqlite_document(self.table.c.attributes), path)

    # PostgreSQL
    def text(self, key: str) -> ColumnElement[Any]:
        return self.doc.op("->>", return_type=sa.String())(sa.literal_column(f"'{key}'"))

    def number(self, key: str) -> ColumnElement[Any]:
        return jsonsql.json_number(self.table.c.attributes, [key])

    def node(self, key: str) -> ColumnElement[Any]:
        return self.doc.op("->", return_type=JSONB)(sa.literal_column(f"'{key}'"))

    def has(self, key: str) -> ColumnElement[bool]:
        return self.doc.has_key(sa.literal(key, sa.String()))

    def equals_any(self, key: str, values: list[Any]) -> ColumnElement[bool]:
        # containment, which the GIN index serves
        return sa.or_(*(self.doc.contains(sa.literal({key: v}, JSONB)) for v in values))

    def has_tag(self, key: str, tags: list[Any]) -> ColumnElement[bool]:
        return sa.or_(*(self.doc.contains(sa.literal({key: [t]}, JSONB)) for t in tags))

    # both
    def in_segment(self, segment_pk: int) -> ColumnElement[bool]:
        """Whether the customer holds an assignment in the segment (inSegment)."""
        return (
            sa.exists()
            .where(
                _assignment.c.customer_pk == customer.c.pk,
                _assignment.c.segment_pk == sa.literal(segment_pk, sa.BigInteger()),
            )
            .correlate(customer)
        )


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


#: the name of withinLastDays' threshold parameter: its type and days (see _relative)
RELATIVE_PARAMETER = re.compile(r"relative_(date|datetime)_([0-9]+)")


def _relative(kind: str, days: int, now: datetime) -> sa.BindParameter[str]:
    """The threshold as a parameter named after what it is computed from, so a statement
    compiled once serves later clocks with the value recomputed (rules.wave caches one)."""
    return sa.bindparam(f"relative_{kind}_{days}", relative_threshold(kind, days, now), sa.String())


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
        return (ctx.attributes or Attributes(customer)).in_segment(pk)
    condition = _condition(node, ctx)
    # EXISTS is never NULL; anything else may be, which `not` would turn into "no" as well
    if negated and not isinstance(condition, sa.Exists):
        return sa.func.coalesce(condition, sa.false())
    return condition


def _condition(node: dict, ctx: SqlContext) -> ColumnElement[bool]:
    ref = field_ref(node["field"])
    assert ref is not None, node  # check_rule let only known fields through
    if not ref.legal_entity:
        source = ctx.attributes or Attributes(customer)
        target = _target(source, ref.attribute, ref.column, ctx.types.customer)
        return _compare(target, node, ctx.now)
    link = _link.alias()
    entity = _legal_entity.alias()
    target = _target(Attributes(entity), ref.attribute, ref.column, ctx.types.legal_entity)
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

    source: Attributes
    kind: str
    column: Any = None
    key: str | None = None


def _target(
    source: Attributes, key: str | None, column: str | None, types: Mapping[str, str]
) -> _Target:
    if key is not None:
        return _Target(source, types[key], key=key)
    # email compares lower-cased: email_key is the address lower-cased by Python, as pyeval does
    name = {"id": "id", "email": "email_key", "firstName": "first_name", "lastName": "last_name"}
    return _Target(source, "string", column=source.table.c[name[column or "id"]])


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
    if isinstance(value, sa.BindParameter):
        return value
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
        value = _relative(kind, value, now)
    if target.key is None:
        return _scalar(target.column, target.column, op, value, kind)
    source, key = target.source, target.key
    if kind == "tags":
        return _per_dialect(
            source.dialect,
            lambda: _sqlite_tags(source, key, op, value),
            lambda: _pg_tags(source, key, op, value),
        )
    return _per_dialect(
        source.dialect,
        lambda: _scalar(source.value(key), source.value(key), op, value, kind),
        lambda: _pg_compare(source, key, op, value, kind),
    )


def _per_dialect(
    dialect: str | None,
    sqlite: Callable[[], ColumnElement[bool]],
    postgresql: Callable[[], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """Both databases' forms of a condition, or only `dialect`'s when it is known."""
    if dialect == "sqlite":
        return sqlite()
    if dialect == "postgresql":
        return postgresql()
    return _PerDialect(sqlite(), postgresql())


def _pg_compare(
    source: Attributes, key: str, op: str, value: Any, kind: str
) -> ColumnElement[bool]:
    if op in ("equals", "in") or (op == "notEquals" and kind == "boolean"):
        values = [value] if op != "in" else value
        if op == "notEquals":
            values = [not value]
        return source.equals_any(key, values)
    if op == "exists":
        return source.has(key)
    if op == "missing":
        return source.node(key).is_(None)
    # a number is never read as text (the operators on text are the strings')
    value_of = source.number(key) if kind == "number" else source.text(key)
    return _scalar(value_of, value_of, op, value, kind)


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


def _sqlite_tags(source: Attributes, key: str, op: str, value: Any) -> ColumnElement[bool]:
    extracted = source.value(key)
    if op in ("exists", "missing"):
        return extracted.is_not(None) if op == "exists" else extracted.is_(None)
    each = source.each(key).table_valued("value").alias()
    tags = [value] if op == "contains" else value
    has = sa.exists().where(each.c.value.in_([sa.literal(t, sa.String()) for t in tags]))
    if op == "notIn":
        return sa.and_(extracted.is_not(None), sa.not_(has))
    return has


def _pg_tags(source: Attributes, key: str, op: str, value: Any) -> ColumnElement[bool]:
    if op == "exists":
        return source.has(key)
    if op == "missing":
        return source.node(key).is_(None)
    tags = [value] if op == "contains" else value
    has = source.has_tag(key, tags)
    if op == "notIn":
        return sa.and_(source.has(key), sa.not_(has))
    return has
