"""Write a generated data set: COPY on PostgreSQL, executemany in one transaction on SQLite.

Both write the rows as data.py made them, primary keys included, after the tenant and the API
clients exist (made through the operator CLI). Secondary indexes are dropped first and built
again afterwards, which sorts once instead of inserting a million keys in random order.
PostgreSQL's sequences are moved past the written keys, and both databases get fresh planner
statistics, as autovacuum (or a routine ANALYZE on SQLite) would give them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from . import data as dataset


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _converters(table: str, to_text: Callable[[datetime], str] | None) -> list[Callable]:
    """One function per column that turns a generated value into what the driver takes."""
    out: list[Callable] = []
    for column in dataset.columns(table):
        if column in dataset.JSON_COLUMNS:
            out.append(_json)
        elif to_text is not None and column in {
            "created_at",
            "modified_at",
            "valid_from",
            "valid_to",
        }:
            out.append(lambda v: None if v is None else to_text(v))
        elif to_text is not None and column == "published":
            out.append(lambda v: int(v))
        else:
            out.append(lambda v: v)
    return out


def _prepared(table: str, rows: Iterable[tuple], to_text=None) -> Iterable[tuple]:
    convert = _converters(table, to_text)
    return (tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows)


def load(url: str, data: dataset.DataSet) -> dict[str, float]:
    """Write every table of `data`; returns seconds per table."""
    engine = create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            return _load_postgres(engine, data)
        return _load_sqlite(engine, data)
    finally:
        engine.dispose()


def _load_postgres(engine: Engine, data: dataset.DataSet) -> dict[str, float]:
    seconds: dict[str, float] = {}
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cursor:
            cursor.execute(_POSTGRES_INDEXES, {"tables": list(dataset.TABLES)})
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            for table in dataset.TABLES:
                started = time.perf_counter()
                names = ", ".join(dataset.columns(table))
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in _prepared(table, data.rows[table]):
                        copy.write_row(row)
                if "pk" in dataset.columns(table):
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'pk'), "
                        f"(SELECT max(pk) FROM {table}))"
                    )
                seconds[table] = time.perf_counter() - started
            started = time.perf_counter()
            for _, definition in indexes:
                cursor.execute(definition)
            seconds["indexes"] = time.perf_counter() - started
        connection.commit()
    finally:
        raw.close()
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    seconds["VACUUM ANALYZE"] = time.perf_counter() - started
    return seconds


#: indexes of the tables that no constraint owns (primary keys and unique constraints stay)
_POSTGRES_INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = ANY(%(tables)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""


def _sqlite_datetime(value: datetime) -> str:
    # the format SQLAlchemy's DateTime writes and reads on SQLite
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _load_sqlite(engine: Engine, data: dataset.DataSet) -> dict[str, float]:
    seconds: dict[str, float] = {}
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        connection.execute("PRAGMA journal_mode=WAL")
        cursor = connection.cursor()
        cursor.execute("BEGIN")
        marks = ", ".join("?" for _ in dataset.TABLES)
        indexes = cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            dataset.TABLES,
        ).fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for table in dataset.TABLES:
            started = time.perf_counter()
            names = dataset.columns(table)
            marks = ", ".join("?" for _ in names)
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                _prepared(table, data.rows[table], _sqlite_datetime),
            )
            seconds[table] = time.perf_counter() - started
        started = time.perf_counter()
        for _, definition in indexes:
            cursor.execute(definition)
        seconds["indexes"] = time.perf_counter() - started
        connection.commit()
        started = time.perf_counter()
        connection.execute("ANALYZE")
        connection.commit()
        seconds["ANALYZE"] = time.perf_counter() - started
    finally:
        raw.close()
    return seconds
