"""The attribute indexes saving a rule makes: which keys get one on each database, that they are
made once and within the bound, that the rule's compiled condition uses them, and that the
schema comparison of the migrations ignores them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from segments_app.extensions import db
from segments_app.models import include_object
from segments_app.models.types import utcnow
from segments_app.services.rules import indexes
from segments_app.services.rules.evaluate import matches
from segments_app.services.rules.sql import SqlContext
from segments_app.services.rules.tree import AttributeTypes, check_rule
from tests.factories import tenant_named
from tests.rules_support import seed

TYPES = {
    "country": "string",
    "ltv": "number",
    "vip": "boolean",
    "lastOrderAt": "datetime",
    "tags": "tags",
}
RULE = {
    "all": [
        {"field": "attributes.country", "op": "in", "value": ["DE", "AT"]},
        {"field": "attributes.ltv", "op": "gte", "value": 100},
        {"field": "attributes.vip", "op": "equals", "value": True},
        {"field": "attributes.lastOrderAt", "op": "withinLastDays", "value": 30},
        {"field": "attributes.tags", "op": "contains", "value": "b2b"},
        {"field": "legalEntity.attributes.size", "op": "gt", "value": 5},
    ]
}


def _checked(rule: dict = RULE):
    types = AttributeTypes(TYPES, {"size": "number"})
    return check_rule(rule, types, set()), types


@pytest.fixture
def clean_indexes(app) -> Iterator[None]:
    # evaluations make indexes too (runs._prepare_indexes): start without those of other tests
    with app.app_context():
        indexes.drop_unused(db.engine, set())
    yield
    with app.app_context():
        indexes.drop_unused(db.engine, set())


def test_sqlite_indexes_what_it_compares_except_booleans_and_tags():
    rule, types = _checked()
    assert {w.key for w in indexes.wanted(rule, types, "sqlite")} == {
        "country",
        "ltv",
        "lastOrderAt",
    }


def test_postgres_indexes_ranges_only_containment_has_the_gin_index():
    rule, types = _checked()
    wanted = indexes.wanted(rule, types, "postgresql")
    assert {(w.key, w.kind) for w in wanted} == {("ltv", "number"), ("lastOrderAt", "datetime")}
    names = {w.name("postgresql") for w in wanted}
    assert names == {"ix_rule_customer_num_ltv", "ix_rule_customer_txt_lastorderat"}


def test_a_long_key_gets_a_name_postgres_accepts():
    name = indexes.Wanted("k" * 64, "number").name("postgresql")
    assert len(name) <= 63 and name.startswith(indexes.PREFIX)


def test_indexes_are_made_once_and_used(app, tenant, clean_indexes):
    seed(
        app,
        tenant,
        {
            f"c{n}": {"country": "DE", "ltv": n, "lastOrderAt": "2026-12-01T10:00:00.000Z"}
            for n in range(5)
        },
        TYPES,
    )
    rule, types = _checked()
    with app.app_context():
        engine = db.engine
        made = indexes.ensure_indexes(engine, rule, types)
        assert made and indexes.ensure_indexes(engine, rule, types) == []
        with engine.connect() as conn:
            assert indexes.existing(conn) == set(made)
        ctx = SqlContext(tenant_named(tenant).id, utcnow(), types, {})
        ltv = indexes.Wanted("ltv", "number").name(engine.dialect.name)
        # the plan is checked for the ltv index alone: with the others there, the planner may
        # take any index that leads with tenant_id (whichever the statistics of earlier tests
        # favour), which says nothing about whether ltv's is usable
        indexes.drop_unused(engine, {ltv})
        ltv_rule = {"field": "attributes.ltv", "op": "gte", "value": 2}
        stmt = matches(_checked(ltv_rule)[0], ctx)
        compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET enable_seqscan = off")
                plan = conn.exec_driver_sql(f"EXPLAIN {compiled}").scalars().all()
            else:
                plan = [r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
        text = "\n".join(plan)
        assert ltv in text, text
        assert len(db.session.execute(stmt).all()) == 3


def test_no_more_than_the_bound(app, tenant, clean_indexes, monkeypatch):
    seed(app, tenant, {"c1": {"country": "DE"}}, TYPES)
    monkeypatch.setattr(indexes, "MAX_INDEXES", 1)
    rule, types = _checked()
    with app.app_context():
        assert len(indexes.ensure_indexes(db.engine, rule, types)) == 1
        assert indexes.ensure_indexes(db.engine, rule, types) == []


# SQLite's reflection leaves expression indexes out, and says so
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_schema_comparison_ignores_them(app, tenant, clean_indexes):
    seed(app, tenant, {"c1": {"country": "DE"}}, TYPES)
    rule, types = _checked()
    with app.app_context():
        assert indexes.ensure_indexes(db.engine, rule, types)
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_object}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
    assert diff == []


def test_postgres_has_the_gin_index(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the GIN index exists on PostgreSQL only")
        names = {i["name"] for i in sa.inspect(db.engine).get_indexes("customer")}
    assert "ix_customer_attributes_gin" in names
