"""Expression indexes on the customer attributes that rules compare, made when a rule that
needs one is saved.

Which keys a tenant compares is known only from its rules, so these indexes cannot be in a
migration. Each is an index of (tenant_id, the attribute's value) written exactly as sql.py
reads it, so the database matches the rule's condition to the index:

- SQLite: the attribute as sql.sqlite_attribute reads it (`json_extract` of the binary copy of
  the attributes, or of their text), for every key a condition compares with equals, in, a range
  (gt ... between, before, after, withinLastDays, notWithinLastDays) or startsWith: without an
  index SQLite reads every customer and parses its JSON;
- PostgreSQL: equality, `in`, booleans and tags use jsonb containment, which the GIN index of
  migration 0011 serves; a range over a number (the type-guarded NUMERIC of query.jsonsql) or a
  date, date-time or text (`attributes ->> 'key'`) needs a b-tree of its own.

Booleans are left out on SQLite (two values: reading half the table through an index is slower
than reading it all), and so are tags (json_each is not indexable) and legal entity attributes
(a customer reaches them through its links, one entity at a time).

An index is shared by every tenant whose rules compare the same key (its first column is the
tenant), and there are at most MAX_INDEXES of them on the table: each slows every write of a
customer a little, so past the bound a rule is evaluated without one (it is correct, only
slower), and the log says so.

PostgreSQL builds them CONCURRENTLY, outside any transaction, so directory writes go on while a
million rows are indexed (a few seconds); SQLite writes are serialized anyway.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateIndex

from ...models import RULE_INDEX_PREFIX, Customer
from ...query import jsonsql
from .sql import sqlite_attribute
from .tree import AttributeTypes, CheckedRule, field_ref

log = logging.getLogger(__name__)

#: the most attribute indexes the customer table gets (for all tenants together)
MAX_INDEXES = 24
#: how long PostgreSQL's concurrent build may wait for older transactions to end
LOCK_TIMEOUT = "60s"
#: what every such index's name starts with (models.include_object leaves them out of the
#: schema comparison: they come and go with rules, not with migrations)
PREFIX = RULE_INDEX_PREFIX

_RANGES = frozenset(
    {"gt", "gte", "lt", "lte", "between", "before", "after", "withinLastDays", "notWithinLastDays"}
)
_SQLITE_OPS = _RANGES | {"equals", "in", "startsWith"}
#: the two columns the indexes read, on a table of their own: an Index made on the model's
#: table would join the models' metadata (and the migrations' schema comparison)
_customer = sa.Table(
    "customer",
    sa.MetaData(),
    sa.Column("tenant_id", sa.Integer),
    sa.Column("attributes", Customer.__table__.c.attributes.type),
)


@dataclass(frozen=True)
class Wanted:
    """An index a rule would use: on `key`, read as `kind` (the key's type)."""

    key: str
    kind: str

    def name(self, dialect: str) -> str:
        # PostgreSQL reads numbers and text with different expressions: one index each
        tag = ("num_" if self.kind == "number" else "txt_") if dialect == "postgresql" else ""
        name = f"{PREFIX}{tag}{self.key}"
        if len(name) > 63:  # PostgreSQL's identifier limit
            digest = hashlib.sha1(self.key.encode()).hexdigest()[:8]
            name = f"{name[:54]}_{digest}"
        return name.lower() if dialect == "postgresql" else name

    def expression(self, dialect: str) -> Any:
        column = _customer.c.attributes
        if dialect != "postgresql":
            return sqlite_attribute(column, self.key)
        if self.kind == "number":
            return jsonsql.json_number(column, [self.key])
        return sa.type_coerce(column, JSONB).op("->>", return_type=sa.String())(
            sa.literal_column(f"'{self.key}'")
        )


def wanted(rule: CheckedRule, types: AttributeTypes, dialect: str) -> set[Wanted]:
    """The indexes the conditions of `rule` would use on `dialect`."""
    out: set[Wanted] = set()
    for condition in _conditions(rule.tree):
        ref = field_ref(condition["field"])
        if ref is None or ref.legal_entity or ref.attribute is None:
            continue
        kind = types.customer.get(ref.attribute)
        op = condition["op"]
        if kind is None or kind in ("tags", "boolean"):
            continue
        if op in (_RANGES if dialect == "postgresql" else _SQLITE_OPS):
            out.add(Wanted(ref.attribute, kind))
    return out


def _conditions(node: Any) -> Iterator[dict]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "field" in item and "op" in item:
                yield item
            else:
                stack.extend(v for v in item.values() if isinstance(v, dict | list))
        elif isinstance(item, list):
            stack.extend(item)


def existing(connection: Connection) -> set[str]:
    """Names of the attribute indexes the customer table has (read from the catalog: the
    inspector leaves expression indexes out on SQLite)."""
    if connection.dialect.name == "postgresql":
        stmt = sa.text(
            "SELECT indexname FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = 'customer'"
        )
    else:
        stmt = sa.text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customer'"
        )
    return {name for name in connection.execute(stmt).scalars() if name.startswith(PREFIX)}


def ensure_indexes(engine: Engine, rule: CheckedRule, types: AttributeTypes) -> list[str]:
    """Make the indexes `rule` would use that are missing (within MAX_INDEXES); returns the
    names made. Runs on connections of its own: call it before evaluating, with no transaction
    of the caller open (PostgreSQL's concurrent build waits for every older transaction to end,
    the caller's too, which would never end; LOCK_TIMEOUT bounds that wait)."""
    dialect = engine.dialect.name
    with engine.connect() as connection:
        have = existing(connection)
    made: list[str] = []
    for want in sorted(wanted(rule, types, dialect), key=lambda w: w.key):
        name = want.name(dialect)
        if name in have:
            continue
        if len(have) >= MAX_INDEXES:
            log.warning(
                "no index for attribute %s: the customer table has %d attribute indexes already",
                want.key,
                len(have),
            )
            continue
        _create(engine, name, want)
        have.add(name)
        made.append(name)
    return made


def _create(engine: Engine, name: str, want: Wanted) -> None:
    dialect = engine.dialect.name
    index = sa.Index(name, _customer.c.tenant_id, want.expression(dialect))
    if dialect == "postgresql":
        # CONCURRENTLY cannot run in a transaction, and lets directory writes go on meanwhile
        index.dialect_options["postgresql"]["concurrently"] = True
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("SET statement_timeout = 0")
            connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            try:
                connection.execute(CreateIndex(index, if_not_exists=True))
            except sa.exc.DBAPIError:
                # a concurrent build of the same index (another worker saved a rule on the same
                # key), or a build that failed and left an INVALID index: drop what is there,
                # the next save builds it again
                log.exception("building index %s failed", name)
                connection.exec_driver_sql(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        return
    with engine.begin() as connection:
        connection.execute(CreateIndex(index, if_not_exists=True))


def drop_unused(engine: Engine, keep: set[str]) -> list[str]:
    """Drop the attribute indexes not in `keep` (names); returns the names dropped."""
    dialect = engine.dialect.name
    with engine.connect() as connection:
        names = existing(connection) - keep
    for name in sorted(names):
        if dialect == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
    return sorted(names)


__all__ = ["MAX_INDEXES", "PREFIX", "Wanted", "drop_unused", "ensure_indexes", "wanted"]
