"""services.attributes: the canonical form, the limits, type inference, and the attribute keys
a batch keeps (set-based), including through the directory file import."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event, select

from segments_app.errors import ValidationFailed
from segments_app.extensions import db
from segments_app.models import AttributeKey, Customer
from segments_app.services.attributes import (
    EXAMPLES_MAX,
    KeyLedger,
    attribute_keys,
    canonical,
    remember,
    value_type,
)
from segments_app.services.demo_facts import customer_attributes, first_customer
from segments_app.services.directory import upsert_records
from tests.factories import TENANT, tenant_named


def problems(attributes) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        canonical(attributes)
    return [(d["field"], d["message"]) for d in caught.value.details or ()]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-11-02T10:00:00Z", "2026-11-02T10:00:00.000Z"),
        ("2026-11-02T10:00:00+01:00", "2026-11-02T09:00:00.000Z"),
        ("2026-11-02T00:30:00-02:00", "2026-11-02T02:30:00.000Z"),
        ("2026-11-02t10:00:00.123456z", "2026-11-02T10:00:00.123Z"),
        ("2026-11-02T10:00Z", "2026-11-02T10:00:00.000Z"),
        ("2026-11-02T10:00:00.000Z", "2026-11-02T10:00:00.000Z"),
        ("2026-11-02", "2026-11-02"),
        ("gold", "gold"),
        ("2026 was a good year", "2026 was a good year"),
        ("", ""),
    ],
)
def test_canonical_text_dates_and_date_times(given, stored):
    assert canonical({"at": given}) == {"at": stored}


def test_canonical_drops_nulls_empty_lists_and_repeated_tags():
    given = {"a": None, "b": [], "tags": ["x", "y", "x"], "n": 1, "f": 1.5, "t": False}
    assert canonical(given) == {"tags": ["x", "y"], "n": 1, "f": 1.5, "t": False}
    assert canonical({}) is None
    assert canonical({"a": None}) is None
    assert canonical(None) is None


def test_every_problem_of_a_record_is_reported_with_its_path():
    found = problems({"1x": 1, "ok": {"a": 1}, "list": [1, "a", None], "big": 10**17})
    assert [field for field, _ in found] == [
        "attributes.1x",
        "attributes.ok",
        "attributes.list[0]",
        "attributes.list[2]",
        "attributes.big",
    ]


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ("gold", "attributes must be a JSON object of keys and values."),
        ({"k": "x" * 1001}, "attributes.k has 1,001 characters; at most 1,000 are allowed."),
        ({"k": float("nan")}, "attributes.k must be a finite number."),
        ({"k": float("inf")}, "attributes.k must be a finite number."),
        ({"k": "2026-02-29"}, "attributes.k: 2026-02-29 is not a calendar date."),
        (
            {"k": "2026-01-01T25:00:00Z"},
            "attributes.k: 2026-01-01T25:00:00Z is not a valid date-time.",
        ),
        ({f"k{n}": True for n in range(51)}, "attributes has 51 keys; at most 50 are allowed."),
        (
            {"k": [str(n) for n in range(101)]},
            "attributes.k has 101 elements; at most 100 are allowed.",
        ),
    ],
)
def test_limit_messages(attributes, message):
    assert [m for _, m in problems(attributes)] == [message]


def test_limits_hold_exactly_at_the_bound():
    assert canonical({f"k{n}": True for n in range(50)})
    assert canonical({"k" + "x" * 63: "x" * 1000})
    assert canonical({"tags": ["x" * 100 + str(n) for n in range(0)] + ["t" * 100] * 100})
    # 16 KB exactly as JSON: {"k":"..."} is 8 bytes besides the text
    assert canonical({"k": "é" * 500, **{f"k{n}": "x" * 1000 for n in range(15)}})
    assert problems({"k" * 65: 1})
    too_big = {f"k{n}": "ü" * 1000 for n in range(9)}  # 2 bytes a character as UTF-8
    assert "bytes as JSON; at most 16,384" in problems(too_big)[0][1]


def test_value_type_of_canonical_values():
    values = canonical(
        {"s": "DE", "n": 3, "f": 2.5, "b": True, "d": "2026-01-02", "t": "2026-01-02T03:04:05Z"}
    )
    assert values is not None
    found = {key: value_type(value) for key, value in values.items()}
    assert found == {
        "s": "string",
        "n": "number",
        "f": "number",
        "b": "boolean",
        "d": "date",
        "t": "datetime",
    }
    assert value_type(["a"]) == "tags"


def test_demo_attributes_are_canonical():
    import random
    from datetime import UTC, datetime

    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    facts = random.Random(1)
    for attributes in [first_customer(now), *(customer_attributes(facts, now) for _ in range(300))]:
        assert canonical(attributes) == attributes
        assert 6 <= len(attributes) <= 8


# -- keys of a tenant ------------------------------------------------------------------------


@pytest.fixture
def acme(app, tenant):
    with app.app_context():
        yield tenant_named(TENANT)
        db.session.rollback()


def test_a_batch_costs_a_few_statements_whatever_its_size(app, acme):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.split()[0])

    records = [
        {
            "id": f"c{n}",
            "attributes": {"tier": "gold" if n % 2 else "silver", "n": n, "tags": [str(n)]},
        }
        for n in range(300)
    ]
    engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        results = upsert_records(acme, "customer", records)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert all(r.status == 201 for r in results)
    assert statements.count("SELECT") <= 3 and statements.count("INSERT") <= 3, statements
    keys = {k.key: k for k in attribute_keys(acme.id)}
    assert keys["n"].examples == [0, 1, 2, 3, 4]
    assert keys["tags"].examples == ["0", "1", "2", "3", "4"]
    # a later batch adds examples to a key that has fewer than five, in one UPDATE
    remember(acme.id, "customer", [{"few": "a"}])
    statements.clear()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        remember(acme.id, "customer", [{"few": v} for v in "bcdefgh"])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements == ["SELECT", "UPDATE"]
    assert attribute_keys(acme.id, "customer")[0].examples == ["a", "b", "c", "d", "e"]
    assert len(attribute_keys(acme.id, "customer")[0].examples) == EXAMPLES_MAX


def test_ledger_refuses_another_type_and_notes_nothing_of_that_record(acme):
    ledger = KeyLedger.load(acme.id, "customer")
    assert ledger.check({"tier": 1}) is None
    problem = ledger.check({"tier": "gold", "newKey": "x"})
    assert problem is not None and problem.details == [
        {
            "field": "attributes.tier",
            "type": "type",
            "message": 'attributes.tier holds numbers; "gold" is text.',
        }
    ]
    assert "newKey" not in ledger.keys
    ledger.save()
    rows = db.session.execute(select(AttributeKey.key, AttributeKey.type)).all()
    assert rows == [("tier", "number")]


@pytest.mark.parametrize(
    ("first", "then", "fits"),
    [
        ("text", "2026-01-01", True),
        ("text", "2026-01-01T00:00:00Z", True),
        ("2026-01-01", "text", False),
        ("2026-01-01", "2026-01-01T00:00:00Z", False),
        ("2026-01-01T00:00:00Z", "2026-01-01", False),
        (1, 1.5, True),
        (1, True, False),
        (True, 1, False),
        (["a"], "a", False),
        ("a", ["a"], False),
    ],
)
def test_which_values_fit_a_key(acme, first, then, fits):
    ledger = KeyLedger.load(acme.id, "customer")
    assert ledger.check(canonical({"k": first})) is None
    assert (ledger.check(canonical({"k": then})) is None) is fits


def test_keys_of_tenants_and_owners_are_apart(app, acme, other_tenant):
    other = tenant_named(other_tenant)
    remember(acme.id, "customer", [{"k": 1}])
    remember(acme.id, "legalEntity", [{"k": "x"}])
    remember(other.id, "customer", [{"k": True}])
    assert [(k.owner, k.type) for k in attribute_keys(acme.id)] == [
        ("customer", "number"),
        ("legalEntity", "string"),
    ]
    assert [(k.owner, k.type) for k in attribute_keys(other.id)] == [("customer", "boolean")]
    assert remember(other.id, "customer", [{"k": 2}])[0] is not None


# -- the directory file import ---------------------------------------------------------------


def test_import_rejects_a_wrong_typed_line_by_number(cli, app, tenant, tmp_path):
    lines = [
        {"kind": "customer", "id": "c1", "attributes": {"tier": 1, "since": "2026-01-01"}},
        {"kind": "customer", "id": "c2", "attributes": {"tier": 2}},
        {"kind": "customer", "id": "c3", "attributes": {"tier": "gold"}},
        {"kind": "legalEntity", "id": "le1", "name": "Acme", "attributes": {"tier": "gold"}},
        {"kind": "customer", "id": "c4", "attributes": {"since": "2026-01-01T10:00:00+02:00"}},
        {"kind": "customer", "id": "c5", "attributes": {"address": {"city": "Berlin"}}},
    ]
    path = tmp_path / "directory.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli.invoke(args=["directory", "import", "--tenant", TENANT, str(path)])
    assert result.exit_code == 1, result.output
    reported = dict(re.findall(r"^line (\d+): (.*)$", result.stderr, flags=re.M))
    assert reported == {
        "3": 'customer c3: attributes.tier holds numbers; "gold" is text.',
        "5": 'customer c4: attributes.since holds dates; "2026-01-01T08:00:00.000Z" is a '
        "date-time. Send a date such as 2026-01-01.",
        "6": "customer c5: attributes.address is an "
        "object; attributes do not nest (use flat keys such as attributes.addressName).",
    }
    with app.app_context():
        stored = dict(db.session.execute(select(Customer.id, Customer.attributes)).all())
        assert stored == {"c1": {"tier": 1, "since": "2026-01-01"}, "c2": {"tier": 2}}
