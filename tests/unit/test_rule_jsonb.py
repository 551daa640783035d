"""SQLite's JSONB copy of customer attributes (migration 0014), which rules read: the triggers
keep it in step with every write; where SQLite has no jsonb() (Python's own sqlite3 here) the
copy is the text, and rules select the same customers."""

from __future__ import annotations

import sqlite3

import orjson
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from segments_app import create_app
from segments_app.extensions import JSONB_SQLITE, SQLITE_MODULE, db, sqlite_version
from segments_app.models import Customer
from segments_app.models.types import utcnow
from segments_app.services.rules.evaluate import matches
from segments_app.services.rules.sql import SqlContext
from segments_app.services.rules.tree import AttributeTypes, check_rule
from segments_app.services.tenants import create_tenant
from tests.factories import tenant_named
from tests.rules_support import seed, set_attributes

TYPES = {"country": "string", "ltv": "number", "tags": "tags"}
RULE = {
    "all": [
        {"field": "attributes.country", "op": "in", "value": ["DE", "AT"]},
        {"field": "attributes.ltv", "op": "gte", "value": 100},
        {"field": "attributes.tags", "op": "contains", "value": "vip"},
    ]
}
CUSTOMERS = {
    "c1": {"country": "DE", "ltv": 150, "tags": ["vip", "b2b"]},
    "c2": {"country": "AT", "ltv": 99.5, "tags": ["vip"]},
    "c3": {"country": "FR", "ltv": 500, "tags": ["vip"]},
    "c4": {"country": "AT", "ltv": 100},
    "c5": {"country": "AT", "ltv": 100, "tags": ["new", "vip"]},
    "c6": {},
}


def _selected(tenant: str) -> set[str]:
    """The ids of the customers RULE selects (in an app context)."""
    t = tenant_named(tenant)
    types = AttributeTypes(TYPES, {})
    ctx = SqlContext(t.id, utcnow(), types, {})
    pks = matches(check_rule(RULE, types, set()), ctx).subquery()
    return set(db.session.scalars(sa.select(Customer.id).where(Customer.pk.in_(sa.select(pks)))))


def _copies(tenant: str) -> dict[str, object]:
    """Each customer's copy of its attributes, as JSON again (None: no attributes)."""
    rows = db.session.execute(
        sa.text("SELECT id, json(attributes_jsonb) FROM customer WHERE tenant_id = :t ORDER BY id"),
        {"t": tenant_named(tenant).id},
    )
    return {id: None if doc is None else orjson.loads(doc) for id, doc in rows}


def _with_jsonb(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the binary copy is SQLite's (PostgreSQL stores jsonb)")
        with db.engine.connect() as conn:
            if sqlite_version(conn.connection.dbapi_connection) < JSONB_SQLITE:
                pytest.skip("this SQLite has no jsonb(): the copy stays empty")


def test_the_copy_follows_every_write_of_the_attributes(app, tenant):
    _with_jsonb(app)
    seed(app, tenant, CUSTOMERS, TYPES)
    set_attributes(app, tenant, "c2", {"country": "DE", "ltv": 1000, "tags": ["vip"]})
    set_attributes(app, tenant, "c1", {})
    with app.app_context():
        copies = _copies(tenant)
        assert copies["c2"] == {"country": "DE", "ltv": 1000, "tags": ["vip"]}
        assert copies["c3"] == CUSTOMERS["c3"]
        assert copies["c6"] is None  # no attributes: NULL, as the text
        assert _selected(tenant) == {"c2", "c5"}


def test_a_row_written_by_a_sqlite_without_jsonb_is_read_alike(app, tenant):
    _with_jsonb(app)
    seed(app, tenant, CUSTOMERS, TYPES)
    with app.app_context():
        assert _selected(tenant) == {"c1", "c5"}
        # as a SQLite without jsonb() writes (extensions registers this stand-in there): the
        # copy is the text, which rules read as well
        driver = SQLITE_MODULE.connect(db.engine.url.database)
        try:
            driver.create_function("jsonb", 1, lambda value: value)
            driver.execute(
                "UPDATE customer SET attributes = ? WHERE id = 'c3' AND tenant_id = ?",
                ('{"country": "DE", "ltv": 500, "tags": ["vip"]}', tenant_named(tenant).id),
            )
            driver.commit()
        finally:
            driver.close()
        assert _copies(tenant)["c3"] == {"country": "DE", "ltv": 500, "tags": ["vip"]}
        assert _selected(tenant) == {"c1", "c3", "c5"}


def test_pythons_own_sqlite_migrates_and_evaluates_rules_alike(tmp_path):
    if sqlite3.sqlite_version_info >= JSONB_SQLITE:
        pytest.skip("Python's sqlite3 has jsonb() here: nothing older to check")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {"module": sqlite3},
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        }
    )
    try:
        with app.app_context():
            upgrade()
            create_tenant("old", ["en"], "en")
            db.session.commit()
        seed(app, "old", CUSTOMERS, TYPES)
        set_attributes(app, "old", "c2", {"country": "DE", "ltv": 1000, "tags": ["vip"]})
        with app.app_context():
            assert type(db.session.connection().connection.dbapi_connection) is sqlite3.Connection
            assert _copies("old") == {
                **CUSTOMERS,
                "c2": {"country": "DE", "ltv": 1000, "tags": ["vip"]},
                "c6": None,
            }
            assert _selected("old") == {"c1", "c2", "c5"}
    finally:
        with app.app_context():
            db.engine.dispose()
