"""Rules compiled to SQL select, on the test database, exactly the customers the plain-Python
evaluation selects: every operator on every type, absent values, groups, negation, legal
entities, inSegment and relative dates with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from segments_app.extensions import db
from segments_app.models import Customer
from segments_app.services.rules.sql import SqlContext, rule_condition
from segments_app.services.rules.tree import AttributeTypes, check_rule
from tests.factories import OTHER_TENANT, tenant_named
from tests.rules_data import batch_selects, python_selects, seed, sql_selects

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
TYPES = AttributeTypes(
    {
        "country": "string",
        "tier": "string",
        "ltv": "number",
        "vip": "boolean",
        "born": "date",
        "lastOrderAt": "datetime",
        "tags": "tags",
    },
    {"size": "number", "industry": "string"},
)
ENTITIES: dict[str, dict[str, Any] | None] = {
    "le1": {"size": 50, "industry": "retail"},
    "le2": {"size": 5},
}


def entities(*ids: str) -> list[dict[str, Any]]:
    return [{"id": id_, "attributes": ENTITIES[id_]} for id_ in ids]


CUSTOMERS: list[dict[str, Any]] = [
    {
        "id": "c1",
        "email": "Ann@Example.com",
        "firstName": "Ann",
        "lastName": "Lee",
        "attributes": {
            "country": "DE",
            "tier": "gold",
            "ltv": 1840.5,
            "vip": True,
            "born": "1990-05-01",
            "lastOrderAt": "2026-11-02T10:00:00.000Z",
            "tags": ["newsletter", "b2b"],
        },
        "legalEntities": entities("le1"),
        "segments": {"gold"},
    },
    {
        "id": "c2",
        "email": "bob@example.org",
        "firstName": "Bob",
        "attributes": {
            "country": "AT",
            "tier": "g%_x",
            "ltv": 100,
            "vip": False,
            "lastOrderAt": "2026-12-01T00:00:00.000Z",
            "tags": [],
        },
        "legalEntities": entities("le1", "le2"),
        "segments": set(),
    },
    {"id": "c3", "email": None, "attributes": None, "legalEntities": [], "segments": set()},
    {
        "id": "c4",
        "email": "c4@x.com",
        "firstName": "",
        "attributes": {
            "country": "FR",
            "tier": "Gold silver",
            "ltv": -5,
            "born": "2001-12-31",
            "tags": ["vip"],
        },
        "legalEntities": [],
        "segments": {"silver"},
    },
]


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return (
        {"field": field, "op": op} if value is None else {"field": field, "op": op, "value": value}
    )


A = "attributes."
CASES: list[tuple[dict[str, Any], set[str]]] = [
    # string attributes
    (cond(A + "country", "equals", "DE"), {"c1"}),
    (cond(A + "country", "notEquals", "DE"), {"c2", "c4"}),
    ({"not": cond(A + "country", "equals", "DE")}, {"c2", "c3", "c4"}),
    ({"not": cond(A + "country", "notEquals", "DE")}, {"c1", "c3"}),
    (cond(A + "country", "in", ["DE", "AT"]), {"c1", "c2"}),
    (cond(A + "country", "notIn", ["DE"]), {"c2", "c4"}),
    ({"not": cond(A + "country", "notIn", ["DE"])}, {"c1", "c3"}),
    (cond(A + "tier", "contains", "old"), {"c1", "c4"}),
    (cond(A + "tier", "contains", "gold"), {"c1"}),
    (cond(A + "tier", "startsWith", "gold"), {"c1"}),
    (cond(A + "tier", "startsWith", "G"), {"c4"}),
    (cond(A + "tier", "startsWith", "g%"), {"c2"}),
    (cond(A + "tier", "startsWith", "g_"), set()),
    (cond(A + "tier", "contains", "%_"), {"c2"}),
    (cond(A + "country", "matches", "^[AD]"), {"c1", "c2"}),
    ({"not": cond(A + "country", "matches", "^[AD]")}, {"c3", "c4"}),
    (cond(A + "country", "exists"), {"c1", "c2", "c4"}),
    (cond(A + "country", "missing"), {"c3"}),
    ({"not": cond(A + "country", "missing")}, {"c1", "c2", "c4"}),
    # numbers
    (cond(A + "ltv", "equals", 100), {"c2"}),
    (cond(A + "ltv", "equals", 100.0), {"c2"}),
    (cond(A + "ltv", "notEquals", 1840.5), {"c2", "c4"}),
    (cond(A + "ltv", "in", [100, -5]), {"c2", "c4"}),
    (cond(A + "ltv", "notIn", [100]), {"c1", "c4"}),
    (cond(A + "ltv", "gt", 100), {"c1"}),
    (cond(A + "ltv", "gte", 100), {"c1", "c2"}),
    (cond(A + "ltv", "lt", 100), {"c4"}),
    (cond(A + "ltv", "lte", 100.5), {"c2", "c4"}),
    (cond(A + "ltv", "between", [-5, 100]), {"c2", "c4"}),
    ({"not": cond(A + "ltv", "gt", 100)}, {"c2", "c3", "c4"}),
    # booleans
    (cond(A + "vip", "equals", True), {"c1"}),
    (cond(A + "vip", "equals", False), {"c2"}),
    (cond(A + "vip", "notEquals", True), {"c2"}),
    ({"not": cond(A + "vip", "equals", True)}, {"c2", "c3", "c4"}),
    (cond(A + "vip", "exists"), {"c1", "c2"}),
    (cond(A + "vip", "missing"), {"c3", "c4"}),
    # dates
    (cond(A + "born", "equals", "1990-05-01"), {"c1"}),
    (cond(A + "born", "notEquals", "1990-05-01"), {"c4"}),
    (cond(A + "born", "before", "2000-01-01"), {"c1"}),
    (cond(A + "born", "after", "2000-01-01"), {"c4"}),
    (cond(A + "born", "between", ["1990-05-01", "2001-12-31"]), {"c1", "c4"}),
    (cond(A + "born", "withinLastDays", 365), set()),
    (cond(A + "born", "notWithinLastDays", 365), {"c1", "c4"}),
    ({"not": cond(A + "born", "withinLastDays", 9500)}, {"c1", "c2", "c3"}),
    # date-times (a date means its midnight UTC; any offset)
    (cond(A + "lastOrderAt", "withinLastDays", 7), {"c2"}),
    (cond(A + "lastOrderAt", "notWithinLastDays", 7), {"c1"}),
    ({"not": cond(A + "lastOrderAt", "withinLastDays", 7)}, {"c1", "c3", "c4"}),
    (cond(A + "lastOrderAt", "after", "2026-11-02"), {"c1", "c2"}),
    (cond(A + "lastOrderAt", "after", "2026-11-02T10:00:00Z"), {"c2"}),
    (cond(A + "lastOrderAt", "equals", "2026-11-02T11:00:00+01:00"), {"c1"}),
    (cond(A + "lastOrderAt", "before", "2026-12-01"), {"c1"}),
    (cond(A + "lastOrderAt", "between", ["2026-12-01", "2026-12-31"]), {"c2"}),
    # tags
    (cond(A + "tags", "contains", "b2b"), {"c1"}),
    (cond(A + "tags", "in", ["vip", "b2b"]), {"c1", "c4"}),
    (cond(A + "tags", "notIn", ["b2b"]), {"c2", "c4"}),
    ({"not": cond(A + "tags", "contains", "b2b")}, {"c2", "c3", "c4"}),
    ({"not": cond(A + "tags", "notIn", ["b2b"])}, {"c1", "c3"}),
    (cond(A + "tags", "exists"), {"c1", "c2", "c4"}),
    (cond(A + "tags", "missing"), {"c3"}),
    # the customer's own columns; email compares lower-cased
    (cond("email", "equals", "ANN@example.com"), {"c1"}),
    (cond("email", "contains", "EXAMPLE"), {"c1", "c2"}),
    (cond("email", "matches", r"\.org$"), {"c2"}),
    (cond("email", "missing"), {"c3"}),
    (cond("firstName", "exists"), {"c1", "c2", "c4"}),
    (cond("firstName", "equals", ""), {"c4"}),
    (cond("firstName", "startsWith", "B"), {"c2"}),
    ({"not": cond("lastName", "equals", "Lee")}, {"c2", "c3", "c4"}),
    (cond("id", "in", ["c1", "c3", "nobody"]), {"c1", "c3"}),
    # legal entities: any of them
    (cond("legalEntity.id", "equals", "le2"), {"c2"}),
    (cond("legalEntity.attributes.size", "gt", 10), {"c1", "c2"}),
    (cond("legalEntity.attributes.size", "lt", 10), {"c2"}),
    (
        {
            "all": [
                cond("legalEntity.attributes.size", "gt", 10),
                cond("legalEntity.attributes.size", "lt", 10),
            ]
        },
        {"c2"},
    ),
    (cond("legalEntity.attributes.industry", "missing"), {"c2"}),
    ({"not": cond("legalEntity.id", "exists")}, {"c3", "c4"}),
    # segments, groups
    ({"inSegment": "gold"}, {"c1"}),
    ({"not": {"inSegment": "gold"}}, {"c2", "c3", "c4"}),
    ({"any": [{"inSegment": "gold"}, {"inSegment": "silver"}]}, {"c1", "c4"}),
    (
        {
            "any": [
                {"all": [cond(A + "country", "equals", "DE"), cond(A + "vip", "equals", True)]},
                {"not": {"any": [cond(A + "ltv", "gte", 0), cond("email", "missing")]}},
            ]
        },
        {"c1", "c4"},
    ),
    ({"not": {"not": cond(A + "country", "equals", "AT")}}, {"c2"}),
]


@pytest.fixture
def seeded(app, tenant, other_tenant) -> SqlContext:
    with app.app_context():
        tenant_id = tenant_named(tenant).id
        other_id = tenant_named(OTHER_TENANT).id
        with db.engine.begin() as conn:
            pks = seed(conn, tenant_id, CUSTOMERS, ENTITIES, TYPES)
            # the same data in another tenant never shows up
            seed(conn, other_id, CUSTOMERS, ENTITIES)
    return SqlContext(tenant_id, NOW, TYPES, pks)


@pytest.mark.parametrize(("body", "expected"), CASES, ids=[str(body) for body, _ in CASES])
def test_sql_and_python_select_the_expected_customers(app, seeded, body, expected) -> None:
    rule = check_rule(body, TYPES, {"gold", "silver"})
    assert python_selects(rule, CUSTOMERS, NOW) == expected
    with app.app_context(), db.engine.connect() as conn:
        assert sql_selects(conn, rule, seeded) == expected
        # and as a directory batch of these customers reads it (rules.wave's own statement)
        assert batch_selects(conn, rule, seeded) == expected


def test_an_in_segment_without_a_pk_selects_nobody(app, seeded) -> None:
    rule = check_rule({"inSegment": "gold"}, TYPES, {"gold"})
    ctx = SqlContext(seeded.tenant_id, NOW, TYPES, {})
    with app.app_context(), db.engine.connect() as conn:
        assert sql_selects(conn, rule, ctx) == set()


def test_the_condition_is_never_null_under_not_and_binds_every_value() -> None:
    rule = check_rule(
        {"not": {"all": [cond(A + "country", "equals", "x'; DROP"), cond(A + "ltv", "gt", 7)]}},
        TYPES,
        (),
    )
    ctx = SqlContext(1, NOW, TYPES, {})
    condition = rule_condition(rule, ctx)
    customer = Customer.__table__
    query = sa.select(customer.c.pk).where(condition)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        text = str(query.compile(dialect=dialect))
        assert "DROP" not in text and " 7" not in text
        assert "coalesce" in text


def test_huge_numbers_and_a_naive_clock(app, seeded) -> None:
    rule = check_rule(cond(A + "ltv", "lt", 10**30), TYPES, ())
    assert rule.tree["value"] == 1e30
    naive = SqlContext(seeded.tenant_id, NOW.replace(tzinfo=None), TYPES, seeded.segment_pks)
    recent = check_rule(cond(A + "lastOrderAt", "withinLastDays", 7), TYPES, ())
    with app.app_context(), db.engine.connect() as conn:
        assert sql_selects(conn, rule, seeded) == {"c1", "c2", "c4"}
        assert sql_selects(conn, recent, naive) == {"c2"}


def test_a_rule_in_q_selects_what_its_tree_selects(app, seeded) -> None:
    rule = check_rule(
        {"q": "attributes.country:(DE,AT,FR) AND attributes.ltv:(>=0 AND <=2000)"}, TYPES, ()
    )
    assert python_selects(rule, CUSTOMERS, NOW) == {"c1", "c2"}
    with app.app_context(), db.engine.connect() as conn:
        assert sql_selects(conn, rule, seeded) == {"c1", "c2"}
