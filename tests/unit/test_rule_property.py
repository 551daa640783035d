"""Random rules over random customers: the SQL of rules.sql must select exactly the customers the
plain-Python evaluation of rules.pyeval selects, on the test database, both over the customer
table and over a directory batch's attributes taken out once (rules.columns).

The generator draws values from small domains shared by customers and rules (so rules select
something), with the edges that differ between databases: case, LIKE and GLOB wildcards,
non-ASCII text, 1 against 1.0, true against 1, a date-time exactly N days back, absent keys
and customers without any attributes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments_app.extensions import db
from segments_app.services.rules.sql import SqlContext
from segments_app.services.rules.tree import OPERATORS, AttributeTypes, check_rule
from tests.factories import tenant_named
from tests.hypotheses import examples
from tests.rules_data import batch_selects, python_selects, seed, sql_selects

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
TYPES = AttributeTypes(
    {"s": "string", "n": "number", "b": "boolean", "d": "date", "t": "datetime", "g": "tags"},
    {"ls": "string", "ln": "number"},
)
SEGMENTS = ("s1", "s2")
TEXTS = ["DE", "de", "D%", "a_b", "ab", "Gold", "", "é", "中文", "x*y", "[z]"]
NUMBERS = [-3, -1.5, 0, 1, 1.0, 2.5, 3, 100]
DATES = ["2025-12-05", "2026-11-05", "2026-11-28", "2026-12-01", "2026-12-05"]
MOMENTS = [
    "2020-01-01T00:00:00.000Z",
    "2026-11-28T11:59:59.999Z",
    "2026-11-28T12:00:00.000Z",
    "2026-12-04T00:00:00.000Z",
    "2026-12-05T11:00:00.000Z",
]
TAGS = ["vip", "b2b", "news", "VIP"]
EMAILS = [None, "Ann@X.com", "ann@x.com", "BOB@y.org", "c_d@x.com"]
NAMES = [None, "", "Ann", "ann", "Bo%"]
DAYS = [1, 7, 30, 365]
DOMAINS: dict[str, st.SearchStrategy[Any]] = {
    "string": st.sampled_from(TEXTS),
    "number": st.sampled_from(NUMBERS),
    "boolean": st.booleans(),
    "date": st.sampled_from(DATES),
    "datetime": st.sampled_from(MOMENTS),
    "tags": st.sampled_from(TAGS),
}
FIELDS = [
    ("id", "string"),
    ("email", "string"),
    ("firstName", "string"),
    *((f"attributes.{key}", type_) for key, type_ in TYPES.customer.items()),
    ("legalEntity.id", "string"),
    *((f"legalEntity.attributes.{key}", type_) for key, type_ in TYPES.legal_entity.items()),
]
ENTITY_IDS = ["le1", "le2", "le3"]


def attributes(types: dict[str, str]) -> st.SearchStrategy[dict[str, Any] | None]:
    values = {
        key: st.lists(DOMAINS["tags"], max_size=3, unique=True)
        if type_ == "tags"
        else DOMAINS[type_]
        for key, type_ in types.items()
    }
    return st.none() | st.fixed_dictionaries({}, optional=values)


customers = st.fixed_dictionaries(
    {
        "email": st.sampled_from(EMAILS),
        "firstName": st.sampled_from(NAMES),
        "attributes": attributes(dict(TYPES.customer)),
        "entities": st.lists(st.sampled_from(ENTITY_IDS), max_size=2, unique=True),
        "segments": st.sets(st.sampled_from(SEGMENTS)),
    }
)


def substrings(value: str) -> list[str]:
    return [value[i:j] for i in range(len(value)) for j in range(i + 1, len(value) + 1)]


def value_for(op: str, type_: str, field: str) -> st.SearchStrategy[Any]:
    if field in ("id", "legalEntity.id"):
        scalar: st.SearchStrategy[Any] = st.sampled_from(["c0", "c1", "c3", *ENTITY_IDS])
    elif field == "email":
        scalar = st.sampled_from([e for e in EMAILS if e] + ["ANN@x.com", "x.com"])
    elif field == "firstName":
        scalar = st.sampled_from([n for n in NAMES if n is not None])
    else:
        scalar = DOMAINS["string" if type_ == "tags" else type_]
    if op in ("withinLastDays", "notWithinLastDays"):
        return st.sampled_from(DAYS)
    if op in ("in", "notIn"):
        return st.lists(scalar, min_size=1, max_size=3)
    if op == "between":
        return st.lists(scalar, min_size=2, max_size=2).map(sorted)
    if op in ("contains", "startsWith") and type_ == "string":
        return scalar.flatmap(lambda text: st.sampled_from(substrings(text) or [""]))
    if op == "matches":
        return st.sampled_from(["^D", "e$", "^$", "a.b", "[Gg]", "x", "^ab|文$", "A"])
    return scalar


@st.composite
def conditions(draw) -> dict[str, Any]:
    if draw(st.integers(0, 9)) == 0:
        return {"inSegment": draw(st.sampled_from(SEGMENTS))}
    field, type_ = draw(st.sampled_from(FIELDS))
    op = draw(st.sampled_from(OPERATORS[type_]))
    if op in ("exists", "missing"):
        return {"field": field, "op": op}
    return {"field": field, "op": op, "value": draw(value_for(op, type_, field))}


rules = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.builds(lambda rule: {"not": rule}, inner),
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"all": parts}),
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"any": parts}),
    ),
    max_leaves=6,
)


@settings(
    max_examples=examples(60),
    deadline=None,
    # the fixtures give the tenant only; each example's rows are rolled back
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(data=st.data())
def test_sql_agrees_with_the_python_evaluation(app, tenant, data: st.DataObject) -> None:
    drawn = data.draw(st.lists(customers, min_size=3, max_size=8), label="customers")
    entities = data.draw(
        st.fixed_dictionaries({id_: attributes(dict(TYPES.legal_entity)) for id_ in ENTITY_IDS}),
        label="legal entities",
    )
    seen: set[str] = set()
    for customer in drawn:  # emails are unique per tenant, whatever their case
        key = (customer["email"] or "").lower()
        customer["email"] = None if key in seen else customer["email"]
        seen.add(key)
    records = [
        {
            "id": f"c{index}",
            "email": customer["email"],
            "firstName": customer["firstName"],
            "attributes": customer["attributes"],
            "legalEntities": [
                {"id": id_, "attributes": entities[id_]} for id_ in customer["entities"]
            ],
            "segments": customer["segments"],
        }
        for index, customer in enumerate(drawn)
    ]
    bodies = data.draw(st.lists(rules, min_size=4, max_size=8), label="rules")
    with app.app_context():
        tenant_id = tenant_named(tenant).id
        with db.engine.connect() as conn:
            transaction = conn.begin()
            try:
                pks = seed(conn, tenant_id, records, entities)
                ctx = SqlContext(tenant_id, NOW, TYPES, pks)
                for body in bodies:
                    rule = check_rule(body, TYPES, SEGMENTS)
                    expected = python_selects(rule, records, NOW)
                    assert sql_selects(conn, rule, ctx) == expected, body
                    assert batch_selects(conn, rule, ctx) == expected, body
            finally:
                transaction.rollback()


def test_the_generated_rules_select_some_and_not_all() -> None:
    """A guard on the generator: random rules are not all trivially empty or full."""
    sizes = []

    @settings(max_examples=examples(40), deadline=None, database=None)
    @given(body=rules, drawn=st.lists(customers, min_size=6, max_size=6))
    def sample(body: dict[str, Any], drawn: list[dict[str, Any]]) -> None:
        records = [
            {**customer, "id": f"c{index}", "legalEntities": []}
            for index, customer in enumerate(drawn)
        ]
        rule = check_rule(body, TYPES, SEGMENTS)
        sizes.append(len(python_selects(rule, records, NOW)))

    sample()
    assert any(0 < size < 6 for size in sizes)
