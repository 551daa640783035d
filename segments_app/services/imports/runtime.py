"""How a run uses its process and its connection: a connection of its own, tuned for bulk
work, and fewer garbage collections while it parses."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.orm import Session

from ...extensions import SNAPSHOT, db

#: SQLite page cache of a run's connection, for the main and for the temp database (KiB)
SQLITE_CACHE_KB = 16384
#: PostgreSQL memory for the sorts and hashes of a run (of the server, per run)
POSTGRES_WORK_MEM = "256MB"


class _Collections:
    """Fewer garbage collections while imports run (shared by concurrent runs).

    A batch holds tens of thousands of fresh lists, which the collector would otherwise scan
    over and over, together with every object of the app: that cost as much as parsing.
    Objects from before the first run are frozen out of the scans; the runs' own garbage is
    still collected, only less often.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._threshold = gc.get_threshold()

    @contextmanager
    def fewer(self) -> Iterator[None]:
        with self._lock:
            self._runs += 1
            if self._runs == 1:
                self._threshold = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(100_000, 50, 100)
        try:
            yield
        finally:
            with self._lock:
                self._runs -= 1
                if self._runs == 0:
                    gc.set_threshold(*self._threshold)
                    gc.unfreeze()


_collections = _Collections()


def fewer_collections() -> AbstractContextManager[None]:
    """Fewer garbage collections until the block ends (see _Collections)."""
    return _collections.fewer()


@contextmanager
def own_session() -> Iterator[Session]:
    """A session on one connection of its own, installed as db.session of this app context,
    so the staging tables live as long as the run and services that write through db.session
    (the activity log) share the run's transaction."""
    # on SQLite its transactions see one snapshot from their first statement; the staging ones
    # write only temporary tables, so they must not hold the main database's write lock: the
    # run takes that where it writes (_write_first)
    with db.engine.connect().execution_options(**{SNAPSHOT: True}) as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # the defaults (2 MB) make a million-key import thrash the page cache
            connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
            connection.exec_driver_sql(f"PRAGMA temp.cache_size = -{SQLITE_CACHE_KB}")
            connection.commit()
        else:
            # sorts and hash joins of a million staged rows in memory; and these plain
            # statements gain nothing from JIT compiling, which costs a tenth of a second each
            connection.exec_driver_sql(f"SET work_mem = '{POSTGRES_WORK_MEM}'")
            connection.exec_driver_sql("SET jit = off")
            # a run's statements grow with its file: no request's statement timeout for them
            connection.exec_driver_sql("SET statement_timeout = 0")
            # for the whole run what longwork.reuse_plans sets for a transaction: the foreign
            # key checks of its INSERTs, run for every row, reuse their plans
            connection.exec_driver_sql("SET plan_cache_mode = auto")
            connection.commit()
        session = Session(bind=connection, expire_on_commit=False)
        # Flask-SQLAlchemy types its registry for its own Session subclass; any Session serves
        db.session.registry.set(session)  # type: ignore[arg-type]
        try:
            yield session
        finally:
            session.close()
            db.session.registry.clear()
            if sqlite:
                connection.exec_driver_sql("PRAGMA cache_size = -2000")
                connection.exec_driver_sql("PRAGMA temp.cache_size = -2000")
            else:
                connection.exec_driver_sql("RESET work_mem")
                connection.exec_driver_sql("RESET jit")
                connection.exec_driver_sql("RESET statement_timeout")
                connection.exec_driver_sql("RESET plan_cache_mode")
            connection.commit()
