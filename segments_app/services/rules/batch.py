"""Evaluating many rules for a few customers (a directory batch) in few statements.

A statement per rule costs its planning and a round trip whatever it finds: 200 rules over a
batch of 1,000 customers were 400 statements, several times the batch's own writes. Here the
rules go in waves, each one SELECT of what its rules select, one INSERT and one DELETE
(rules.wave); RETURNING tells which segment each row was for, so counts and history stay per
rule. A rule naming with inSegment a segment whose rule is in its wave reads that segment as the
wave leaves it (rules.columns), so most batches are one wave; legal entity rules, evaluated one
by one after their wave, make the rules naming their segments wait for the next.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...extensions import DbSession
from ...models import Segment
from ..longwork import reuse_plans, without_parallel_workers
from . import evaluate
from .evaluate import Change, RuleSet, apply_rule, record_changes
from .tree import CheckedRule
from .wave import apply_wave

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
    """`ids` (in dependency order) by level. A rule naming a segment among `ids` whose rule is
    evaluated in the same statement goes in the same wave: the statement reads that segment as
    it leaves it (rules.columns.Projected.in_segment). Legal entity rules are evaluated one by
    one after their wave's statement, so they go one wave after the segments they name, and a
    rule naming one of theirs one wave after it."""
    level: dict[str, int] = {}
    for segment_id in ids:
        legal = _legal(rules.rules[segment_id])
        named = [
            level[key] + (1 if legal or _legal(rules.rules[key]) else 0)
            for key in rules.rules[segment_id].segments
            if key in level
        ]
        level[segment_id] = max(named, default=0)
    result: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for segment_id in ids:
        result[level[segment_id]].append(segment_id)
    return result


def evaluate_batch(
    session: DbSession,
    rules: RuleSet,
    ids: Sequence[str],
    trigger: str,
    customer_pks: Sequence[int],
    fields: frozenset[str] | None = None,
) -> dict[str, Change]:
    """evaluate_ids for `customer_pks`, in waves (see `waves`); counted and logged.

    `fields`: the rule fields the customers' writes may have changed (None: any, as for a new
    customer). A rule that reads none of them, and names no segment whose members this batch
    changed, selects the same customers as before and is left out."""
    # the INSERT's foreign key checks run for every row it writes (a thousand or more); the
    # statements read a few rows each
    reuse_plans(session)
    without_parallel_workers(session)
    ctx = rules.context(evaluate.clock())
    changes: dict[str, Change] = {}
    changed: list[tuple[Segment, Change]] = []
    if fields is not None:
        ids = [key for key in ids if reads(rules.rules[key], fields) or rules.rules[key].segments]
    for wave in waves(rules, ids):
        if fields is not None:
            # in dependency order: a rule naming a segment kept in this wave is kept too
            kept: list[str] = []
            for key in wave:
                rule = rules.rules[key]
                if reads(rule, fields) or rule.segments & (changes.keys() | set(kept)):
                    kept.append(key)
            wave = kept
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
                changed.append((segment, change))
                changes[key] = change
    # every wave's counts in one UPDATE and its log in one INSERT
    record_changes(session, changed, trigger)
    return changes
