"""Bench data: a scratch database, a million-customer directory, segments and member files.

Everything is written set-based in one transaction per step (executemany on SQLite, COPY on
PostgreSQL), so seeding takes seconds and the figures measure only the import.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from segments_app.extensions import db
from segments_app.models import Segment
from segments_app.services.tenants import create_tenant

TENANT = "benchco"


def customer_id(n: int) -> str:
    return f"C{n:08d}"


@contextmanager
def scratch_database(kind: str, postgres_url: str, workdir: Path) -> Iterator[str]:
    """A fresh empty database: a SQLite file in `workdir`, or a PostgreSQL database created
    next to `postgres_url`'s and dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    name = f"segments_bench_imports_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield (
            sa.engine.make_url(postgres_url)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def tenant_and_segments(app: Flask, names: list[str]) -> dict[str, int]:
    """The bench tenant and one empty segment per name; returns their pks."""
    with app.app_context():
        tenant = create_tenant(TENANT, ["en"], "en")
        db.session.flush()
        segments = {}
        for name in names:
            segment = Segment(
                tenant_id=tenant.id, id=name, name={"en": name}, site_code="main", status="ACTIVE"
            )
            db.session.add(segment)
            db.session.flush()
            segments[name] = segment.pk
        db.session.commit()
        return segments


def customers(app: Flask, first: int, last: int) -> None:
    """Customers `first`..`last` (pk = n, id C0000000n, an e-mail each), in one transaction."""
    with app.app_context():
        tenant_id = db.session.execute(sa.text("SELECT id FROM tenant")).scalar_one()
        connection = db.session.connection()
        now = "2024-01-01 00:00:00.000000"
        if connection.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()
            columns = "pk, tenant_id, id, email, email_key, version, created_at, modified_at"
            with cursor.copy(f"COPY customer ({columns}) FROM STDIN") as copy:
                for start in range(first, last + 1, 100_000):
                    end = min(start + 100_000, last + 1)
                    copy.write(
                        "".join(
                            f"{n}\t{tenant_id}\t{customer_id(n)}\tc{n:08d}@example.com\t"
                            f"c{n:08d}@example.com\t1\t{now}\t{now}\n"
                            for n in range(start, end)
                        )
                    )
            db.session.execute(
                sa.text("SELECT setval('customer_pk_seq', (SELECT max(pk) FROM customer))")
            )
        else:
            connection.exec_driver_sql(
                "INSERT INTO customer (pk, tenant_id, id, email, email_key, version, "
                "created_at, modified_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                [
                    (
                        n,
                        tenant_id,
                        customer_id(n),
                        f"c{n:08d}@example.com",
                        f"c{n:08d}@example.com",
                        now,
                        now,
                    )
                    for n in range(first, last + 1)
                ],
            )
        db.session.commit()
        _settle("customer")


def members(app: Flask, segment_pk: int, first: int, last: int) -> None:
    """Customers `first`..`last` as MANUAL members of the segment, set-based."""
    with app.app_context():
        db.session.execute(
            sa.text(
                "INSERT INTO customer_assignment (segment_pk, customer_pk, assignment_type, "
                "version, created_at, modified_at) SELECT :segment, pk, 'MANUAL', 1, "
                "created_at, created_at FROM customer WHERE pk BETWEEN :first AND :last "
                "ORDER BY pk"
            ),
            {"segment": segment_pk, "first": first, "last": last},
        )
        db.session.commit()
        _settle("customer_assignment")


def _settle(table: str) -> None:
    """PostgreSQL: VACUUM ANALYZE `table`, as autovacuum would soon after a bulk load.

    A directory is rarely loaded seconds before an import; without this, the first reads of
    the fresh rows (the foreign key checks of the import and of the bound) would pay for
    setting their hint bits, and the figures would measure the seeding.
    """
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


def member_file(path: Path, numbers: list[int], seed: int) -> list[int]:
    """A CSV of the customers `numbers`, shuffled (lists rarely come in the directory's
    order); returns the numbers in file order."""
    order = list(numbers)
    random.Random(seed).shuffle(order)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("customerId,name\n")
        for start in range(0, len(order), 100_000):
            out.write(
                "".join(f"{customer_id(n)},Jane Doe\n" for n in order[start : start + 100_000])
            )
    return order
