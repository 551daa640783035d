"""Fixtures for the `q` tests: a small document table on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from segments_app.models.types import JSONDoc, UTCDateTime
from segments_app.query.fields import Field, FieldSet, Kind
from segments_app.query.q import compile_q


def q_doc_table(name: str, metadata: sa.MetaData) -> tuple[sa.Table, FieldSet]:
    table = sa.Table(
        name,
        metadata,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64)),
        sa.Column("status", sa.String(16)),
        sa.Column("version", sa.Integer),
        sa.Column("price", sa.Float),
        sa.Column("published", sa.Boolean),
        sa.Column("createdAt", UTCDateTime),
        sa.Column("name", JSONDoc),
        sa.Column("mixins", JSONDoc),
    )
    c = table.c
    fields = FieldSet(
        Field("id", Kind.STRING, c.id),
        Field("code", Kind.STRING, c.code),
        Field("status", Kind.STRING, c.status),
        Field("metadata.version", Kind.NUMBER, c.version),
        Field("price", Kind.NUMBER, c.price),
        Field("published", Kind.BOOLEAN, c.published),
        Field("metadata.createdAt", Kind.DATE, c.createdAt),
        Field("name", Kind.LOCALIZED, c.name),
        Field("mixins", Kind.JSON, c.mixins),
    )
    return table, fields


@dataclass
class QTable:
    engine: sa.Engine
    table: sa.Table
    fields: FieldSet

    def ids(self, conn: sa.Connection, q: str) -> set[str]:
        condition = compile_q(q, self.fields)
        query = sa.select(self.table.c.id)
        if condition is not None:
            query = query.where(condition)
        return set(conn.scalars(query))


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        backends.append("postgresql")
    return backends


@pytest.fixture(scope="session", params=_backends())
def q_engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    url = "sqlite://" if request.param == "sqlite" else os.environ["DATABASE_URL"]
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def q_table(q_engine: sa.Engine) -> Iterator[QTable]:
    """An empty table of its own per test module, so concurrent test runs never share rows."""
    metadata = sa.MetaData()
    table, fields = q_doc_table(f"q_docs_{uuid.uuid4().hex[:12]}", metadata)
    metadata.create_all(q_engine)
    try:
        yield QTable(q_engine, table, fields)
    finally:
        metadata.drop_all(q_engine)


@pytest.fixture(scope="session")
def q_offline_fields() -> FieldSet:
    """The same fields over a table that exists in no database, for compile-only tests."""
    return q_doc_table("q_docs_offline", sa.MetaData())[1]
