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
    connection = target if isinstance(target, Connection) else target.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
