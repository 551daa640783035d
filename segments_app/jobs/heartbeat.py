"""Threads on both sides of an import's heartbeat: one keeps telling the database that some
imports are still being worked on, the other keeps looking for those whose heartbeat stopped.

Each import row has a heartbeat; an import whose heartbeat is older than IMPORT_STALE_SECONDS is
taken for interrupted and marked failed. A run renews it with its progress too, but a single
long statement (validating or applying millions of rows) must not look like a dead process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import MemberImport
from ..models.types import utcnow

log = logging.getLogger(__name__)


class Heartbeat:
    """Renews the heartbeat of a set of imports (or of rows of another `model` with a
    heartbeat_at column: rule evaluations) every `interval` seconds, from its own thread and
    connection."""

    def __init__(self, app: Flask, interval: float, model: Any = MemberImport):
        self.app = app
        self.interval = interval
        self.model = model
        self._pks: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, pk: int) -> None:
        with self._lock:
            self._pks.add(pk)
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="import-heartbeat")
                self._thread.daemon = True
                self._thread.start()

    def discard(self, pk: int) -> None:
        with self._lock:
            self._pks.discard(pk)

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.interval + 5)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                pks = sorted(self._pks)
            if pks:
                self.beat(pks)

    def beat(self, pks: Iterable[int]) -> None:
        """Renew the heartbeats now; a busy database only delays the next one."""
        with self.app.app_context():
            try:
                with db.engine.begin() as connection:
                    connection.execute(
                        update(self.model)
                        .where(self.model.pk.in_(list(pks)))
                        .values(heartbeat_at=utcnow())
                    )
            except SQLAlchemyError as exc:
                log.warning("import heartbeat not renewed: %s", exc)


@contextmanager
def beating(app: Flask, pk: int, model: Any = MemberImport) -> Iterator[None]:
    """Keep the heartbeat of import `pk` (or of row `pk` of `model`) alive while the block
    runs."""
    heartbeat = Heartbeat(app, app.config["IMPORT_HEARTBEAT_SECONDS"], model)
    heartbeat.add(pk)
    try:
        yield
    finally:
        heartbeat.stop()


class Sweeper:
    """Calls `sweep()` (which marks failed the imports whose heartbeat stopped) now and then
    every `interval` seconds, from its own thread, in an app context."""

    def __init__(self, app: Flask, sweep: Callable[[], object], interval: float):
        self.app = app
        self.sweep = sweep
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="import-sweeper", daemon=True)

    @classmethod
    def for_app(cls, app: Flask, sweep: Callable[[], object]) -> Sweeper:
        """A sweeper that finds a stopped import at most IMPORT_HEARTBEAT_SECONDS (or a
        quarter of IMPORT_STALE_SECONDS, when that is shorter) after it became stale."""
        config = app.config
        interval = min(config["IMPORT_HEARTBEAT_SECONDS"], config["IMPORT_STALE_SECONDS"] / 4)
        return cls(app, sweep, max(interval, 0.1))

    def start(self) -> Sweeper:
        self.sweep_now()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sweep_now()

    def sweep_now(self) -> None:
        """Sweep once; a busy database only delays it to the next time."""
        with self.app.app_context():
            try:
                self.sweep()
            except SQLAlchemyError as exc:
                log.warning("interrupted imports not looked for: %s", exc)
