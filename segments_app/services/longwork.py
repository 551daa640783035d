"""Work whose length grows with the data rather than with what a request asks for.

PostgreSQL connections of the app cancel any statement that runs past STATEMENT_TIMEOUT_MS, so
a costly query cannot hold a connection for long. Member imports, the directory import, demo
loading, migrations and the writes that undo an import or delete a segment with its members may
rightly take longer; they lift the limit for their own transaction (an import run's own
connection lifts it for the run, see imports.runtime).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ..extensions import DbSession


def lift_statement_timeout(target: DbSession | Connection) -> None:
    """No statement timeout for the rest of the current transaction of `target`."""
    _set_local(target, "statement_timeout", "0")


def reuse_plans(target: DbSession | Connection) -> None:
    """Let the rest of the current transaction of `target` reuse statement plans (PostgreSQL).
    The app's connections plan every execution afresh (plan_cache_mode, see create_app), and
    that includes the foreign key checks of an INSERT, a cached statement run for every row it
    writes (four per assignment), which then spend longer planning than checking. For work
    that writes many rows; an import run's own connection sets it for the run
    (imports.runtime)."""
    _set_local(target, "plan_cache_mode", "auto")


def without_parallel_workers(target: DbSession | Connection) -> None:
    """No parallel workers for the rest of the current transaction of `target` (PostgreSQL):
    for many small statements over a batch's rows, where the planner's estimates can pass
    the threshold for workers. Reading a directory batch's 1,200 assignments took 19 ms with
    two workers (starting them is most of it) and 4 ms without."""
    _set_local(target, "max_parallel_workers_per_gather", "0")


def _set_local(target: DbSession | Connection, setting: str, value: str) -> None:
    """PostgreSQL: `setting` for the rest of the transaction (both are constants of this module,
    never input)."""
    connection = target if isinstance(target, Connection) else target.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL {setting} = {value}")
