"""A scratch database with the rules benchmark's data, written set-based.

PostgreSQL: COPY; SQLite: executemany in one transaction. The secondary indexes of the
directory tables are dropped first and built again after the rows are in (one sort instead of a
million random inserts), then ANALYZE, as autovacuum would run soon after a bulk load.

A loaded database can be kept for the next run (`--cache DIR`): on SQLite a copy of the file in
DIR, on PostgreSQL a template database that the next run clones with CREATE DATABASE ...
TEMPLATE; both are named after the customer count, the data version and the schema head, so a
change of either builds a new one.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from segments_app.extensions import db
from segments_app.services.tenants import create_tenant

from . import catalogue, data

TABLES = ("legal_entity", "customer", "customer_legal_entity")


def stamp_text(moment: datetime, dialect: str) -> str:
    if dialect == "sqlite":
        # the form SQLAlchemy's DateTime writes and reads on SQLite
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def cache_name(customers: int, head: str) -> str:
    return f"segments_bench_rules_{customers}_v{data.DATA_VERSION}_{head}"


@contextmanager
def scratch_database(
    kind: str, postgres_url: str, workdir: Path, template: str | None = None
) -> Iterator[str]:
    """A fresh database (empty, or a copy of `template`): a SQLite file in `workdir`, or a
    PostgreSQL database created next to `postgres_url`'s and dropped afterwards."""
    if kind == "sqlite":
        path = workdir / "bench.db"
        if template:
            sqlite_copy(Path(template), path)
        yield f"sqlite:///{path}"
        return
    name = f"segments_bench_rules_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        suffix = f' TEMPLATE "{template}"' if template else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{suffix}')
    try:
        yield sa.engine.make_url(postgres_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its write-ahead log included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def postgres_database_exists(postgres_url: str, name: str) -> bool:
    admin = sa.create_engine(postgres_url)
    try:
        with admin.connect() as conn:
            return bool(
                conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).scalar()
            )
    finally:
        admin.dispose()


def keep_as_template(postgres_url: str, url: str, name: str) -> None:
    """Copy the loaded database `url` to a template database `name` (replacing one)."""
    source = sa.engine.make_url(url).database
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{source}' AND pid <> pg_backend_pid()"
            )
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        admin.dispose()


def migrate_and_tenant(app: Flask) -> int:
    with app.app_context():
        upgrade()
        tenant = create_tenant(data.TENANT, ["en"], "en")
        db.session.commit()
        return tenant.id


def load(app: Flask, shape: data.Shape, tenant_id: int, rules: list[catalogue.StoredRule]) -> dict:
    """Write the directory, the attribute keys and the rule segments (without members)."""
    seconds: dict[str, float] = {}
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        stamp = stamp_text(shape.now, dialect)
        rows = {
            "legal_entity": (data.ENTITY_COLUMNS, data.entity_rows(shape, tenant_id, stamp)),
            "customer": (data.CUSTOMER_COLUMNS, data.customer_rows(shape, tenant_id, stamp)),
            "customer_legal_entity": (data.LINK_COLUMNS, data.link_rows(shape, tenant_id)),
        }
        raw = engine.raw_connection()
        try:
            connection = raw.driver_connection
            if dialect == "postgresql":
                _load_postgres(connection, rows, seconds)
            else:
                _load_sqlite(connection, rows, seconds)
            connection.commit()
        finally:
            raw.close()
        started = time.perf_counter()
        _keys_and_segments(tenant_id, stamp, rules)
        seconds["segments"] = time.perf_counter() - started
        started = time.perf_counter()
        analyze()
        seconds["ANALYZE"] = time.perf_counter() - started
    return seconds


def _load_postgres(connection, rows: dict, seconds: dict[str, float]) -> None:
    with connection.cursor() as cursor:
        # the app's per-statement timeout is for requests, not for a bulk load
        cursor.execute("SET statement_timeout = 0")
        cursor.execute(_POSTGRES_INDEXES, {"tables": list(TABLES)})
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for table, (columns, generated) in rows.items():
            started = time.perf_counter()
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in generated:
                    copy.write_row(row)
            if "pk" in columns:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'pk'), "
                    f"(SELECT max(pk) FROM {table}))"
                )
            seconds[table] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        seconds["indexes"] = time.perf_counter() - started


#: indexes of the tables that no constraint owns (primary keys and unique constraints stay)
_POSTGRES_INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = ANY(%(tables)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""


def _load_sqlite(connection, rows: dict, seconds: dict[str, float]) -> None:
    cursor = connection.cursor()
    cursor.execute("BEGIN")
    marks = ", ".join("?" for _ in TABLES)
    indexes = cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        TABLES,
    ).fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for table, (columns, generated) in rows.items():
        started = time.perf_counter()
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", generated
        )
        seconds[table] = time.perf_counter() - started
    started = time.perf_counter()
    for _, definition in indexes:
        cursor.execute(definition)
    seconds["indexes"] = time.perf_counter() - started


def _keys_and_segments(tenant_id: int, stamp: str, rules: list[catalogue.StoredRule]) -> None:
    """attribute_key rows, and one ACTIVE segment per rule (members come from evaluating)."""
    conn = db.session.connection()
    conn.execute(
        sa.text(
            "INSERT INTO attribute_key (tenant_id, owner, key, type, examples, created_at) "
            "VALUES (:t, :o, :k, :ty, :ex, :at)"
        ),
        [
            {"t": t, "o": o, "k": k, "ty": ty, "ex": ex, "at": at}
            for t, o, k, ty, ex, at in data.attribute_key_rows(tenant_id, stamp)
        ],
    )
    conn.execute(
        sa.text(
            "INSERT INTO segment (tenant_id, id, name, status, site_code, version, created_at, "
            "modified_at, member_count, item_count, rule, rule_version, rule_relative) "
            "VALUES (:t, :id, :name, 'ACTIVE', 'main', 1, :at, :at, 0, 0, :rule, 1, :rel)"
        ),
        [
            {
                "t": tenant_id,
                "id": r.segment_id,
                "name": orjson.dumps({"en": r.segment_id}).decode(),
                "at": stamp,
                "rule": orjson.dumps(r.rule).decode(),
                "rel": r.relative,
            }
            for r in rules
        ],
    )
    db.session.commit()


def analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def chunked(values: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def now() -> datetime:
    return datetime.now(UTC)
