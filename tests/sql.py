"""Watching the SQL the app sends, for tests that bound or forbid database work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from segments_app.extensions import SQLITE_CONNECTIONS, db


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements the app's engine sends while the block runs, from any thread."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def in_transaction(dbapi_connection) -> bool:
    """Whether the driver's connection is inside a transaction now."""
    if isinstance(dbapi_connection, SQLITE_CONNECTIONS):
        return dbapi_connection.in_transaction
    return not dbapi_connection.autocommit  # psycopg opens one before its first statement
