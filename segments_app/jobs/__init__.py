"""The background runner for member imports.

Embedded by default: a thread pool in the app process. With REDIS_URL set, jobs go to RQ and
`flask --app wsgi imports worker` runs them. Either way a job is handed over only once the
transaction that created its import row has committed, so the job always finds the row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from . import rq
from .embedded import EmbeddedRunner, Job

EXTENSION = "segments_jobs"

log = logging.getLogger(__name__)
_starting = threading.Lock()


def uses_rq(app: Flask) -> bool:
    return bool(app.config.get("REDIS_URL"))


def embedded_runner(app: Flask, recover: Callable[[], object] | None = None) -> EmbeddedRunner:
    """This app's thread pool, started on first use (with `recover` at once, then on a timer)."""
    with _starting:  # the first requests may come at once: one runner all the same
        runner = app.extensions.get(EXTENSION)
        created = runner is None
        if runner is None:
            runner = EmbeddedRunner(app, recover)
            app.extensions[EXTENSION] = runner
    if recover is not None and not created:
        runner.also_recover(recover)
    return runner


def submit(
    job: Job, pk: int, recover: Callable[[], object] | None = None, model: Any = None
) -> None:
    """Run `job(pk)` in the background now; `model` is the table of row `pk`, whose heartbeat
    is kept while the job waits (default: a member import)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if uses_rq(app):
        rq.submit(app, job, pk)
    elif model is None:
        embedded_runner(app, recover).submit(job, pk)
    else:
        embedded_runner(app, recover).submit(job, pk, model)


def fail_unsubmitted(status: Any, pk: int, message: str) -> None:
    """For `on_failure` below: the job's row (`status` is its model's status column), if still
    queued, fails with `message`, in a transaction of its own (the request's has committed)."""
    from ..extensions import db
    from ..models.types import utcnow

    model = status.class_
    with db.engine.begin() as connection:
        connection.execute(
            update(model)
            .where(model.pk == pk, status == "queued")
            .values({status.key: "failed", "error": message, "finished_at": utcnow()})
        )


def submit_after_commit(
    session: Session,
    job: Job,
    pk: int,
    *,
    recover: Callable[[], object] | None = None,
    on_failure: Callable[[int, Exception], None] | None = None,
    model: Any = None,
) -> None:
    """Run `job(pk)` in the background once `session` commits (never, if it rolls back).

    When the job cannot be handed over (Redis is down), `on_failure(pk, error)` is called.
    `model` as for submit.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    dropped = False

    def after_commit(_session: Session) -> None:
        if dropped:
            return
        with app.app_context():
            try:
                submit(job, pk, recover, model)
            except Exception as exc:
                log.exception("job %s could not be handed to the runner", pk)
                if on_failure is not None:
                    on_failure(pk, exc)

    def after_rollback(_session: Session) -> None:
        nonlocal dropped
        dropped = True

    event.listen(session, "after_commit", after_commit, once=True)
    event.listen(session, "after_rollback", after_rollback, once=True)


def wait_idle(app: Flask, timeout: float = 60) -> bool:
    """Wait for the embedded runner's jobs to finish (tests, shutdown); True when idle."""
    runner = app.extensions.get(EXTENSION)
    return True if runner is None else runner.wait_idle(timeout)


def shutdown(app: Flask) -> None:
    """Stop the embedded runner and its threads once its jobs are done; the next job starts a
    new one (tests)."""
    with _starting:
        runner = app.extensions.pop(EXTENSION, None)
    if runner is not None:
        runner.shutdown()


__all__ = ["EmbeddedRunner", "shutdown", "submit", "submit_after_commit", "uses_rq", "wait_idle"]
