"""Migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import warnings

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from segments_app.extensions import db
from segments_app.models import POSTGRES_TRIGRAM_INDEXES, include_object


def test_upgraded_database_matches_the_models(app):
    """The session fixture ran `flask db upgrade` on an empty database; nothing is left to add."""
    with app.app_context(), db.engine.connect() as conn, warnings.catch_warnings():
        # rule evaluations of earlier tests made expression indexes (services/rules/indexes.py),
        # which SQLite's reflection skips with a warning and include_object leaves out anyway
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        # as `flask db migrate` compares (migrations/env.py): without the trigram indexes
        opts = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_table_is_there(app):
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


def test_postgres_has_the_trigram_indexes_the_searches_need(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("trigram indexes exist on PostgreSQL only")
        inspector = sa.inspect(db.engine)
        names = {
            index["name"]
            for table in ("customer", "category", "product")
            for index in inspector.get_indexes(table)
        }
    assert names >= POSTGRES_TRIGRAM_INDEXES
