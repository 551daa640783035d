"""One wave of a directory batch's rules: which of the batch's customers each rule selects, read
in one statement, then one INSERT and one DELETE that make the segments' AUTOMATIC members so.

The rules are evaluated once per customer, over the attributes taken out of the JSON once
(rules.columns): one string of verdicts per customer, a character per rule. Those strings come
back (a few bytes per rule and customer) and become the (customer, segment) pairs the rules
select. The SELECT is compiled once per set of rules (`_statement`), the batch's pks and the
relative dates' thresholds its only parameters that change. One read of the batch's
assignments in the wave's segments then says which pairs are new (one INSERT) and which
AUTOMATIC rows no pair holds any more (one DELETE by pk). Evaluating the rules in each of two
statements instead cost twice the evaluation and twice the compiling of every condition.
Semantics are apply_rule's: customer-level AUTOMATIC rows, never over an existing assignment,
never removing a MANUAL one.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, delete, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

from ...extensions import DbSession
from ...models import Customer, CustomerAssignment
from ...models.types import utcnow
from ..sqlvalues import in_list, integer_rows
from .columns import Projected
from .evaluate import AUTOMATIC_COLUMNS, Change, _insert
from .sql import RELATIVE_PARAMETER, SqlContext, relative_threshold, rule_condition
from .tree import CheckedRule

_customer = Customer.__table__
_assignment = CustomerAssignment.__table__


def selected(
    session: DbSession, rules: dict[int, CheckedRule], ctx: SqlContext, customer_pks: Sequence[int]
) -> set[tuple[int, int]]:
    """(customer pk, segment pk) for each of the batch's customers and each rule (of the
    segments by pk) that selects it."""
    statement = _statement(session, rules, ctx)
    values = dict(statement.values)
    pks = sorted(customer_pks)
    values[_PKS] = pks if session.get_bind().dialect.name == "postgresql" else json.dumps(pks)
    for name, (kind, days) in statement.relative.items():
        values[name] = relative_threshold(kind, days, ctx.now)
    params: Any = values if statement.order is None else tuple(values[n] for n in statement.order)
    # all at once: iterating a psycopg result fetches row by row (a call per row)
    rows = session.connection().exec_driver_sql(statement.sql, params).all()
    segment_pks = list(rules)
    pairs = set()
    for customer_pk, text in rows:
        at = text.find("1")
        while at >= 0:
            pairs.add((customer_pk, segment_pks[at]))
            at = text.find("1", at + 1)
    return pairs


@dataclasses.dataclass(frozen=True)
class _Compiled:
    """A wave's verdict SELECT as its database runs it: building and compiling the conditions
    of 160 rules took longer than the database takes to evaluate them for 1,000 customers."""

    sql: str
    #: the parameters' order (SQLite's are positional), or None (PostgreSQL's are named)
    order: tuple[str, ...] | None
    #: every parameter but the batch's pks and the relative thresholds, ready for the driver
    values: dict[str, Any]
    #: the relative thresholds' parameters: (type, days), recomputed from the clock each run
    relative: dict[str, tuple[str, int]]


#: the name of the batch's pks parameter
_PKS = "batch_customer_pks"
#: compiled SELECTs by what they were compiled from, the most recently used last: the rules of
#: a tenant's batches compile once per change of its rules (or types) in each process
_COMPILED: OrderedDict[tuple, _Compiled] = OrderedDict()
_COMPILED_KEEP = 32
_compiling = threading.Lock()


def _statement(session: DbSession, rules: dict[int, CheckedRule], ctx: SqlContext) -> _Compiled:
    dialect = session.get_bind().dialect
    named = sorted({name for rule in rules.values() for name in rule.segments})
    # all a compiled statement depends on; the clock only through the relative parameters
    key = (
        dialect.name,
        ctx.tenant_id,
        tuple((pk, json.dumps(rule.tree, sort_keys=True)) for pk, rule in rules.items()),
        ctx.types.key,
        tuple((name, ctx.segment_pks.get(name)) for name in named),
    )
    with _compiling:
        found = _COMPILED.get(key)
        if found is not None:
            _COMPILED.move_to_end(key)
            return found
    compiled = _compile(session, rules, ctx)
    with _compiling:
        _COMPILED[key] = compiled
        while len(_COMPILED) > _COMPILED_KEEP:
            _COMPILED.popitem(last=False)
    return compiled


def _compile(session: DbSession, rules: dict[int, CheckedRule], ctx: SqlContext) -> _Compiled:
    dialect = session.get_bind().dialect
    in_batch = in_list(_customer.c.pk, None, session, key=_PKS)
    # a rule naming a segment whose rule is among these reads it as this wave leaves it
    named = {ctx.segment_pks.get(name) for rule in rules.values() for name in rule.segments}
    inline = {pk: rule for pk, rule in rules.items() if pk in named}
    batch = Projected(session, rules.values(), ctx, in_batch, inline)
    ctx = batch.context
    read = batch.cte
    verdict = _Verdicts(
        [
            sa.case((rule_condition(rule, ctx), literal("1")), else_=literal("0"))
            for rule in rules.values()
        ]
    )
    statement = select(read.c.pk, verdict).select_from(
        read.join(_customer, _customer.c.pk == read.c.pk)
    )
    compiled = statement.compile(dialect=dialect)
    assert "POSTCOMPILE" not in compiled.string  # every list is written as its parameters
    values, relative = {}, {}
    for name, value in compiled.construct_params().items():
        found = RELATIVE_PARAMETER.fullmatch(name)
        if found:
            relative[name] = (found[1], int(found[2]))
        elif name != _PKS:
            kind = compiled.binds[name].type.dialect_impl(dialect)
            process = kind.bind_processor(dialect)
            values[name] = process(value) if process else value
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return _Compiled(compiled.string, order, values, relative)


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


def apply_wave(
    session: DbSession, rules: dict[int, CheckedRule], ctx: SqlContext, customer_pks: Sequence[int]
) -> dict[int, Change]:
    """apply_rule for the rules of many segments (by pk) at once, for `customer_pks`."""
    pairs = selected(session, rules, ctx, customer_pks)
    # the batch's assignments in these segments, read once: the customers a rule selects who
    # hold none join, the AUTOMATIC ones it no longer selects leave (a NOT IN of the pairs in
    # the DELETE took SQLite 30 ms, this read 2 ms)
    held = session.execute(
        select(
            _assignment.c.pk,
            _assignment.c.customer_pk,
            _assignment.c.segment_pk,
            _assignment.c.assignment_type,
        ).where(
            in_list(_assignment.c.customer_pk, customer_pks, session),
            # `+ 0`: by the customers' index (a few rows each), not (segments x customers) lookups
            in_list(_assignment.c.segment_pk + 0, list(rules), session),
        )
    )
    assigned: set[tuple[int, int]] = set()
    gone: list[int] = []
    for pk, customer_pk, segment_pk, assignment_type in held.all():
        assigned.add((customer_pk, segment_pk))
        if assignment_type == "AUTOMATIC" and (customer_pk, segment_pk) not in pairs:
            gone.append(pk)
    changes = {pk: Change() for pk in rules}
    # in index order: SQLite appends to its b-trees, and concurrent writers lock alike
    new = sorted(pairs - assigned, key=itemgetter(1, 0))
    if new:
        now = utcnow()
        table = integer_rows(session, new, "customer_pk", "segment_pk")
        rows = select(
            table.c.customer_pk,
            table.c.segment_pk,
            literal("AUTOMATIC"),
            literal(1),
            bindparam("created", now, type_=CustomerAssignment.created_at.type),
            bindparam("modified", now, type_=CustomerAssignment.created_at.type),
        ).where(sa.true())  # SQLite reads ON CONFLICT after a FROM as a join's ON without one
        inserted = session.execute(
            _insert(session)
            .from_select(AUTOMATIC_COLUMNS, rows)
            .on_conflict_do_nothing()
            .returning(_assignment.c.segment_pk)
        )
        for segment_pk in inserted.scalars().all():
            changes[segment_pk].joined += 1
    if gone:
        removed = session.execute(
            delete(_assignment)
            .where(
                in_list(_assignment.c.pk, gone, session),
                _assignment.c.assignment_type == "AUTOMATIC",
            )
            .returning(_assignment.c.segment_pk)
            .execution_options(synchronize_session=False)
        )
        for segment_pk in removed.scalars().all():
            changes[segment_pk].left += 1
    return changes
