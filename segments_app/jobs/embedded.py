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
from typing import Any

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from ..models import MemberImport
from .heartbeat import Heartbeat, Sweeper

log = logging.getLogger(__name__)

Job = Callable[[int], None]


class EmbeddedRunner:
    """Runs jobs `job(pk)` on IMPORT_WORKERS threads, each in a fresh app context; `recover`
    (which fails interrupted imports) runs at the start and then on a timer, with any other
    recovery added later (see also_recover: interrupted rule evaluations, the rules' refresh)."""

    def __init__(self, app: Flask, recover: Callable[[], object] | None = None):
        self.app = app
        self._executor = ThreadPoolExecutor(
            max_workers=app.config["IMPORT_WORKERS"], thread_name_prefix="import"
        )
        # queued jobs wait in this process only; their heartbeat says the process is alive
        self._interval = app.config["IMPORT_HEARTBEAT_SECONDS"]
        self._waiting: dict[Any, Heartbeat] = {}
        self._futures: set[Future] = set()
        self._lock = threading.Lock()
        self._recovers: list[Callable[[], object]] = []
        self._sweeper: Sweeper | None = None
        if recover is not None:
            self.also_recover(recover)

    def also_recover(self, recover: Callable[[], object]) -> None:
        """Run `recover` on the sweeper's timer too (once, however often added); the first
        recovery also runs at once."""
        with self._lock:
            if recover in self._recovers:
                return
            self._recovers.append(recover)
            start = self._sweeper is None
            if start:
                self._sweeper = Sweeper.for_app(self.app, self._recover_all)
        if start:
            assert self._sweeper is not None
            self._sweeper.start()

    def _recover_all(self) -> None:
        with self._lock:
            recovers = list(self._recovers)
        for recover in recovers:
            try:
                recover()
            except SQLAlchemyError as exc:  # a busy database only delays it to the next time
                log.warning("recovery %s not run: %s", getattr(recover, "__name__", recover), exc)

    def submit(self, job: Job, pk: int, model: Any = MemberImport) -> None:
        """Run `job(pk)` on a thread; until it starts, the heartbeat of row `pk` of `model`
        (a member import, a rule evaluation) is kept alive."""
        with self._lock:
            waiting = self._waiting.get(model)
            if waiting is None:
                waiting = self._waiting[model] = Heartbeat(self.app, self._interval, model)
        waiting.add(pk)
        future = self._executor.submit(self._run, job, pk, waiting)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _run(self, job: Job, pk: int, waiting: Heartbeat) -> None:
        waiting.discard(pk)
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
        for waiting in list(self._waiting.values()):
            waiting.stop()
        if self._sweeper is not None:
            self._sweeper.stop()
