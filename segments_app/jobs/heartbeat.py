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
    connection.

    It also carries progress that a run reports (`report`) while its own transaction is still
    open: written at once from the heartbeat's connection, so a poll sees it before the run
    commits. `unfinished` (a condition on `model`) keeps a report that arrives late from
    overwriting what the finished run wrote.
    """

    def __init__(
        self, app: Flask, interval: float, model: Any = MemberImport, unfinished: Any = None
    ):
        self.app = app
        self.interval = interval
        self.model = model
        self.unfinished = unfinished
        self._pks: set[int] = set()
        self._reports: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
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
            self._reports.pop(pk, None)

    def report(self, pk: int, values: dict[str, Any]) -> None:
        """Write `values` (columns of row `pk`) from the heartbeat's thread, now; a newer
        report replaces one not written yet."""
        with self._lock:
            self._reports[pk] = values
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.interval + 5)

    def _beat(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._lock:
                pks = sorted(self._pks)
                reports, self._reports = self._reports, {}
            if reports:
                self.write_reports(reports)
            if pks:
                self.beat(pks)

    def write_reports(self, reports: dict[int, dict[str, Any]]) -> None:
        """Write reported progress, with a heartbeat (a busy database: the report is lost,
        the next one says more)."""
        with self.app.app_context():
            try:
                with db.engine.begin() as connection:
                    for pk, values in reports.items():
                        stmt = update(self.model).where(self.model.pk == pk)
                        if self.unfinished is not None:
                            stmt = stmt.where(self.unfinished)
                        connection.execute(stmt.values(**values, heartbeat_at=utcnow()))
            except SQLAlchemyError as exc:
                log.warning("progress not written: %s", exc)

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
def beating(
    app: Flask, pk: int, model: Any = MemberImport, unfinished: Any = None
) -> Iterator[Heartbeat]:
    """Keep the heartbeat of import `pk` (or of row `pk` of `model`) alive while the block
    runs; the block may `report` progress through it."""
    heartbeat = Heartbeat(app, app.config["IMPORT_HEARTBEAT_SECONDS"], model, unfinished)
    heartbeat.add(pk)
    try:
        yield heartbeat
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
