"""A batch's customers with each attribute key its rules read taken out of the JSON once.

Conditions compiled over `customer.attributes` read the JSON again in every condition: a wave of
160 rules over 1,000 customers parsed each document 160 times on SQLite (which has no parse
cache before 3.45). Here the batch's customers are a materialized CTE with one column per key
(and per form the conditions read it in), and `Projected` hands those columns to sql.py in
place of the JSON, so the conditions compare plain values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.elements import ColumnElement

from ...extensions import DbSession
from ...models import Customer, CustomerAssignment
from .fields import field_ref
from .sql import Attributes, SqlContext, rule_condition
from .tree import CheckedRule

_customer = Customer.__table__
_assignment = CustomerAssignment.__table__

#: the forms each type of key is read in, per database (see Attributes)
_FORMS = {
    "sqlite": {"tags": ("value", "each")},
    "postgresql": {
        "string": ("text", "node"),
        "date": ("text", "node"),
        "datetime": ("text", "node"),
        "number": ("number", "node"),
    },
}
_DEFAULT_FORMS = {"sqlite": ("value",), "postgresql": ("node",)}


def customer_keys(rules: Iterable[CheckedRule]) -> list[str]:
    """The customer attribute keys `rules` read, in a stable order."""
    keys: set[str] = set()
    for rule in rules:
        for name in rule.fields:
            ref = field_ref(name)
            if ref is not None and not ref.legal_entity and ref.attribute is not None:
                keys.add(ref.attribute)
    return sorted(keys)


class Projected(Attributes):
    """The attributes of a batch's customers as columns of a CTE (one database's forms)."""

    def __init__(
        self,
        session: DbSession,
        rules: Collection[CheckedRule],
        ctx: SqlContext,
        in_batch: ColumnElement[bool],
        inline: Mapping[int, CheckedRule] | None = None,
    ):
        """`in_batch`: the condition on customer.pk that picks the batch's customers; `inline`:
        rules (by segment pk) evaluated in the same statement, whose segments the others'
        inSegment conditions read as those rules leave them (see in_segment)."""
        super().__init__(_customer)
        self.inline = dict(inline or {})
        #: `ctx` with these columns for the customers' attributes: what the rules compile against
        self.context = dataclasses.replace(ctx, attributes=self)
        self.dialect = session.get_bind().dialect.name
        source = Attributes(_customer)
        self._names: dict[tuple[str, str], str] = {}
        projected: list[Any] = [_customer.c.pk.label("pk")]
        for key in customer_keys(rules):
            kind = ctx.types.customer.get(key)
            if kind is None:  # check_rule let only known keys through
                continue
            for form in _FORMS[self.dialect].get(kind, _DEFAULT_FORMS[self.dialect]):
                name = f"k{len(self._names)}"
                self._names[(form, key)] = name
                projected.append(self._read(source, form, key).label(name))
        # the segments the rules name that exist (sql.py makes a deleted one select nobody)
        pks = ctx.segment_pks
        named = sorted({pks[key] for rule in rules for key in rule.segments if key in pks})
        if named:
            projected.append(self._segments(named).label("segments"))
        cte = (
            sa.select(*projected)
            .where(
                in_batch,
                # `+ 0`: SQLite would otherwise read every customer of the tenant by its index
                _customer.c.tenant_id + 0 == ctx.tenant_id,
            )
            .cte("batch_attributes")
        )
        #: each document read once, not once per condition
        self.cte = cte.prefix_with("MATERIALIZED")

    @staticmethod
    def _read(source: Attributes, form: str, key: str) -> ColumnElement[Any]:
        if form == "each":
            # the members json_each walks: an array or object as JSON text, a scalar as a
            # one-member array (json_each over a path to a scalar yields that scalar)
            value = source.value(key)
            kind = sa.func.json_type(source.table.c.attributes, sa.literal_column(f"'$.\"{key}\"'"))
            containers = [sa.literal("array"), sa.literal("object")]  # not an expanding list
            return sa.case((kind.in_(containers), value), else_=sa.func.json_array(value))
        reader = {"value": source.value, "text": source.text, "number": source.number}
        return reader.get(form, source.node)(key)

    def _segments(self, segment_pks: list[int]) -> ColumnElement[str]:
        """The customer's assignments in `segment_pks` as text, `,3:A,17:M,` (segment, and A for
        AUTOMATIC, M for MANUAL): one read of the customer's assignments, where an EXISTS per
        inSegment condition made a thousand customers 40,000 lookups for 40 conditions."""
        member = _assignment.alias("held")
        entry: Any = sa.literal(",")
        for part in (
            sa.cast(member.c.segment_pk, sa.Text()),
            sa.literal(":"),
            sa.func.substr(member.c.assignment_type, 1, 1),
        ):
            entry = entry.op("||", return_type=sa.Text())(part)
        if self.dialect == "postgresql":
            listed: Any = sa.func.string_agg(entry, sa.literal(""))
        else:
            listed = sa.func.group_concat(entry, sa.literal(""))
        held = (
            sa.select(listed)
            .where(
                member.c.customer_pk == _customer.c.pk,
                member.c.segment_pk.in_([sa.literal(pk, sa.BigInteger()) for pk in segment_pks]),
            )
            .scalar_subquery()
        )
        return sa.func.coalesce(held, sa.literal("")) + sa.literal(",")

    def in_segment(self, segment_pk: int) -> ColumnElement[bool]:
        position = sa.func.strpos if self.dialect == "postgresql" else sa.func.instr
        rule = self.inline.get(segment_pk)
        if rule is None:  # as the customer's assignments are
            return position(self.cte.c.segments, sa.literal(f",{segment_pk}:")) > 0
        # as the statement leaves the segment: its rule's AUTOMATIC members are the customers
        # it selects, and its other assignments stay (apply_wave's INSERT and DELETE)
        return sa.or_(
            sa.func.coalesce(rule_condition(rule, self.context), sa.false()),
            position(self.cte.c.segments, sa.literal(f",{segment_pk}:M")) > 0,
        )

    def _column(self, form: str, key: str) -> Any:
        """The projected column, or None where the conditions do not read the key so (another
        database's form, a form its type does not need: such a condition is never compiled)."""
        name = self._names.get((form, key))
        return None if name is None else self.cte.c[name]

    # SQLite
    def value(self, key: str) -> ColumnElement[Any]:
        column = self._column("value", key)
        return super().value(key) if column is None else column

    def each(self, key: str) -> Any:
        column = self._column("each", key)
        return super().each(key) if column is None else sa.func.json_each(column)

    # PostgreSQL
    def text(self, key: str) -> ColumnElement[Any]:
        column = self._column("text", key)
        return super().text(key) if column is None else column

    def number(self, key: str) -> ColumnElement[Any]:
        column = self._column("number", key)
        return super().number(key) if column is None else column

    def node(self, key: str) -> ColumnElement[Any]:
        column = self._column("node", key)
        return super().node(key) if column is None else column

    def _mine(self, dialect: str) -> bool:
        return self.dialect == dialect

    def has(self, key: str) -> ColumnElement[bool]:
        return self.node(key).is_not(None) if self._mine("postgresql") else super().has(key)

    def equals_any(self, key: str, values: list[Any]) -> ColumnElement[bool]:
        if not self._mine("postgresql"):
            return super().equals_any(key, values)
        text = self._column("text", key)
        if text is not None and all(isinstance(v, str) for v in values):
            # a text key holds text only (services.attributes refuses other values), so its
            # text compares as its jsonb does, five times faster than jsonb equality
            return text.in_([sa.literal(v, sa.String()) for v in values])
        # jsonb equality is containment's for a scalar (1.0 equals 1)
        return sa.or_(*(self.node(key) == sa.literal(v, JSONB) for v in values))

    def has_tag(self, key: str, tags: list[Any]) -> ColumnElement[bool]:
        if not self._mine("postgresql"):
            return super().has_tag(key, tags)
        # a tags key holds arrays of strings only (services.attributes), whose string elements
        # `?|` finds at a fifth of the cost of a containment per tag
        return self.node(key).op("?|", is_comparison=True)(sa.literal(list(tags), ARRAY(sa.Text())))
