"""Evaluating many rules for a few customers (a directory batch) in few statements.

A statement per rule costs its planning and a round trip whatever it finds: 200 rules over a
batch of 1,000 customers were 400 statements, several times the batch's own writes. Here the
rules go in waves (a rule naming with inSegment a segment evaluated here goes in a later wave,
so it sees that segment's new members) and each wave is one INSERT ... SELECT over (the wave's
segments x the batch's customers), the rule picked by a CASE on the segment, and one DELETE
likewise; RETURNING tells which segment each row was for, so counts and history stay per rule.
Semantics are apply_rule's: customer-level AUTOMATIC rows, never over an existing assignment,
never removing a MANUAL one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, delete, literal, select

from ...extensions import DbSession
from ...models import Customer, CustomerAssignment, Segment
from ...models.types import utcnow
from . import evaluate
from .columns import Projected
from .evaluate import (
    AUTOMATIC_COLUMNS,
    Change,
    RuleSet,
    _insert,
    apply_rule,
    in_list,
    record_change,
)
from .sql import SqlContext, rule_condition
from .tree import CheckedRule

_customer = Customer.__table__
_assignment = CustomerAssignment.__table__
_segment = Segment.__table__


#: in `fields`: the customers' legal entities (links, or a legal entity's attributes) changed
LEGAL_ENTITIES = "legalEntity.*"


def reads(rule: CheckedRule, fields: frozenset[str]) -> bool:
    """Whether `rule` reads any of `fields` (the changed fields of a batch)."""
    if rule.fields & fields:
        return True
    return LEGAL_ENTITIES in fields and any(f.startswith("legalEntity.") for f in rule.fields)


def _legal(rule: CheckedRule) -> bool:
    return any(name.startswith("legalEntity.") for name in rule.fields)


def waves(rules: RuleSet, ids: Sequence[str]) -> list[list[str]]:
    """`ids` (in dependency order) by level: a rule goes one wave after the latest wave of the
    segments among `ids` it names, so it sees their new members."""
    level: dict[str, int] = {}
    for segment_id in ids:
        named = [level[key] for key in rules.rules[segment_id].segments if key in level]
        level[segment_id] = 1 + max(named, default=-1)
    result: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for segment_id in ids:
        result[level[segment_id]].append(segment_id)
    return result


def _picked(conditions: dict[int, Any], column: Any) -> Any:
    """Whether the rule of the segment whose pk is `column` selects the customer row."""
    return sa.case(*((column == pk, held) for pk, held in conditions.items()), else_=sa.false())


def apply_wave(
    session: DbSession, rules: dict[int, CheckedRule], ctx: SqlContext, customer_pks: Sequence[int]
) -> dict[int, Change]:
    """apply_rule for the rules of many segments (by pk) at once, for `customer_pks`."""
    now = utcnow()
    pks = list(rules)
    member = _assignment.alias("member")
    batch = Projected(session, rules.values(), ctx, customer_pks)
    ctx = dataclasses.replace(ctx, attributes=batch)
    # built once for both statements: compiling 200 rules is a good part of the time
    conditions = {
        pk: sa.func.coalesce(rule_condition(rule, ctx), sa.false()) for pk, rule in rules.items()
    }
    read = batch.cte
    stamps = (
        literal("AUTOMATIC"),
        literal(1),
        bindparam("created", now, type_=CustomerAssignment.created_at.type),
        bindparam("modified", now, type_=CustomerAssignment.created_at.type),
    )
    new = (
        select(_customer.c.pk, _segment.c.pk, *stamps)
        .select_from(read.join(_customer, _customer.c.pk == read.c.pk).join(_segment, sa.true()))
        .where(
            in_list(_customer.c.pk, customer_pks, session),
            _customer.c.tenant_id + 0 == ctx.tenant_id,
            in_list(_segment.c.pk, pks, session),
            _picked(conditions, _segment.c.pk),
            ~select(member.c.pk)
            .where(member.c.segment_pk == _segment.c.pk, member.c.customer_pk == _customer.c.pk)
            .exists(),
        )
        .order_by(_segment.c.pk, _customer.c.pk)
    )
    changes = {pk: Change() for pk in pks}
    inserted = session.execute(
        _insert(session)
        .from_select(AUTOMATIC_COLUMNS, new)
        .on_conflict_do_nothing()
        .returning(_assignment.c.segment_pk)
    )
    for (segment_pk,) in inserted:
        changes[segment_pk].joined += 1
    # the batch's AUTOMATIC rows in these segments whose rule no longer selects their customer
    gone = (
        select(member.c.pk)
        .select_from(
            member.join(read, read.c.pk == member.c.customer_pk).join(
                _customer, _customer.c.pk == member.c.customer_pk
            )
        )
        .where(
            in_list(member.c.customer_pk, customer_pks, session),
            # the batch on both sides: PostgreSQL otherwise hashes every customer of the tenant
            in_list(_customer.c.pk, customer_pks, session),
            in_list(member.c.segment_pk, pks, session),
            member.c.assignment_type == "AUTOMATIC",
            ~_picked(conditions, member.c.segment_pk),
        )
    )
    removed = session.execute(
        delete(_assignment)
        .where(_assignment.c.pk.in_(gone))
        .returning(_assignment.c.segment_pk)
        .execution_options(synchronize_session=False)
    )
    for (segment_pk,) in removed:
        changes[segment_pk].left += 1
    return changes


def evaluate_batch(
    session: DbSession,
    rules: RuleSet,
    ids: Sequence[str],
    trigger: str,
    customer_pks: Sequence[int],
    fields: frozenset[str] | None = None,
) -> dict[str, Change]:
    """evaluate_ids for `customer_pks`, a wave per statement pair; counted and logged.

    `fields`: the rule fields the customers' writes may have changed (None: any, as for a new
    customer). A rule that reads none of them, and names no segment whose members this batch
    changed, selects the same customers as before and is left out."""
    ctx = rules.context(evaluate.clock())
    changes: dict[str, Change] = {}
    if fields is not None:
        ids = [key for key in ids if reads(rules.rules[key], fields) or rules.rules[key].segments]
    for wave in waves(rules, ids):
        if fields is not None:
            wave = [
                key
                for key in wave
                if reads(rules.rules[key], fields) or rules.rules[key].segments & changes.keys()
            ]
            if not wave:
                continue
        # legal entity rules one by one: in one statement with others PostgreSQL runs their
        # EXISTS as a subplan over every link (6.8 s for 17), alone as a semi-join (33 ms each)
        alone = {key for key in wave if _legal(rules.rules[key])}
        by_pk = {rules.segments[key].pk: rules.rules[key] for key in wave if key not in alone}
        applied = apply_wave(session, by_pk, ctx, customer_pks) if by_pk else {}
        for key in wave:
            segment = rules.segments[key]
            if key in alone:
                change = apply_rule(session, segment.pk, rules.rules[key], ctx, customer_pks)
            else:
                change = applied[segment.pk]
            if change.joined or change.left:
                record_change(session, segment, change, trigger)
                changes[key] = change
    return changes
