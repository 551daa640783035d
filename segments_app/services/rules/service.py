"""What the API and the dashboard do with a segment's rule: save, remove, preview, and read its
evaluations. Saving answers at once with a queued evaluation that runs in the background once
the request commits (see runs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, select, update
from sqlalchemy.orm import selectinload

from ...errors import NotFound, ValidationFailed
from ...extensions import db, rowcount
from ...models import Customer, CustomerAssignment, RuleEvaluation, Segment, Tenant
from ...models.types import isoformat, utcnow
from ...query.i18n import LanguagePrefs
from .. import activity, counters
from ..directory import customer_document
from . import runs
from .evaluate import RuleSet, clock, count_selected, matches, selected
from .sql import SqlContext, rule_condition
from .tree import AttributeTypes, CheckedRule, check_rule, dependency_order, stored_references
from .triggers import evaluate_customers, membership_changed

#: how far a running evaluation got ({phase, matched, joined, left} as known), or None
evaluation_progress = runs.progress_of

#: customers a preview shows
SAMPLE_SIZE = 20


@dataclass
class Preview:
    """What saving a rule would do, found without changing anything."""

    matched: int
    joining: int
    leaving: int
    sample: list[dict] = field(default_factory=list)


def _tree_of(body: object) -> Any:
    """The rule tree of a request body: {"rule": {...}}, or {"q": "..."} (a rule in the `q`
    language, checked as the rule {"q": ...})."""
    if not isinstance(body, dict):
        raise ValidationFailed.field(
            "", 'The body must be a JSON object such as {"rule": {"all": [...]}}.', "type"
        )
    if "rule" not in body and isinstance(body.get("q"), str):
        return {"q": body["q"]}
    if "rule" not in body or body["rule"] is None:
        raise ValidationFailed.field("rule", "rule is required.", "required")
    return body["rule"]


def check(segment: Segment, body: object) -> CheckedRule:
    """The rule of `body`, checked for `segment`: its fields and values against the tenant's
    attribute types, its inSegment ids against the tenant's segments, and no cycle through
    other rules (400 with a detail per problem, each pointing into the rule)."""
    tree = _tree_of(body)
    ids = db.session.scalars(select(Segment.id).where(Segment.tenant_id == segment.tenant_id))
    checked = check_rule(tree, AttributeTypes.for_tenant(segment.tenant_id), set(ids))
    others = db.session.execute(
        select(Segment.id, Segment.rule).where(
            Segment.tenant_id == segment.tenant_id,
            Segment.rule.is_not(None),
            Segment.pk != segment.pk,
        )
    )
    graph = {segment_id: frozenset(stored_references(rule)) for segment_id, rule in others}
    graph[segment.id] = checked.segments
    dependency_order(graph)
    return checked


def save_rule(tenant: Tenant, segment: Segment, body: object) -> RuleEvaluation:
    """Check and store the rule of `body` ({"rule": tree}) on the segment, and queue its
    evaluation (it runs in the background once the caller commits). A rule that does not
    check is a 400 and the rule in force stays as it is."""
    checked = check(segment, body)
    if segment.rule != checked.tree:
        segment.rule = checked.tree
        segment.version += 1
        segment.modified_at = utcnow()
    segment.rule_version += 1
    segment.rule_relative = checked.relative
    db.session.flush()
    activity.record(segment, "rule.saved", 1, {"ruleVersion": segment.rule_version})
    return runs.queue_evaluation(segment, "saved")


def remove_rule(tenant: Tenant, segment: Segment, keep_members: bool = False) -> None:
    """Make the segment a list again: its AUTOMATIC members leave, or with `keep_members` stay
    as MANUAL ones ("freeze"). 404 when it has no rule."""
    if segment.rule is None:
        raise NotFound(segment.id, f"Segment {segment.id} has no rule; it is a list.")
    segment.rule = None
    segment.rule_version += 1
    segment.rule_relative = False
    segment.rule_evaluated_at = None
    segment.version += 1
    segment.modified_at = utcnow()
    db.session.flush()
    automatic = (CustomerAssignment.segment_pk == segment.pk) & (
        CustomerAssignment.assignment_type == "AUTOMATIC"
    )
    if keep_members:
        kept = rowcount(
            db.session.execute(
                update(CustomerAssignment)
                .where(automatic)
                .values(
                    assignment_type="MANUAL",
                    version=CustomerAssignment.version + 1,
                    modified_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
        )
        activity.record(segment, "rule.removed", 1, {"keptMembers": kept})
        return
    removed = rowcount(
        db.session.execute(
            CustomerAssignment.__table__.delete().where(
                CustomerAssignment.__table__.c.segment_pk == segment.pk,
                CustomerAssignment.__table__.c.assignment_type == "AUTOMATIC",
            )
        )
    )
    counters.adjust(db.session, segment.pk, members=-removed)
    if removed:
        activity.record(
            segment, "members.removed", removed, {"reason": "rule", "trigger": "removed"}
        )
        membership_changed(db.session, segment)
    activity.record(segment, "rule.removed", 1, {"removedMembers": removed})
    db.session.expire_all()


def preview(tenant: Tenant, segment: Segment, body: object) -> Preview:
    """How many customers the rule of `body` selects, how many would join and leave the
    segment, and the first SAMPLE_SIZE of them; nothing is written."""
    checked = check(segment, body)
    pks = dict(
        db.session.execute(
            select(Segment.id, Segment.pk).where(Segment.tenant_id == tenant.id)
        ).all()
    )
    ctx = SqlContext(tenant.id, clock(), AttributeTypes.for_tenant(tenant.id), pks)
    # one pass over the customers the rule selects; the joining come from the segment's own
    # members (few beside the directory): matched less the members the rule selects
    customer = Customer.__table__
    matched = count_selected(db.session, checked, ctx)
    holds = func.coalesce(rule_condition(checked, ctx), false())
    automatic = (
        select(CustomerAssignment.pk)
        .where(
            CustomerAssignment.segment_pk == segment.pk,
            CustomerAssignment.customer_pk == customer.c.pk,
            CustomerAssignment.assignment_type == "AUTOMATIC",
        )
        .exists()
    )
    members = select(CustomerAssignment.customer_pk).where(
        CustomerAssignment.segment_pk == segment.pk
    )
    selected_members, leaving = db.session.execute(
        select(
            func.coalesce(func.sum(case((holds, 1), else_=0)), 0),
            func.coalesce(func.sum(case((automatic & ~holds, 1), else_=0)), 0),
        ).where(customer.c.pk.in_(members))
    ).one()
    joining = (matched or 0) - int(selected_members)
    sample: list[Customer] = []
    if matched:
        sample = list(
            db.session.scalars(
                select(Customer)
                .options(selectinload(Customer.legal_entity_links))
                .where(*_sample_condition(tenant, checked, ctx, matched))
                .order_by(Customer.pk)
                .limit(SAMPLE_SIZE)
            )
        )
    return Preview(matched or 0, joining, int(leaving), [customer_document(c) for c in sample])


def _sample_condition(
    tenant: Tenant, checked: CheckedRule, ctx: SqlContext, matched: int
) -> tuple[ColumnElement[bool], ...]:
    """The WHERE of the sample. On SQLite, read in key order, it stops at the SAMPLE_SIZE-th
    customer the rule selects: SQLite's planner would take an attribute index for a broad
    condition (a quarter of the customers, read one by one and sorted) even when many match, and
    it uses no index for conditions wrapped in a function, so it scans in key order and reads
    about SAMPLE_SIZE / matched of the customers. Few matches: the planner's choice.
    PostgreSQL: the pks of the matches first (its planner guesses jsonb containment at 100 rows
    and could walk the primary key to find 20 of a few)."""
    customer = Customer.__table__
    if db.session.get_bind().dialect.name != "sqlite":
        picked = matches(checked, ctx).subquery()
        return (customer.c.pk.in_(select(picked.c.pk)),)
    if matched < 10 * SAMPLE_SIZE:
        return selected(checked, ctx)
    return (
        customer.c.tenant_id + 0 == tenant.id,
        func.coalesce(rule_condition(checked, ctx), false()),
    )


def get_rule(segment: Segment) -> dict:
    """The rule document of GET .../rule; 404 when the segment has none."""
    if segment.rule is None:
        raise NotFound(segment.id, f"Segment {segment.id} has no rule; it is a list.")
    doc: dict[str, Any] = {
        "segmentId": segment.id,
        "rule": segment.rule,
        "relative": segment.rule_relative,
        "version": segment.rule_version,
    }
    if segment.rule_evaluated_at is not None:
        doc["evaluatedAt"] = isoformat(segment.rule_evaluated_at)
    latest = latest_evaluation(segment)
    if latest is not None:
        doc["lastEvaluation"] = evaluation_document(latest, segment.id)
    return doc


def get_evaluation(tenant: Tenant, segment: Segment, pk: int | str) -> RuleEvaluation:
    """One evaluation of the segment's rule; 404 when there is no such one."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        number = -1
    evaluation = db.session.get(RuleEvaluation, number) if number > 0 else None
    if evaluation is None or evaluation.segment_pk != segment.pk:
        raise NotFound(str(pk), f"Segment {segment.id} has no rule evaluation {pk}.")
    return evaluation


def latest_evaluation(segment: Segment) -> RuleEvaluation | None:
    return db.session.scalar(
        select(RuleEvaluation)
        .where(RuleEvaluation.segment_pk == segment.pk)
        .order_by(RuleEvaluation.pk.desc())
        .limit(1)
    )


def evaluation_document(evaluation: RuleEvaluation, segment_id: str) -> dict:
    """An evaluation as the API shows it (state, counts, times, and why it failed)."""
    doc: dict[str, Any] = {
        "id": str(evaluation.pk),
        "segmentId": segment_id,
        "reason": evaluation.reason,
        "state": evaluation.state,
        "matched": evaluation.matched,
        "joined": evaluation.joined,
        "left": evaluation.left,
        "createdAt": isoformat(evaluation.created_at),
        "startedAt": isoformat(evaluation.started_at),
        "finishedAt": isoformat(evaluation.finished_at),
    }
    if evaluation.error:
        doc["error"] = evaluation.error
    doc["progress"] = evaluation_progress(evaluation)
    return {key: value for key, value in doc.items() if value is not None}


def preview_document(result: Preview, prefs: LanguagePrefs | None = None) -> dict:
    return {
        "matched": result.matched,
        "joining": result.joining,
        "leaving": result.leaving,
        "sample": result.sample,
    }


refresh = runs.refresh

__all__ = [
    "Preview",
    "RuleSet",
    "check",
    "evaluate_customers",
    "evaluation_document",
    "evaluation_progress",
    "get_evaluation",
    "get_rule",
    "latest_evaluation",
    "preview",
    "preview_document",
    "refresh",
    "remove_rule",
    "save_rule",
]
