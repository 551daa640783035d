"""Evaluations of whole segments: queued by a save (or the schedule), run in the background.

An evaluation runs in one transaction (its segment's two statements, then its dependants'), so
one that fails or whose process dies leaves the membership exactly as it was. Its row says how
far it got: queued, running (with a heartbeat renewed from another thread, as member imports
do), done or failed with the reason. While it runs it reports its progress (see `Progress`).
One silent for IMPORT_STALE_SECONDS was interrupted and
is marked failed by the sweep that also looks for interrupted imports, which also refreshes the
rules with relative dates every RULE_REFRESH_MINUTES.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from ...errors import AppError
from ...extensions import DbSession, db, rowcount
from ...jobs import embedded_runner, submit_after_commit, uses_rq
from ...jobs import fail_unsubmitted as fail_queued
from ...jobs.heartbeat import Heartbeat, beating
from ...models import CustomerAssignment, RuleEvaluation, Segment
from ...models.types import utcnow
from .. import activity
from ..longwork import lift_statement_timeout, reuse_plans
from .evaluate import (
    Change,
    RuleSet,
    apply_rule,
    clock,
    count_selected,
    evaluate_dependants,
    lock_members,
    record_change,
)
from .indexes import ensure_indexes
from .progress import Progress, forget
from .progress import progress_of as progress_of  # served by service.evaluation_progress
from .sql import SqlContext
from .tree import CheckedRule

log = logging.getLogger(__name__)
_UNFINISHED = RuleEvaluation.state.in_(("queued", "running"))

INTERRUPTED = "Interrupted: the process running it stopped. Nothing was changed; save it again."
SUPERSEDED = "The rule changed before this evaluation ran; the newer rule's evaluation counts."
#: how often an evaluation that lost a deadlock is tried
ATTEMPTS = 3
#: an evaluation that adds and removes this many members refreshes the planner's statistics
ANALYZE_AFTER = 10_000


def checkpoint(step: str) -> None:
    """Called after the segment's own statements ('applied'); does nothing. Tests replace it
    to fail an evaluation at that point."""


def _queued(segment: Segment, reason: str, actor: str) -> RuleEvaluation:
    """A new evaluation of the segment's rule as it is now, waiting to run (added, unflushed)."""
    now = utcnow()
    evaluation = RuleEvaluation(
        tenant_id=segment.tenant_id,
        segment_pk=segment.pk,
        reason=reason,
        state="queued",
        actor=actor,
        joined=0,
        left=0,
        detail={"ruleVersion": segment.rule_version},
        created_at=now,
        heartbeat_at=now,
    )
    db.session.add(evaluation)
    return evaluation


def queue_evaluation(segment: Segment, reason: str) -> RuleEvaluation:
    """A queued evaluation of the segment's rule as it is now, run once the caller commits."""
    evaluation = _queued(segment, reason, activity.current_actor())
    db.session.flush()
    submit_after_commit(
        db.session(),
        run_evaluation,
        evaluation.pk,
        recover=sweep,
        on_failure=_fail_unsubmitted,
        model=RuleEvaluation,
    )
    return evaluation


def run_evaluation(evaluation_pk: int) -> None:
    """The job: run a queued evaluation to its end (done or failed)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with (
        app.app_context(),
        beating(app, evaluation_pk, RuleEvaluation, _UNFINISHED) as heartbeat,
    ):
        try:
            if not _claim(evaluation_pk):
                return
            _prepare_indexes(evaluation_pk)
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    _evaluate(evaluation_pk, heartbeat)
                    break
                except Exception as exc:
                    db.session.rollback()
                    if attempt < ATTEMPTS and _transient(exc):
                        time.sleep(0.05 * attempt)  # a deadlock victim: the other side goes on
                        continue
                    _fail(evaluation_pk, _reason(exc))
                    break
        finally:
            forget(evaluation_pk)
            db.session.remove()


def _prepare_indexes(pk: int) -> None:
    """Make the expression indexes the rule would use (indexes.py) before evaluating it, with
    no transaction of this session open: PostgreSQL's concurrent build waits for every older
    transaction to end. A failure only costs speed: logged, and the evaluation goes on."""
    try:
        evaluation = db.session.get(RuleEvaluation, pk)
        segment = db.session.get(Segment, evaluation.segment_pk) if evaluation else None
        if segment is None or segment.rule is None:
            return
        rules = RuleSet.load(segment.tenant_id)
        rule = rules.rules.get(segment.id)
        db.session.rollback()
        if rule is not None:
            made = ensure_indexes(db.engine, rule, rules.types)
            if made:
                log.info("made indexes %s for the rule of evaluation %s", made, pk)
    except Exception:
        db.session.rollback()
        log.exception("the indexes for the rule of evaluation %s were not made", pk)


def _claim(pk: int) -> bool:
    """queued -> running, unless the sweep got there first."""
    now = utcnow()
    claimed = rowcount(
        db.session.execute(
            update(RuleEvaluation)
            .where(RuleEvaluation.pk == pk, RuleEvaluation.state == "queued")
            .values(state="running", started_at=now, heartbeat_at=now)
        )
    )
    db.session.commit()
    return bool(claimed)


def _evaluate(pk: int, heartbeat: Heartbeat | None = None) -> None:
    session = db.session
    started = time.monotonic()
    if session.get_bind().dialect.name == "sqlite":
        # a write first: on SQLite the transaction then holds the write lock, so what it reads
        # next is what it changes. Not on PostgreSQL: the row would stay locked to the commit,
        # and the heartbeat could not write the progress into it.
        session.execute(
            update(RuleEvaluation).where(RuleEvaluation.pk == pk).values(heartbeat_at=utcnow())
        )
    lift_statement_timeout(session)
    reuse_plans(session)
    evaluation = session.get(RuleEvaluation, pk)
    assert evaluation is not None
    segment = session.get(Segment, evaluation.segment_pk)
    wanted = (evaluation.detail or {}).get("ruleVersion")
    if segment is None or segment.rule is None or segment.rule_version != wanted:
        session.rollback()
        _fail(pk, SUPERSEDED)
        return
    rules = RuleSet.load(segment.tenant_id)
    rule = rules.rules.get(segment.id)
    if rule is None:
        raise AppError("The rule no longer checks (a segment it names was deleted); save it anew.")
    # an import or an API write of these segments at the same moment waits, or is waited for
    lock_members(
        session, [segment.pk, *(rules.segments[k].pk for k in rules.dependants([segment.id]))]
    )
    ctx = rules.context(clock())
    # SQLite: the transaction holds the write lock to its commit, so no other connection can
    # write the progress; polls in this process read it from memory
    shared = heartbeat if session.get_bind().dialect.name != "sqlite" else None
    progress = Progress(shared, pk, evaluation.detail or {})
    matched, change = _apply(session, segment, rule, ctx, progress)
    checkpoint("applied")
    record_change(session, segment, change, evaluation.reason)
    dependants = {}
    if change.joined or change.left:
        progress.phase("dependants", left=change.left)
        dependants = evaluate_dependants(rules, [segment.id], None, session)
    ms = round((time.monotonic() - started) * 1000)
    with activity.acting_as(evaluation.actor):
        activity.record(
            segment,
            "rule.evaluated",
            1,
            {
                "matched": matched,
                "joined": change.joined,
                "left": change.left,
                "ms": ms,
                "trigger": evaluation.reason,
                "evaluationId": str(pk),
            },
        )
    now = utcnow()
    session.execute(update(Segment).where(Segment.pk == segment.pk).values(rule_evaluated_at=now))
    evaluation.state = "done"
    evaluation.matched = matched
    evaluation.joined = change.joined
    evaluation.left = change.left
    evaluation.finished_at = now
    evaluation.heartbeat_at = now
    evaluation.detail = {
        **progress.detail,
        "ms": ms,
        "dependants": {key: {"joined": c.joined, "left": c.left} for key, c in dependants.items()},
    }
    session.commit()
    progress.close()
    if change.joined + change.left >= ANALYZE_AFTER:
        _analyze()


def _apply(
    session: DbSession, segment: Segment, rule: CheckedRule, ctx: SqlContext, progress: Progress
) -> tuple[int, Change]:
    """The segment's own statements, reported as they go: (matched, what changed)."""
    # a segment without members (a new one): everyone the rule selects joins, so the INSERT
    # counts the matches, and nobody leaves
    members = select(CustomerAssignment.pk).where(CustomerAssignment.segment_pk == segment.pk)
    empty = session.execute(members.limit(1)).first() is None
    matched = 0
    if not empty:
        progress.phase("counting")
        # one count before the writes: a poll then knows the size of the work
        matched = count_selected(session, rule, ctx)
    progress.phase("adding", **({} if empty else {"matched": matched}))

    def added(joined: int) -> None:
        progress.phase("removing", joined=joined, **({"matched": joined} if empty else {}))

    change = apply_rule(session, segment.pk, rule, ctx, on_added=added, exclusive=True)
    return (change.joined if empty else matched), change


def _analyze() -> None:
    """PostgreSQL: new statistics of the assignments after an evaluation changed many, before
    autovacuum gets to it. With the old ones the planner takes a segment of thousands of
    members for a few hundred, and the next directory batch's statements for a nested loop
    over all of them (seconds instead of milliseconds)."""
    if db.engine.dialect.name != "postgresql":
        return
    try:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE customer_assignment")
    except OperationalError as exc:  # statistics are an optimisation; the evaluation is done
        log.warning("assignments not analyzed: %s", exc)


#: PostgreSQL's unique_violation: a writer that does not lock the segment's members (a
#: directory batch) assigned a customer the evaluation's INSERT (without ON CONFLICT) also adds
_UNIQUE = "23505"


def _transient(exc: Exception) -> bool:
    """A deadlock or serialization failure (PostgreSQL), or a member another writer added at
    the same moment, which the same work may not meet again."""
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and code in ("40P01", "40001", _UNIQUE)


def _reason(exc: Exception) -> str:
    if isinstance(exc, AppError):
        return exc.message
    if isinstance(exc, IntegrityError):
        return "The segment changed while the rule was evaluated, so nothing was changed."
    if isinstance(exc, OperationalError):
        return f"The database stopped the evaluation, so nothing was changed: {exc.orig}"
    log.exception("rule evaluation failed")
    return f"The evaluation stopped on an unexpected error, so nothing was changed: {exc}"


def _fail(pk: int, reason: str) -> None:
    db.session.execute(
        update(RuleEvaluation)
        .where(RuleEvaluation.pk == pk, RuleEvaluation.state.in_(("queued", "running")))
        .values(state="failed", error=reason, finished_at=utcnow())
    )
    db.session.commit()


def _fail_unsubmitted(pk: int, exc: Exception) -> None:
    """The runner could not take the job (Redis is down): say so on the evaluation."""
    message = f"The evaluation could not be queued: {exc}. Save the rule again later."
    fail_queued(RuleEvaluation.state, pk, message)


# -- interrupted evaluations, and the schedule --------------------------------------------------


def recover_interrupted(stale_after: float | None = None) -> int:
    """Mark failed every evaluation whose process stopped, in a transaction of its own."""
    seconds = current_app.config["IMPORT_STALE_SECONDS"] if stale_after is None else stale_after
    cutoff = utcnow() - timedelta(seconds=seconds)
    # RQ keeps queued jobs in Redis across restarts; only the embedded runner loses them
    states = ("running",) if uses_rq(current_app) else ("queued", "running")
    silent = and_(
        RuleEvaluation.state.in_(states),
        or_(RuleEvaluation.heartbeat_at.is_(None), RuleEvaluation.heartbeat_at < cutoff),
    )
    with db.engine.begin() as connection:
        if connection.execute(select(RuleEvaluation.pk).where(silent).limit(1)).first() is None:
            return 0
        return connection.execute(
            update(RuleEvaluation)
            .where(silent)
            .values(state="failed", error=INTERRUPTED, finished_at=utcnow())
        ).rowcount


def refresh(
    tenant_id: int | None = None, older_than: timedelta | None = None
) -> list[RuleEvaluation]:
    """Evaluate again the rules with relative dates (of one tenant, or all; only those last
    evaluated longer than `older_than` ago, when given), one transaction each."""
    stmt = select(Segment.pk).where(Segment.rule_relative, Segment.rule.is_not(None))
    if tenant_id is not None:
        stmt = stmt.where(Segment.tenant_id == tenant_id)
    if older_than is not None:
        since = utcnow() - older_than
        stmt = stmt.where(
            or_(Segment.rule_evaluated_at.is_(None), Segment.rule_evaluated_at < since)
        )
    done = []
    for segment_pk in db.session.scalars(stmt.order_by(Segment.tenant_id, Segment.pk)).all():
        segment = db.session.get(Segment, segment_pk)
        if segment is None:
            continue
        evaluation = _queued(segment, "schedule", "schedule")
        db.session.commit()
        run_evaluation(evaluation.pk)
        db.session.refresh(evaluation)
        done.append(evaluation)
    return done


_last_refresh: dict[int, float] = {}
_refreshing = threading.Lock()


def sweep() -> None:
    """On the runner's timer: fail interrupted evaluations, and refresh the relative rules
    every RULE_REFRESH_MINUTES (0: never; the first sweep of a process only starts the clock)."""
    recover_interrupted()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    minutes = app.config.get("RULE_REFRESH_MINUTES", 0)
    if not minutes:
        return
    now = time.monotonic()
    with _refreshing:
        last = _last_refresh.get(id(app))
        if last is None or now - last < minutes * 60:
            _last_refresh.setdefault(id(app), now)
            return
        _last_refresh[id(app)] = now
    # other processes refresh too: each rule only when nobody did within the interval
    refresh(older_than=timedelta(minutes=minutes) - timedelta(seconds=30))


def keep_sweeping(app: Flask) -> None:
    """Look for interrupted evaluations and refresh relative rules on a timer from now on
    (a serving process, with the embedded runner; with Redis the worker does it)."""
    if not uses_rq(app):
        embedded_runner(app, sweep)
