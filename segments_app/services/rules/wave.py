"""One wave of a directory batch's rules: which of the batch's customers each rule selects, read
in one statement, then one INSERT and one DELETE that make the segments' AUTOMATIC members so.

The rules are evaluated once per customer, over the attributes taken out of the JSON once
(rules.columns): one string of verdicts per customer, a character per rule. Those strings come
back (a few bytes per rule and customer) and become the (customer, segment) pairs the rules
select; the INSERT adds the pairs not yet assigned and the DELETE removes the batch's AUTOMATIC
rows in the wave's segments that are not among them. Evaluating the rules in each of the two
statements instead cost twice the evaluation and twice the compiling of every condition.
Semantics are apply_rule's: customer-level AUTOMATIC rows, never over an existing assignment,
never removing a MANUAL one.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, delete, literal, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

from ...extensions import DbSession
from ...models import Customer, CustomerAssignment
from ...models.types import utcnow
from .columns import Projected
from .evaluate import AUTOMATIC_COLUMNS, Change, _insert, in_list
from .sql import SqlContext, rule_condition
from .tree import CheckedRule

_customer = Customer.__table__
_assignment = CustomerAssignment.__table__


def selected(
    session: DbSession, rules: dict[int, CheckedRule], ctx: SqlContext, customer_pks: Sequence[int]
) -> list[tuple[int, int]]:
    """(customer pk, segment pk) for each of the batch's customers and each rule (of the
    segments by pk) that selects it, ordered by segment and customer."""
    batch = Projected(session, rules.values(), ctx, customer_pks)
    ctx = dataclasses.replace(ctx, attributes=batch)
    read = batch.cte
    verdict = _Verdicts(
        [
            sa.case((rule_condition(rule, ctx), literal("1")), else_=literal("0"))
            for rule in rules.values()
        ]
    )
    rows = session.execute(
        select(read.c.pk, verdict).select_from(read.join(_customer, _customer.c.pk == read.c.pk))
    )
    pks = list(rules)
    pairs = []
    for customer_pk, text in rows:
        at = text.find("1")
        while at >= 0:
            pairs.append((customer_pk, pks[at]))
            at = text.find("1", at + 1)
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


class _Verdicts(ColumnElement[str]):
    """The texts of `cases` joined with || (flat: nested, compiling 160 of them took longer)."""

    inherit_cache = False
    type = sa.String()

    def __init__(self, cases: list[ColumnElement[str]]):
        self.cases = cases

    @property
    def _from_objects(self) -> list[Any]:
        return []  # the select names its FROM


@compiles(_Verdicts)
def _compile_verdicts(element: _Verdicts, compiler: SQLCompiler, **kw: Any) -> str:
    return "(" + " || ".join(compiler.process(case, **kw) for case in element.cases) + ")"


def _pairs(session: DbSession, pairs: list[tuple[int, int]]) -> Any:
    """The pairs as a table (customer_pk, segment_pk), sent as one parameter."""
    if session.get_bind().dialect.name == "postgresql":
        array = postgresql.ARRAY(sa.BigInteger())
        return (
            sa.func.unnest(
                bindparam(None, [c for c, _ in pairs], type_=array),
                bindparam(None, [s for _, s in pairs], type_=array),
            )
            .table_valued("customer_pk", "segment_pk")
            .render_derived(name="pairs")
        )
    each = sa.func.json_each(bindparam(None, json.dumps(pairs), type_=sa.Text())).table_valued(
        "value"
    )
    first: Any = sa.literal_column("'$[0]'")
    second: Any = sa.literal_column("'$[1]'")
    return select(
        sa.func.json_extract(each.c.value, first).label("customer_pk"),
        sa.func.json_extract(each.c.value, second).label("segment_pk"),
    ).subquery("pairs")


def apply_wave(
    session: DbSession, rules: dict[int, CheckedRule], ctx: SqlContext, customer_pks: Sequence[int]
) -> dict[int, Change]:
    """apply_rule for the rules of many segments (by pk) at once, for `customer_pks`."""
    now = utcnow()
    member = _assignment.alias("member")
    pairs = selected(session, rules, ctx, customer_pks)
    changes = {pk: Change() for pk in rules}
    if pairs:
        table = _pairs(session, pairs)
        new = (
            select(
                table.c.customer_pk,
                table.c.segment_pk,
                literal("AUTOMATIC"),
                literal(1),
                bindparam("created", now, type_=CustomerAssignment.created_at.type),
                bindparam("modified", now, type_=CustomerAssignment.created_at.type),
            )
            .where(
                ~select(member.c.pk)
                .where(
                    member.c.segment_pk == table.c.segment_pk,
                    member.c.customer_pk == table.c.customer_pk,
                )
                .exists()
            )
            # in index order: SQLite appends to its b-trees, and concurrent writers lock alike
            .order_by(table.c.segment_pk, table.c.customer_pk)
        )
        inserted = session.execute(
            _insert(session)
            .from_select(AUTOMATIC_COLUMNS, new)
            .on_conflict_do_nothing()
            .returning(_assignment.c.segment_pk)
        )
        for (segment_pk,) in inserted:
            changes[segment_pk].joined += 1
    # the batch's AUTOMATIC rows in these segments whose rule no longer selects their customer
    gone = select(member.c.pk).where(
        in_list(member.c.customer_pk, customer_pks, session),
        # `+ 0`: by the customers' index (a few rows each), not (segments x customers) lookups
        in_list(member.c.segment_pk + 0, list(rules), session),
        member.c.assignment_type == "AUTOMATIC",
    )
    if pairs:
        table = _pairs(session, pairs)
        kept = select(table.c.customer_pk, table.c.segment_pk)
        gone = gone.where(sa.tuple_(member.c.customer_pk, member.c.segment_pk).not_in(kept))
    removed = session.execute(
        delete(_assignment)
        .where(_assignment.c.pk.in_(gone))
        .returning(_assignment.c.segment_pk)
        .execution_options(synchronize_session=False)
    )
    for (segment_pk,) in removed:
        changes[segment_pk].left += 1
    return changes
