"""Imports whose process stopped (killed, crashed, restarted) are found by their heartbeat and
marked failed, so that their segment takes a new import.

A live run renews its heartbeat every IMPORT_HEARTBEAT_SECONDS, a queued import of the embedded
runner is renewed by the runner's process; one silent for IMPORT_STALE_SECONDS is taken for
dead. That is looked for whenever a segment's import lock is consulted (current_import) and on
a timer in the embedded runner and in the RQ worker (recover_interrupted). Marking one failed is
a single conditional UPDATE, so it never fails an import whose heartbeat was renewed meanwhile
or that finished meanwhile. Nothing else is to do: a run's apply commits all or nothing, so
the segment is as it was before the run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import ColumnElement, Update, and_, or_, select, update

from ...extensions import db, rowcount
from ...jobs import embedded_runner, uses_rq
from ...models import MemberImport
from ...models.types import utcnow

INTERRUPTED = "Interrupted: the process running it stopped. Nothing was changed; run it again."


def _stale_statuses() -> tuple[str, ...]:
    # RQ keeps queued jobs in Redis across restarts; only the embedded runner loses them
    return ("running",) if uses_rq(current_app) else ("queued", "running")


def _cutoff(stale_after: float | None = None) -> datetime:
    seconds = current_app.config["IMPORT_STALE_SECONDS"] if stale_after is None else stale_after
    return utcnow() - timedelta(seconds=seconds)


def _silent(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        MemberImport.status.in_(_stale_statuses()),
        or_(MemberImport.heartbeat_at.is_(None), MemberImport.heartbeat_at < cutoff),
    )


def _fail_stale(cutoff: datetime) -> Update:
    """Mark failed the imports (narrowed by the caller's WHERE) that are still silent."""
    return (
        update(MemberImport)
        .where(_silent(cutoff))
        .values(status="failed", phase=None, error=INTERRUPTED, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def recover_interrupted(stale_after: float | None = None) -> int:
    """Mark failed every import whose process stopped, in a transaction of its own (start-up,
    the runners' timers). Returns how many."""
    cutoff = _cutoff(stale_after)
    # a look first, since there is rarely any: on SQLite only a write waits for the lock, which
    # a long apply holds for minutes
    any_silent = select(MemberImport.pk).where(_silent(cutoff)).limit(1)
    with db.engine.begin() as connection:
        if connection.execute(any_silent).first() is None:
            return 0
        return connection.execute(_fail_stale(cutoff)).rowcount


def keep_recovering(app: Flask) -> None:
    """Look for interrupted imports from now on, on a timer, rather than from this process's
    first import: for a process that serves requests (`flask start`, each gunicorn worker), so
    that an import whose process died is failed in time even if this one never runs one. With
    Redis, the worker does it."""
    if not uses_rq(app):
        embedded_runner(app, recover_interrupted)


def release_if_stale(imp: MemberImport) -> bool:
    """True when `imp` (an import holding its segment) was silent too long and is now marked
    failed, in the session's transaction (or on its own, in a request that runs without one)."""
    cutoff = _cutoff()
    if imp.status not in _stale_statuses() or (
        imp.heartbeat_at is not None and imp.heartbeat_at >= cutoff
    ):
        return False
    failed = rowcount(db.session.execute(_fail_stale(cutoff).where(MemberImport.pk == imp.pk)))
    if failed:
        db.session.expire(imp)
    return bool(failed)
