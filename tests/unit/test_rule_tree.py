"""check_rule: canonical trees, and every bad input reported with a field path into the rule;
dependency_order; the tenant's attribute types read from attribute_key."""

from __future__ import annotations

from typing import Any

import pytest

from segments_app.errors import ValidationFailed
from segments_app.extensions import db
from segments_app.limits import RULE_MAX_BYTES, RULE_MAX_CONDITIONS, RULE_MAX_DEPTH
from segments_app.services.rules.tree import AttributeTypes, check_rule, dependency_order
from tests.factories import tenant_named
from tests.rules_data import seed

TYPES = AttributeTypes(
    {
        "country": "string",
        "ltv": "number",
        "vip": "boolean",
        "born": "date",
        "lastOrderAt": "datetime",
        "tags": "tags",
    },
    {"size": "number"},
)
SEGMENTS = {"gold", "silver"}


def problems(body: object, path: str = "rule") -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        check_rule(body, TYPES, SEGMENTS, path)
    details = caught.value.details or []
    assert all(detail["message"] for detail in details)
    return [(detail["field"], detail["type"]) for detail in details]


def c(field: str, op: str, *value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, **({"value": value[0]} if value else {})}


def test_a_rule_is_made_canonical_and_says_what_it_uses() -> None:
    rule = check_rule(
        {
            "all": [
                c("email", "in", ["Ann@Example.COM", "ann@example.com", "b@x.org"]),
                c("attributes.lastOrderAt", "after", "2026-11-02T11:00:00+01:00"),
                c("attributes.lastOrderAt", "before", "2026-12-01"),
                c("attributes.born", "between", ["1990-01-01", "2000-12-31"]),
                {"not": c("attributes.lastOrderAt", "withinLastDays", 30)},
                c("legalEntity.attributes.size", "exists"),
                {"any": [{"inSegment": "gold"}, c("attributes.tags", "contains", "b2b")]},
            ]
        },
        TYPES,
        SEGMENTS,
    )
    parts = rule.tree["all"]
    assert parts[0]["value"] == ["ann@example.com", "b@x.org"]
    assert parts[1]["value"] == "2026-11-02T10:00:00.000Z"
    assert parts[2]["value"] == "2026-12-01T00:00:00.000Z"
    assert parts[3]["value"] == ["1990-01-01", "2000-12-31"]
    assert parts[5] == {"field": "legalEntity.attributes.size", "op": "exists"}
    assert rule.segments == {"gold"}
    assert rule.relative
    assert rule.fields == {
        "email",
        "attributes.lastOrderAt",
        "attributes.born",
        "legalEntity.attributes.size",
        "attributes.tags",
    }
    assert not check_rule(c("id", "equals", "x"), TYPES, ()).relative


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("DE", [("rule", "type")]),
        ({}, [("rule.field", "required"), ("rule.op", "required")]),
        ({"all": []}, [("rule.all", "invalid")]),
        ({"any": "x"}, [("rule.any", "type")]),
        ({"all": [{"any": []}]}, [("rule.all[0].any", "invalid")]),
        ({"all": [], "any": []}, [("rule", "invalid")]),
        ({"not": {"inSegment": "gold"}, "x": 1}, [("rule.x", "unknown")]),
        ({**c("id", "equals", "a"), "extra": 1}, [("rule.extra", "unknown")]),
        (c("nickname", "equals", "a"), [("rule.field", "unknown")]),
        (c("attributes.unknownKey", "equals", "a"), [("rule.field", "unknown")]),
        (c("attributes.bad-key", "equals", "a"), [("rule.field", "unknown")]),
        (c("legalEntity.name", "equals", "a"), [("rule.field", "unknown")]),
        (c("legalEntity.attributes.country", "equals", "a"), [("rule.field", "unknown")]),
        ({"field": 3, "op": "equals", "value": 1}, [("rule.field", "type")]),
        (c("id", "like", "a"), [("rule.op", "unknown")]),
        (c("id", "gt", "a"), [("rule.op", "invalid")]),
        (c("attributes.vip", "in", [True]), [("rule.op", "invalid")]),
        (c("attributes.tags", "equals", "a"), [("rule.op", "invalid")]),
        (c("attributes.born", "matches", "a"), [("rule.op", "invalid")]),
        (c("id", "equals"), [("rule.value", "required")]),
        (c("id", "exists", "a"), [("rule.value", "invalid")]),
        (c("id", "equals", 5), [("rule.value", "type")]),
        (c("attributes.ltv", "equals", "5"), [("rule.value", "type")]),
        (c("attributes.ltv", "gt", True), [("rule.value", "type")]),
        (c("attributes.vip", "equals", "true"), [("rule.value", "type")]),
        (c("attributes.ltv", "in", [1, "2", 3]), [("rule.value[1]", "type")]),
        (c("attributes.ltv", "in", []), [("rule.value", "bounds")]),
        (c("attributes.ltv", "in", list(range(1001))), [("rule.value", "bounds")]),
        (c("attributes.ltv", "in", 5), [("rule.value", "type")]),
        (c("attributes.ltv", "between", [1]), [("rule.value", "type")]),
        (c("attributes.ltv", "between", [5, 1]), [("rule.value", "invalid")]),
        (c("attributes.born", "equals", "2026-02-30"), [("rule.value", "invalid")]),
        (c("attributes.born", "equals", "2026-11-02T10:00:00Z"), [("rule.value", "invalid")]),
        (c("attributes.born", "before", "yesterday"), [("rule.value", "invalid")]),
        (c("attributes.lastOrderAt", "after", "2026-11-02T25:00:00Z"), [("rule.value", "invalid")]),
        (c("attributes.lastOrderAt", "after", "2026-11-02 10:00"), [("rule.value", "invalid")]),
        (
            c("attributes.lastOrderAt", "between", ["2026-01-01", "x"]),
            [("rule.value[1]", "invalid")],
        ),
        (c("attributes.born", "withinLastDays", 0), [("rule.value", "bounds")]),
        (c("attributes.born", "withinLastDays", 36501), [("rule.value", "bounds")]),
        (c("attributes.born", "withinLastDays", 1.5), [("rule.value", "type")]),
        (c("attributes.born", "notWithinLastDays", "7"), [("rule.value", "type")]),
        (c("attributes.country", "matches", "(?=x)"), [("rule.value", "invalid")]),
        (c("attributes.country", "matches", "a" * 300), [("rule.value", "bounds")]),
        (c("attributes.country", "matches", "(a"), [("rule.value", "invalid")]),
        (c("attributes.country", "equals", "x" * 1001), [("rule.value", "bounds")]),
        (c("attributes.tags", "contains", 1), [("rule.value", "type")]),
        ({"inSegment": "bronze"}, [("rule.inSegment", "unknown")]),
        ({"inSegment": 7}, [("rule.inSegment", "type")]),
        (
            {
                "all": [
                    c("attributes.country", "equals", "DE"),
                    {"any": [c("attributes.ltv", "gt", 1), c("attributes.ltv", "gt", "x")]},
                    c("attributes.country", "equals", 3),
                ]
            },
            [("rule.all[1].any[1].value", "type"), ("rule.all[2].value", "type")],
        ),
        (
            {"any": [{"not": {"field": "x", "op": "equals", "value": 1}}]},
            [("rule.any[0].not.field", "unknown")],
        ),
    ],
)
def test_each_bad_input_is_reported_where_it_is(body: object, expected: list) -> None:
    assert problems(body) == expected


def test_the_path_prefix_is_the_callers() -> None:
    assert problems({"all": [{}]}, "body.rule") == [
        ("body.rule.all[0].field", "required"),
        ("body.rule.all[0].op", "required"),
    ]


def test_bounds_of_depth_conditions_and_size() -> None:
    deep: dict[str, Any] = c("id", "equals", "a")
    for _ in range(RULE_MAX_DEPTH):
        deep = {"not": deep}
    check_rule(deep, TYPES, ())
    assert problems({"all": [deep]}) == [("rule.all[0]" + ".not" * (RULE_MAX_DEPTH - 1), "bounds")]
    many = {"any": [c("id", "equals", str(n)) for n in range(RULE_MAX_CONDITIONS)]}
    check_rule(many, TYPES, ())
    many["any"].append({"inSegment": "gold"})
    assert problems(many) == [("rule", "bounds")]
    big = {"any": [c("id", "equals", "x" * 1000) for _ in range(RULE_MAX_BYTES // 1000)]}
    assert problems(big) == [("rule", "bounds")]


def test_dependency_order_puts_references_first_and_refuses_cycles() -> None:
    rules = {
        "a": frozenset({"b", "c"}),
        "b": frozenset({"c", "list"}),
        "c": frozenset(),
        "d": frozenset({"a"}),
    }
    order = dependency_order(rules)
    assert sorted(order) == ["a", "b", "c", "d"]
    for id_, refs in rules.items():
        assert all(order.index(ref) < order.index(id_) for ref in refs if ref in rules)
    with pytest.raises(ValidationFailed) as caught:
        dependency_order({**rules, "c": frozenset({"d"})})
    detail = (caught.value.details or [])[0]
    assert (detail["field"], detail["type"]) == ("rule", "cycle")
    assert "a -> b -> c -> d -> a" in detail["message"]
    with pytest.raises(ValidationFailed):
        dependency_order({"self": frozenset({"self"})})


def test_attribute_types_are_read_from_attribute_keys(app, tenant, other_tenant) -> None:
    with app.app_context():
        tenant_id = tenant_named(tenant).id
        with db.engine.begin() as conn:
            seed(conn, tenant_id, [], {}, TYPES)
            seed(conn, tenant_named(other_tenant).id, [], {}, AttributeTypes({"x": "tags"}, {}))
        assert AttributeTypes.for_tenant(tenant_id) == TYPES


@pytest.mark.parametrize(
    ("q", "tree"),
    [
        ("attributes.country:DE", c("attributes.country", "equals", "DE")),
        (
            "attributes.country:DE AND attributes.ltv:>100",
            {"all": [c("attributes.country", "equals", "DE"), c("attributes.ltv", "gt", 100)]},
        ),
        (
            "attributes.country:(DE,AT) attributes.ltv:(>=1 AND <=5.5)",
            {
                "all": [
                    c("attributes.country", "in", ["DE", "AT"]),
                    c("attributes.ltv", "between", [1, 5.5]),
                ]
            },
        ),
        (
            "attributes.ltv:(<5 AND >1)",
            {"all": [c("attributes.ltv", "lt", 5), c("attributes.ltv", "gt", 1)]},
        ),
        (
            "compoundLogicalQuery:((attributes.tags:vip) OR (attributes.vip:true email:~x))",
            {
                "any": [
                    c("attributes.tags", "contains", "vip"),
                    {"all": [c("attributes.vip", "equals", True), c("email", "matches", "x")]},
                ]
            },
        ),
        (
            'attributes.country:DE OR attributes.lastOrderAt:<"2026-01-01"',
            {
                "any": [
                    c("attributes.country", "equals", "DE"),
                    c("attributes.lastOrderAt", "before", "2026-01-01T00:00:00.000Z"),
                ]
            },
        ),
        (
            "attributes.born:>=2000-01-01",
            {
                "any": [
                    c("attributes.born", "after", "2000-01-01"),
                    c("attributes.born", "equals", "2000-01-01"),
                ]
            },
        ),
        ("attributes.vip:missing", c("attributes.vip", "missing")),
        ("attributes.vip:null", c("attributes.vip", "missing")),
        ("legalEntity.attributes.size:exists", c("legalEntity.attributes.size", "exists")),
        ("email:Ann@X.com", c("email", "equals", "ann@x.com")),
    ],
)
def test_a_rule_may_be_written_in_q(q: str, tree: dict) -> None:
    assert check_rule({"q": q}, TYPES, SEGMENTS).tree == tree


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("attributes.ltv:abc", "position 15: 'abc' is not a number"),
        ("attributes.nope:1", "unknown field 'attributes.nope'"),
        ("attributes.country:>b", "only numbers and dates compare"),
        ("attributes.vip:(true,false)", "a list of values cannot be used"),
        ("attributes.ltv:~1", "a regular expression needs a text field"),
        ('attributes.born:"2026-13-01"', "is not one"),
        ("attributes.country:DE AND", "expected ':'"),
        ("", "non-empty"),
    ],
)
def test_what_q_cannot_say_in_a_rule_is_a_400_at_rule_q(q: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_rule({"q": q}, TYPES, SEGMENTS)
    [detail] = caught.value.details or []
    assert detail["field"] == "rule.q"
    assert words in detail["message"]
    assert problems({"q": "id:x", "all": []}) == [("rule", "invalid")]
