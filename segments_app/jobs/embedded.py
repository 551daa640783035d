"""The embedded runner: a small thread pool inside the app process.

Its state is the database (the import rows), not the pool: pages and the API read progress
from there, and an import whose process died is found by its stale heartbeat (at the start,
then on a timer, by whichever process runs a runner).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from flask import Flask

from .heartbeat import Heartbeat, Sweeper

log = logging.getLogger(__name__)

Job = Callable[[int], None]


class EmbeddedRunner:
    """Runs jobs `job(pk)` on IMPORT_WORKERS threads, each in a fresh app context; `recover`
    (which fails interrupted imports) runs at the start and then on a timer."""

    def __init__(self, app: Flask, recover: Callable[[], object] | None = None):
        self.app = app
        self._executor = ThreadPoolExecutor(
            max_workers=app.config["IMPORT_WORKERS"], thread_name_prefix="import"
        )
        # queued jobs wait in this process only; their heartbeat says the process is alive
        self._waiting = Heartbeat(app, app.config["IMPORT_HEARTBEAT_SECONDS"])
        self._futures: set[Future] = set()
        self._lock = threading.Lock()
        self._sweeper = Sweeper.for_app(app, recover).start() if recover is not None else None

    def submit(self, job: Job, pk: int) -> None:
        self._waiting.add(pk)
        future = self._executor.submit(self._run, job, pk)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _run(self, job: Job, pk: int) -> None:
        self._waiting.discard(pk)
        with self.app.app_context():
            try:
                job(pk)
            except Exception:
                log.exception("import job %s failed outside its own error handling", pk)

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait_idle(self, timeout: float = 60) -> bool:
        """Wait until every submitted job has finished; False when `timeout` passed first."""
        with self._lock:
            pending = set(self._futures)
        _, not_done = wait(pending, timeout=timeout)
        return not not_done

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        self._waiting.stop()
        if self._sweeper is not None:
            self._sweeper.stop()
