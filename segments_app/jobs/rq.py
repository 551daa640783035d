"""The production runner: jobs go to a Redis queue and `flask imports worker` runs them.

RQ because this app has one job type and needs no routing, retries, schedules or result
backend: a queue in Redis and a worker process are all it takes, with no broker to configure.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker

from .heartbeat import Sweeper


def queue(app: Flask) -> Queue:
    """The import queue on REDIS_URL."""
    connection = Redis.from_url(app.config["REDIS_URL"])
    return Queue(app.config["IMPORT_QUEUE"], connection=connection)


def submit(app: Flask, job: Callable[[int], None], pk: int) -> None:
    queue(app).enqueue(
        job,
        pk,
        job_timeout=app.config["IMPORT_JOB_TIMEOUT"],
        result_ttl=0,
        failure_ttl=7 * 24 * 3600,
        description=f"{getattr(job, '__name__', 'job')} {pk}",
    )


def work(app: Flask, burst: bool = False, recover: Callable[[], object] | None = None) -> bool:
    """Run queued jobs in this process (SimpleWorker: no fork per job, so the app, its
    connection pool and its heartbeat thread stay as they are); `burst` stops when empty.
    `recover` (which fails interrupted imports) runs at the start and then on a timer."""
    q = queue(app)
    worker = SimpleWorker([q], connection=q.connection)
    sweeper = Sweeper.for_app(app, recover).start() if recover is not None else None
    try:
        return worker.work(burst=burst, with_scheduler=False)
    finally:
        if sweeper is not None:
            sweeper.stop()
