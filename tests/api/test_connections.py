"""How API requests use database connections: reads open no transaction; a connection that died
while idle in the pool is replaced before a request sees it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from segments_app.extensions import db
from tests.sql import in_transaction


def test_a_read_runs_without_a_transaction_and_a_write_in_one(app, api):
    assert (
        api.put("/segments/s1", json={"name": {"en": "One"}, "siteCode": "main"}).status_code == 201
    )
    seen: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        verb = statement.strip().split()[0].upper()
        seen.append((verb, in_transaction(conn.connection.dbapi_connection)))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert api.get("/segments/s1").status_code == 200
        assert seen and all(verb == "SELECT" and not in_tx for verb, in_tx in seen), seen

        seen.clear()
        response = api.patch(
            "/segments/s1",
            json=[{"op": "replace", "path": "/status", "value": "ACTIVE"}],
            headers={"Content-Type": "application/json-patch+json"},
        )
        assert response.status_code == 204, response.get_json()
        assert ("UPDATE", True) in seen, seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert api.get("/segments/s1").get_json()["status"] == "ACTIVE"


def test_a_connection_killed_while_idle_is_replaced_before_use(app, api, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite connections cannot be cut by a server")
    assert (
        api.put("/segments/s1", json={"name": {"en": "One"}, "siteCode": "main"}).status_code == 201
    )
    # The server ends every pooled connection, as a restart or an idle timeout would.
    with app.app_context():
        outsider = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with outsider.connect() as conn:
        killed = conn.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).scalar()
    outsider.dispose()
    assert killed >= 1
    import segments_app.extensions as extensions

    monkeypatch.setattr(extensions, "IDLE_PING_SECONDS", 0.0)
    for _ in range(3):
        response = api.get("/segments/s1")
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["id"] == "s1"
    # the pool may hold more killed connections than these requests replaced (after tests
    # that ran many at once); the next test must not meet them
    with app.app_context():
        db.engine.dispose()
