"""The bound each import is measured against: writing the same (segment, customer) pairs
into a table with customer_assignment's keys, indexes and constraints, the cheapest way the
database offers (executemany in one transaction on SQLite, COPY on PostgreSQL)."""

from __future__ import annotations

import re
import time

from flask import Flask

from segments_app.extensions import db
from segments_app.services.imports.runtime import SQLITE_CACHE_KB

TABLE = "bench_bound_assignment"


def bound_seconds(app: Flask, segment_pk: int, customer_pks: list[int]) -> float:
    """Seconds to write the pairs in file order (the table is made before, dropped after)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            return _postgres(connection, segment_pk, customer_pks)
        return _sqlite(connection, segment_pk, customer_pks)


def _sqlite(connection, segment_pk: int, customer_pks: list[int]) -> float:
    raw = connection.connection.driver_connection
    # the import's own connection settings (see services.imports.engine._own_session)
    raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
    schema = raw.execute(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'customer_assignment' "
        "AND sql IS NOT NULL ORDER BY type DESC"
    ).fetchall()
    raw.execute(f"DROP TABLE IF EXISTS {TABLE}")
    for _kind, sql in schema:
        sql = re.sub(r"\bcustomer_assignment\b", TABLE, sql)
        sql = re.sub(r"\b(uq|ix|fk|pk)_customer_assignment", rf"\1_{TABLE}", sql)
        raw.execute(sql)
    pairs = [(segment_pk, pk) for pk in customer_pks]
    started = time.perf_counter()
    raw.execute("BEGIN")
    raw.executemany(
        f"INSERT INTO {TABLE} (segment_pk, customer_pk, assignment_type, version, created_at, "
        "modified_at) VALUES (?, ?, 'MANUAL', 1, '2024-01-01 00:00:00.000000', "
        "'2024-01-01 00:00:00.000000')",
        pairs,
    )
    raw.execute("COMMIT")
    seconds = time.perf_counter() - started
    raw.execute(f"DROP TABLE {TABLE}")
    raw.execute("PRAGMA cache_size = -2000")
    return seconds


def _postgres(connection, segment_pk: int, customer_pks: list[int]) -> float:
    raw = connection.connection.driver_connection
    raw.execute(f"DROP TABLE IF EXISTS {TABLE}")
    raw.execute(f"CREATE TABLE {TABLE} (LIKE customer_assignment INCLUDING ALL)")
    for column, target in (
        ("segment_pk", "segment(pk)"),
        ("customer_pk", "customer(pk)"),
        ("legal_entity_pk", "legal_entity(pk)"),
        ("import_id", "member_import(pk)"),
    ):
        raw.execute(
            f"ALTER TABLE {TABLE} ADD FOREIGN KEY ({column}) REFERENCES {target} ON DELETE CASCADE"
        )
    raw.commit()
    now = "2024-01-01 00:00:00"
    chunks = [
        "".join(
            f"{segment_pk}\t{pk}\tMANUAL\t1\t{now}\t{now}\n"
            for pk in customer_pks[start : start + 50_000]
        )
        for start in range(0, len(customer_pks), 50_000)
    ]
    started = time.perf_counter()
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY {TABLE} (segment_pk, customer_pk, assignment_type, version, created_at, "
            "modified_at) FROM STDIN"
        ) as copy,
    ):
        for chunk in chunks:
            copy.write(chunk)
    raw.commit()
    seconds = time.perf_counter() - started
    raw.execute(f"DROP TABLE {TABLE}")
    raw.commit()
    return seconds
