"""Evaluating rules: the statements that make a segment's AUTOMATIC members what its rule says.

Set-based, whatever the size: per rule, one INSERT ... SELECT of the customers who match and
have no assignment in the segment yet (customer-level; ON CONFLICT DO NOTHING, so a concurrent
writer cannot fail it, unless the caller locked the segment's members) and one DELETE of the
AUTOMATIC members who no longer match.
Restricted to some customers (a directory batch, a manual write) the same two statements carry
an IN list of their pks. MANUAL members are never touched, and a customer with any assignment in
the segment is never added.

A change of a segment's membership reaches the rules that refer to it with inSegment: they are
evaluated after it, in dependency order, in the same transaction (for the same customers when
the change was restricted to some).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, bindparam, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from ...errors import AppError
from ...extensions import DbSession, db, rowcount
from ...models import Customer, CustomerAssignment, Segment
from ...models.types import utcnow
from .. import activity, counters
from ..sqlvalues import in_list
from .sql import SqlContext, rule_condition
from .tree import AttributeTypes, CheckedRule, checked_stored, dependency_order

log = logging.getLogger(__name__)

_customer = Customer.__table__
_assignment = CustomerAssignment.__table__
#: what a membership change by a rule says it was caused by
TRIGGERS = ("saved", "directory", "schedule", "dependency", "manual")
#: the columns an AUTOMATIC assignment is inserted with, in the order the selects give them
AUTOMATIC_COLUMNS = (
    "customer_pk",
    "segment_pk",
    "assignment_type",
    "version",
    "created_at",
    "modified_at",
)
#: the activity log's actor for membership changes a rule made
RULE_ACTOR = "rule"


def clock() -> datetime:
    """Now, for relative dates (tests fix it by replacing this function)."""
    return utcnow()


@dataclass
class Change:
    """What one evaluation of one rule changed."""

    joined: int = 0
    left: int = 0


@dataclass
class RuleSet:
    """A tenant's rules, checked against its attribute types and segments, read once per use."""

    tenant_id: int
    types: AttributeTypes
    #: every segment of the tenant: id -> pk (what inSegment names)
    segment_pks: dict[str, int]
    #: rule segments by id
    segments: dict[str, Segment] = field(default_factory=dict)
    #: their rules, checked; a stored rule that no longer checks (its inSegment segment was
    #: deleted) is left out, and logged
    rules: dict[str, CheckedRule] = field(default_factory=dict)

    @classmethod
    def load(cls, tenant_id: int, session: DbSession | None = None) -> RuleSet:
        session = session or db.session
        pks = dict(
            session.execute(
                select(Segment.id, Segment.pk).where(Segment.tenant_id == tenant_id)
            ).all()
        )
        # populate_existing: a long-lived session (an import's run) may hold these segments
        # as they were when it loaded them, before a rule was saved
        ruled = session.scalars(
            select(Segment)
            .where(Segment.tenant_id == tenant_id, Segment.rule.is_not(None))
            .execution_options(populate_existing=True)
        ).all()
        rules = cls(tenant_id, AttributeTypes.for_tenant(tenant_id), pks)
        for segment in ruled:
            try:
                rules.rules[segment.id] = checked_stored(segment.rule, rules.types)
            except AppError as exc:
                log.warning("rule of segment %s no longer checks: %s", segment.id, exc.message)
                continue
            rules.segments[segment.id] = segment
        return rules

    def order(self, ids: Collection[str] | None = None) -> list[str]:
        """The rule segments (all, or those in `ids`) with the segments they refer to first."""
        graph = {key: rule.segments for key, rule in self.rules.items()}
        wanted = self.rules.keys() if ids is None else ids
        return [key for key in dependency_order(graph) if key in wanted and key in self.rules]

    def dependants(self, changed: Iterable[str]) -> list[str]:
        """The rules that refer, directly or through other rules, to the segments `changed`,
        in dependency order."""
        reached: set[str] = set()
        frontier = set(changed)
        while frontier:
            found = {
                key
                for key, rule in self.rules.items()
                if key not in reached and rule.segments & frontier
            }
            reached |= found
            frontier = found
        return self.order(reached) if reached else []

    def affected(self, changed: Iterable[str]) -> list[str]:
        """The rules to evaluate when the membership of the segments `changed` changed by other
        hands (an import, the API): their own rules, which may take back a customer they select,
        and their dependants, in dependency order."""
        changed = set(changed)
        own = {key for key in changed if key in self.rules}
        return self.order(own | set(self.dependants(changed)))

    def context(self, now: datetime) -> SqlContext:
        return SqlContext(self.tenant_id, now, self.types, self.segment_pks)


def selected(rule: CheckedRule, ctx: SqlContext) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of the tenant's customers that `rule` selects."""
    return (_customer.c.tenant_id == ctx.tenant_id, rule_condition(rule, ctx))


def matches(
    rule: CheckedRule,
    ctx: SqlContext,
    customer_pks: Sequence[int] | None = None,
    session: DbSession | None = None,
) -> Any:
    """SELECT of the pks of the tenant's customers that `rule` selects (among `customer_pks`,
    when given)."""
    if customer_pks is None:
        return select(_customer.c.pk).where(*selected(rule, ctx))
    # `+ 0`: the tenant's index would have SQLite read every customer of the tenant rather
    # than the few by their primary key
    return select(_customer.c.pk).where(
        in_list(_customer.c.pk, customer_pks, session or db.session),
        _customer.c.tenant_id + 0 == ctx.tenant_id,
        rule_condition(rule, ctx),
    )


#: the first key of the advisory locks on segments' memberships (any constant of the app's own)
_MEMBERS_LOCK = 13


def lock_members(session: DbSession, segment_pks: Iterable[int]) -> None:
    """PostgreSQL: lock the memberships of these segments for the rest of the transaction, in
    pk order, before writing any of them. The writers of a segment's members (an evaluation,
    an import, an API write) take these first, so two of them take turns instead of each
    waiting for a member key the other wrote (a deadlock); in pk order, so writers of several
    segments never wait in a circle. Taken again by the same transaction it returns at once.
    SQLite needs none: a writing transaction holds the database's write lock."""
    pks = sorted(set(segment_pks))
    if not pks or session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        sa.text(
            "SELECT count(pg_advisory_xact_lock(:space, s.pk)) "
            "FROM (SELECT unnest(CAST(:pks AS integer[])) AS pk ORDER BY 1) AS s"
        ),
        {"space": _MEMBERS_LOCK, "pks": pks},
    )


def lock_affected(session: DbSession, segment: Segment) -> None:
    """Before a change of the segment's whole membership: lock it and every rule segment the
    change will evaluate (its own rule, the rules that name it), all at once."""
    pks = {segment.pk}
    if session.get_bind().dialect.name == "postgresql":
        rules = RuleSet.load(segment.tenant_id, session)
        pks.update(rules.segments[key].pk for key in rules.affected([segment.id]))
    lock_members(session, pks)


def _insert(session: DbSession) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(_assignment)


def apply_rule(
    session: DbSession,
    segment_pk: int,
    rule: CheckedRule,
    ctx: SqlContext,
    customer_pks: Sequence[int] | None = None,
    on_added: Callable[[int], None] | None = None,
    exclusive: bool = False,
) -> Change:
    """Make the segment's AUTOMATIC members what `rule` says (for `customer_pks` only, when
    given): two statements; the caller counts and records. `on_added(joined)` is told between
    them (a whole evaluation reports its progress). `exclusive`: the caller holds the
    segment's lock_members, so the imports and API writes that could assign the same
    customers meanwhile wait for it."""
    now = utcnow()
    member = _assignment.alias("member")
    automatic = (member.c.segment_pk == segment_pk) & (member.c.assignment_type == "AUTOMATIC")
    # before the INSERT: a first evaluation has nobody to remove, and needs no second scan
    first = (
        customer_pks is None
        and session.execute(select(member.c.pk).where(automatic).limit(1)).first() is None
    )
    picked = matches(rule, ctx, customer_pks, session)
    new = (
        picked.add_columns(
            literal(segment_pk).label("segment_pk"),
            literal("AUTOMATIC").label("assignment_type"),
            literal(1).label("version"),
            bindparam("created", now, type_=CustomerAssignment.created_at.type).label("c"),
            bindparam("modified", now, type_=CustomerAssignment.created_at.type).label("m"),
        )
        .where(
            ~select(member.c.pk)
            .where(member.c.segment_pk == segment_pk, member.c.customer_pk == _customer.c.pk)
            .exists()
        )
        # in index order: SQLite appends to its b-trees, and concurrent writers lock in one order
        .order_by(_customer.c.pk)
    )
    insert = _insert(session).from_select(AUTOMATIC_COLUMNS, new)
    if not exclusive or session.get_bind().dialect.name != "postgresql":
        # a writer that does not take lock_members (a directory batch) may assign the same
        # customer meanwhile. PostgreSQL pays for ON CONFLICT on every row (a speculative
        # insertion, confirmed by a WAL record of its own), so an exclusive evaluation leaves
        # it out and is tried again should such a writer's row meet it (runs.ATTEMPTS)
        insert = insert.on_conflict_do_nothing()
    # an INSERT's rowcount is kept only when asked for (SQLAlchemy 2.1)
    joined = rowcount(session.execute(insert.execution_options(preserve_rowcount=True)))
    if on_added is not None:
        on_added(joined)
    if customer_pks is not None:
        # the batch's customers the rule does not select: a set the database hashes, where an
        # IN list would be compared with each of the segment's members
        unselected = select(_customer.c.pk).where(
            in_list(_customer.c.pk, customer_pks, session),
            _customer.c.tenant_id + 0 == ctx.tenant_id,
            ~sa.func.coalesce(rule_condition(rule, ctx), sa.false()),
        )
        gone = select(member.c.pk).where(automatic, member.c.customer_pk.in_(unselected))
    elif first:
        return Change(joined, 0)
    else:
        gone = select(member.c.pk).where(automatic, member.c.customer_pk.not_in(matches(rule, ctx)))
    left = rowcount(
        session.execute(
            delete(_assignment)
            .where(_assignment.c.pk.in_(gone))
            .execution_options(synchronize_session=False)
        )
    )
    return Change(joined, left)


def count_selected(session: DbSession, rule: CheckedRule, ctx: SqlContext) -> int:
    """How many of the tenant's customers the rule selects (members or not): counted on the
    customer table itself (SQLite counts a subquery of the pks slower)."""
    counted = select(func.count()).select_from(_customer).where(*selected(rule, ctx))
    return int(session.execute(counted).scalar() or 0)


def record_change(session: DbSession, segment: Segment, change: Change, trigger: str) -> None:
    """Count the change in the segment and log it, as done by the rule."""
    record_changes(session, [(segment, change)], trigger)


def record_changes(
    session: DbSession, changed: Sequence[tuple[Segment, Change]], trigger: str
) -> None:
    """record_change for many segments: their counts in one UPDATE (a directory batch changes
    a hundred segments at once), the log as record_change writes it."""
    counters.adjust_members(
        session, {segment.pk: change.joined - change.left for segment, change in changed}
    )
    detail = {"reason": "rule", "trigger": trigger}
    with activity.acting_as(RULE_ACTOR):
        activity.memberships_changed(
            [(segment, change.joined, change.left) for segment, change in changed], detail
        )


def evaluate_ids(
    rules: RuleSet,
    ids: Iterable[str],
    trigger: str,
    customer_pks: Sequence[int] | None = None,
    session: DbSession | None = None,
) -> dict[str, Change]:
    """Evaluate the rules of segments `ids` (already in dependency order), for `customer_pks`
    when given; counted and logged. Returns what changed, by segment id."""
    session = session or db.session
    ctx = rules.context(clock())
    changes: dict[str, Change] = {}
    for segment_id in ids:
        segment = rules.segments[segment_id]
        change = apply_rule(session, segment.pk, rules.rules[segment_id], ctx, customer_pks)
        if change.joined or change.left:
            record_change(session, segment, change, trigger)
            changes[segment_id] = change
    return changes


def evaluate_dependants(
    rules: RuleSet,
    changed: Iterable[str],
    customer_pks: Sequence[int] | None = None,
    session: DbSession | None = None,
) -> dict[str, Change]:
    """Evaluate the rules that refer to the segments `changed` (for `customer_pks`, when only
    theirs changed), in dependency order."""
    return evaluate_ids(rules, rules.dependants(changed), "dependency", customer_pks, session)


class Selector:
    """Asks whether a segment's rule selects a customer, the rule checked once for many asks."""

    def __init__(self, segment: Segment):
        self.segment = segment
        self._loaded = False
        self._rule: CheckedRule | None = None
        self._ctx: SqlContext | None = None

    def selects(self, customer_pk: int) -> bool:
        """Whether the rule selects the customer now (False without a rule)."""
        if self.segment.rule is None:
            return False
        if not self._loaded:
            rules = RuleSet.load(self.segment.tenant_id)
            self._rule = rules.rules.get(self.segment.id)
            self._ctx = rules.context(clock())
            self._loaded = True
        if self._rule is None or self._ctx is None:
            return False
        stmt = matches(self._rule, self._ctx).where(_customer.c.pk == customer_pk)
        return db.session.execute(stmt).first() is not None
