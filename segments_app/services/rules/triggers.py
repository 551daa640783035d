"""When rules are evaluated besides a save: for the customers a directory batch wrote, and for
the rules that name a segment whose members changed (a rule's evaluation aside, which sees to
its own dependants), just before the change commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ...extensions import DbSession, db
from ...models import Customer, Segment
from ...models.directory import CustomerLegalEntity
from ..sqlvalues import in_list
from .batch import LEGAL_ENTITIES, evaluate_batch
from .evaluate import RuleSet, evaluate_ids

#: session.info key of the segments whose membership changed in the transaction
_PENDING = "segments_rules_pending"


def evaluate_customers(
    tenant: Any, customer_pks: Iterable[int], fields: frozenset[str] | None = None
) -> None:
    """Evaluate every rule of the tenant for the customers `customer_pks` (a directory batch
    wrote them), in dependency order, in the caller's transaction; only the rules that read
    `fields` (the fields the writes changed; None: any) or depend on a segment that changed."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    if has_rules(db.session, tenant_id):
        _evaluate_customers(tenant_id, customer_pks, fields)


def _evaluate_customers(
    tenant_id: int, customer_pks: Iterable[int], fields: frozenset[str] | None
) -> None:
    pks = sorted(set(customer_pks))
    if pks:
        rules = RuleSet.load(tenant_id)
        evaluate_batch(db.session, rules, rules.order(), "directory", pks, fields)


def evaluate_records(
    tenant: Any,
    kind: str,
    ids: Iterable[str],
    fields: frozenset[str] | None = None,
    customer_pks: Mapping[str, int] | None = None,
) -> None:
    """After directory records of `kind` were written or deleted: evaluate the rules for the
    customers they are or (legal entities) that belong to them. `fields`: see changed_fields
    (None: any field may have changed). `customer_pks`: the pks of those customers the caller
    knows, by id (the others are looked up)."""
    ids = list(dict.fromkeys(ids))
    if not ids or kind not in ("customer", "legalEntity") or not has_rules(db.session, tenant.id):
        return
    pks: list[int] = []
    if kind == "customer" and customer_pks:
        pks = [customer_pks[key] for key in ids if key in customer_pks]
        ids = [key for key in ids if key not in customer_pks]
    if ids:  # one parameter however many (in_list)
        if kind == "customer":
            stmt = select(Customer.pk).where(
                Customer.tenant_id == tenant.id, in_list(Customer.id, ids, db.session)
            )
        else:
            stmt = select(CustomerLegalEntity.customer_pk).where(
                CustomerLegalEntity.tenant_id == tenant.id,
                in_list(CustomerLegalEntity.legal_entity_id, ids, db.session),
            )
        pks.extend(db.session.scalars(stmt))
    if kind == "legalEntity":
        fields = frozenset({LEGAL_ENTITIES})
    _evaluate_customers(tenant.id, pks, fields)  # has_rules said yes above


#: directory columns of a customer -> the rule fields that read them
_COLUMNS = {"first_name": "firstName", "last_name": "lastName", "email": "email"}


def changed_fields(kind: str, writes: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    """The rule fields that (stored, prepared) record pairs of `kind` change; None when any may
    (a new record, another kind). Compared over the batch, so a rule no record's change reads
    need not be evaluated for it."""
    if kind != "customer":
        return None
    found: set[str] = set()
    for stored, record in writes:
        if stored is None:
            return None
        old, new = stored.values, record.values
        found.update(
            name for column, name in _COLUMNS.items() if old.get(column) != new.get(column)
        )
        before, after = old.get("attributes") or {}, new.get("attributes") or {}
        found.update(
            f"attributes.{key}"
            for key in before.keys() | after.keys()
            if before.get(key) != after.get(key)
        )
        if stored.links != record.links:
            found.add(LEGAL_ENTITIES)
    return frozenset(found)


def membership_changed(
    session: DbSession, segment: Segment, customer_pks: Iterable[int] | None = None
) -> None:
    """Note that the segment's membership changed (for `customer_pks` only, when given) in the
    session's transaction: the rules that refer to it are evaluated just before it commits,
    once for everything noted (a bulk request of 200 members is one evaluation per rule)."""
    target: Session = session() if callable(session) else session  # type: ignore[assignment]
    pending: dict[int, dict[str, set[int] | None]] | None = target.info.get(_PENDING)
    if pending is None:
        pending = target.info[_PENDING] = {}
        event.listen(target, "before_commit", _evaluate_pending, once=True)
        event.listen(target, "after_rollback", _forget_pending, once=True)
    by_segment = pending.setdefault(segment.tenant_id, {})
    if customer_pks is None or (segment.id in by_segment and by_segment[segment.id] is None):
        by_segment[segment.id] = None
    else:
        known = by_segment.setdefault(segment.id, set())
        assert known is not None
        known.update(customer_pks)


def _forget_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None and event.contains(session, "before_commit", _evaluate_pending):
        event.remove(session, "before_commit", _evaluate_pending)


def _evaluate_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if event.contains(session, "after_rollback", _forget_pending):
        event.remove(session, "after_rollback", _forget_pending)
    for tenant_id, by_segment in (pending or {}).items():
        if not has_rules(session, tenant_id):
            continue
        rules = RuleSet.load(tenant_id, session)
        whole = [key for key, pks in by_segment.items() if pks is None]
        if whole:
            evaluate_ids(rules, rules.affected(whole), "dependency", None, session)
        some: dict[str, set[int]] = {k: v for k, v in by_segment.items() if v is not None}
        if some:
            pks = sorted(set().union(*some.values()))
            evaluate_batch(session, rules, rules.affected(some), "dependency", pks)
    session.flush()


def has_rules(session: DbSession, tenant_id: int) -> bool:
    """Whether any segment of the tenant has a rule (one indexed look)."""
    stmt = select(Segment.pk).where(Segment.tenant_id == tenant_id, Segment.rule.is_not(None))
    return session.execute(stmt.limit(1)).first() is not None
