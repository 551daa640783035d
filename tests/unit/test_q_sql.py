"""`q` compiled to SQL and run on SQLite (and PostgreSQL when DATABASE_URL points at one)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from segments_app.query import jsonsql
from segments_app.query.errors import QueryError
from segments_app.query.fields import FieldSet
from segments_app.query.q import compile_q

WEIRD = {'a"b': "quote", "it's; DROP TABLE x; --": "semicolon", "é ü": "accents"}

ROWS = [
    {
        "id": "r1",
        "code": "GOLD-1",
        "status": "ACTIVE",
        "version": 1,
        "price": 9.5,
        "published": True,
        "createdAt": datetime(2024, 1, 1, tzinfo=UTC),
        "name": {"en": "Gold members", "de": "Goldmitglieder"},
        "mixins": {
            "segmentAttributes": {"membershipStatus": "PREMIUM", "tier": 3, "vip": True},
            "score": 10,
        },
    },
    {
        "id": "r2",
        "code": "silver",
        "status": "INACTIVE",
        "version": 2,
        "price": 20.0,
        "published": False,
        "createdAt": datetime(2024, 6, 15, 12, 30, 0, 250000, tzinfo=UTC),
        "name": {"en": "Silver"},
        "mixins": {"segmentAttributes": {"membershipStatus": "BASIC", "tier": "3"}, "score": 2.5},
    },
    {
        "id": "r3",
        "code": "Bronze Age",
        "status": "ACTIVE",
        "version": 10,
        "price": None,
        "published": None,
        "createdAt": None,
        "name": {"de": "Bronze", "fr": ""},
        "mixins": {"segmentAttributes": {"membershipStatus": None}, "weird key": WEIRD},
    },
    {
        "id": "r4",
        "code": None,
        "status": "",
        "version": None,
        "price": 0.0,
        "published": True,
        "createdAt": datetime(2023, 12, 31, 23, tzinfo=UTC),
        "name": sa.null(),
        "mixins": sa.null(),
    },
    {
        "id": "r5",
        "code": "",
        "status": "ACTIVE",
        "version": 3,
        "price": -1.25,
        "published": False,
        "createdAt": datetime(2025, 1, 1, tzinfo=UTC),
        "name": {"en": ""},
        "mixins": {"segmentAttributes": "flat", "list": [1, 2], "n": None},
    },
]

CASES: list[tuple[str, set[str]]] = [
    ("", {"r1", "r2", "r3", "r4", "r5"}),
    # strings
    ("code:GOLD-1", {"r1"}),
    ("code:gold-1", set()),
    ('code:"Bronze Age"', {"r3"}),
    ('code:""', {"r5"}),
    ("code:(GOLD-1, silver)", {"r1", "r2"}),
    ('code:("Bronze Age","silver")', {"r2", "r3"}),
    ("code:~ilv", {"r2"}),
    ("code:~OLD", {"r1"}),
    ("code:~^[A-Z]", {"r1", "r3"}),
    ("code:(~e A)", {"r3"}),
    ("code:null", {"r4"}),
    ("code:missing", {"r4"}),
    ("code:exists", {"r1", "r2", "r3"}),
    ("code:>b", {"r2"}),
    ("code:(>=B AND <H)", {"r1", "r3"}),
    ("status:ACTIVE metadata.version:>=3", {"r3", "r5"}),
    ("id:(r1,r9)", {"r1"}),
    # numbers
    ("metadata.version:(>=2 AND <=3)", {"r2", "r5"}),
    ("metadata.version:(<=3 AND >1)", {"r2", "r5"}),
    ("metadata.version:1.5", set()),
    ("metadata.version:2.0", {"r2"}),
    ("metadata.version:(1,10)", {"r1", "r3"}),
    ("metadata.version:>99999999999999999999", set()),
    ("metadata.version:missing", {"r4"}),
    ("price:<0", {"r5"}),
    ("price:20", {"r2"}),
    ("price:0", {"r4"}),
    ("price:>=9.5", {"r1", "r2"}),
    ('price:"9.5"', {"r1"}),
    # booleans
    ("published:true", {"r1", "r4"}),
    ("published:false", {"r2", "r5"}),
    ("published:(true,false)", {"r1", "r2", "r4", "r5"}),
    ("published:null", {"r3"}),
    ("published:exists", {"r1", "r2", "r4", "r5"}),
    # dates
    ('metadata.createdAt:>"2024-01-01T00:00:00.000Z"', {"r2", "r5"}),
    ('metadata.createdAt:"2024-01-01T01:00:00+01:00"', {"r1"}),
    ("metadata.createdAt:2024-06-15T12:30:00.250Z", {"r2"}),
    ("metadata.createdAt:2024-06-15T12:30:00Z", set()),
    ("metadata.createdAt:2025-01-01", {"r5"}),
    (
        'metadata.createdAt:(>="2023-12-31T23:00:00Z" AND <2024-06-15T12:30:00.250Z)',
        {"r1", "r4"},
    ),
    ('metadata.createdAt:("2024-01-01T00:00:00Z","2025-01-01T00:00:00.000Z")', {"r1", "r5"}),
    ("metadata.createdAt:missing", {"r3"}),
    # one language of a localized field
    ('name.en:"Gold members"', {"r1"}),
    ("name.en:~Sil", {"r2"}),
    ("name.en:missing", {"r3", "r4"}),
    ("name.en:null", {"r3", "r4"}),
    ("name.en:exists", {"r1", "r2"}),
    ("name.de:Bronze", {"r3"}),
    ("name.fr:null", {"r1", "r2", "r4", "r5"}),
    ("name.fr:exists", set()),
    ('name.fr:""', {"r3"}),
    ("name.en:>R", {"r2"}),
    # any language
    ("name:Bronze", {"r3"}),
    ("name:~mitglied", {"r1"}),
    ("name:~(d m)", {"r1"}),
    ("name:(Silver, Bronze)", {"r2", "r3"}),
    ("name:>G", {"r1", "r2"}),
    ("name:(>=B AND <C)", {"r3"}),
    ("name:exists", {"r1", "r2", "r3"}),
    ("name:missing", {"r4"}),
    ("name:null", {"r4"}),
    # mixins
    ("mixins.segmentAttributes.membershipStatus:PREMIUM", {"r1"}),
    ("mixins.segmentAttributes.membershipStatus:(PREMIUM,BASIC)", {"r1", "r2"}),
    ("mixins.segmentAttributes.tier:3", {"r1"}),
    ('mixins.segmentAttributes.tier:"3"', {"r2"}),
    ("mixins.segmentAttributes.tier:3.0", {"r1"}),
    ("mixins.segmentAttributes.tier:>2", {"r1"}),
    ('mixins.segmentAttributes.tier:>"2"', {"r2"}),
    ("mixins.segmentAttributes.tier:~3", {"r2"}),
    ("mixins.segmentAttributes.vip:true", {"r1"}),
    ('mixins.segmentAttributes.vip:"true"', set()),
    ("mixins.segmentAttributes.vip:false", set()),
    ("mixins.segmentAttributes.membershipStatus:null", {"r3", "r4", "r5"}),
    ("mixins.segmentAttributes.membershipStatus:missing", {"r4", "r5"}),
    ("mixins.segmentAttributes.membershipStatus:exists", {"r1", "r2"}),
    ("mixins.segmentAttributes:exists", {"r1", "r2", "r3", "r5"}),
    ("mixins.segmentAttributes:missing", {"r4"}),
    ("mixins.segmentAttributes:flat", {"r5"}),
    ("mixins.segmentAttributes:>=PREMIUM", {"r5"}),
    ("mixins.score:(>=2.5 AND <10)", {"r2"}),
    ("mixins.score:(2.5, 10)", {"r1", "r2"}),
    ("mixins.score:~1", set()),
    ("mixins.score:>abc", set()),
    ("mixins.list:exists", {"r5"}),
    ("mixins.list.0:1", set()),
    ("mixins.list.0:missing", {"r1", "r2", "r3", "r4", "r5"}),
    ("mixins.n:null", {"r1", "r2", "r3", "r4", "r5"}),
    ("mixins.n:missing", {"r1", "r2", "r3", "r4"}),
    ("mixins.n:exists", set()),
    ("mixins:missing", {"r4"}),
    ("mixins:exists", {"r1", "r2", "r3", "r5"}),
    # compound
    ("compoundLogicalQuery:((code:GOLD-1) OR (status:INACTIVE))", {"r1", "r2"}),
    (
        "compoundLogicalQuery:(((status:ACTIVE) AND (published:false)) OR (code:silver))",
        {"r2", "r5"},
    ),
    ("published:true compoundLogicalQuery:((code:GOLD-1) OR (code:missing))", {"r1", "r4"}),
    ("compoundLogicalQuery:(name:~Gold OR mixins.score:<3 price:<1)", {"r1"}),
]


@pytest.fixture(scope="module")
def q_loaded(q_table) -> Iterator:
    with q_table.engine.begin() as conn:
        for row in ROWS:
            conn.execute(q_table.table.insert().values(**row))
    yield q_table


@pytest.mark.parametrize(("q", "expected"), CASES, ids=[q or "<blank>" for q, _ in CASES])
def test_query_selects(q_loaded, q: str, expected: set[str]) -> None:
    with q_loaded.engine.connect() as conn:
        assert q_loaded.ids(conn, q) == expected


@pytest.mark.parametrize("q", [q for q, _ in CASES if q])
@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])
def test_compiles_offline_for_both_dialects(q_offline_fields: FieldSet, q: str, dialect) -> None:
    condition = compile_q(q, q_offline_fields)
    assert condition is not None
    assert str(condition.compile(dialect=dialect))


@pytest.mark.parametrize("blank", [None, "", "  \t "])
def test_blank_query_compiles_to_none(q_offline_fields: FieldSet, blank: str | None) -> None:
    assert compile_q(blank, q_offline_fields) is None


@pytest.mark.parametrize(
    ("q", "position", "fragment"),
    [
        ("status:x bogus.field:1", 9, "unknown field 'bogus.field'"),
        ("code.sub:1", 0, "unknown field 'code.sub'"),
        ("name.en.x:1", 0, "unknown field 'name.en.x'"),
        ("metadata.version:abc", 17, "'abc' is not a number"),
        ("metadata.version:(1,x)", 20, "'x' is not a number"),
        ("price:>1e999", 7, "out of range"),
        ("price:~1", 0, "regular expression cannot be used on the number field 'price'"),
        ("metadata.createdAt:yesterday", 19, "is not an ISO-8601 date-time"),
        ('metadata.createdAt:>"2024-13-01"', 20, "is not an ISO-8601 date-time"),
        ('metadata.createdAt:"0001-01-01T00:00:00+05:00"', 19, "is not an ISO-8601"),
        ("published:maybe", 10, "'maybe' is not a boolean"),
        ("published:>true", 0, "comparison cannot be used on the boolean field"),
        ("compoundLogicalQuery:((code:a) OR (nope:1))", 35, "unknown field 'nope'"),
    ],
)
def test_field_errors(q_offline_fields: FieldSet, q: str, position: int, fragment: str) -> None:
    with pytest.raises(QueryError) as caught:
        compile_q(q, q_offline_fields)
    assert caught.value.position == position
    assert fragment in caught.value.message


def test_unknown_field_lists_known_fields(q_offline_fields: FieldSet) -> None:
    with pytest.raises(QueryError) as caught:
        compile_q("colour:red", q_offline_fields)
    assert "known fields: id, code, status, metadata.version" in caught.value.message


def test_keys_that_need_quoting_are_safe(q_loaded) -> None:
    mixins = q_loaded.table.c.mixins
    with q_loaded.engine.connect() as conn:
        for key, value in WEIRD.items():
            text = jsonsql.json_text(mixins, ("weird key", key))
            found = conn.execute(sa.select(q_loaded.table.c.id, text).where(text.is_not(None)))
            assert found.all() == [("r3", value)]
            kind = jsonsql.json_type(mixins, ("weird key", key))
            assert conn.scalar(sa.select(kind).where(q_loaded.table.c.id == "r3")) == "string"


def test_cached_statements_keep_their_own_paths(q_loaded) -> None:
    mixins, ids = q_loaded.table.c.mixins, q_loaded.table.c.id
    with q_loaded.engine.connect() as conn:
        for _ in range(2):
            for path, value in [
                (("segmentAttributes", "membershipStatus"), "PREMIUM"),
                (("segmentAttributes", "flat"), "PREMIUM"),
                (("weird key", "é ü"), "accents"),
                (("weird key", 'a"b'), "accents"),
                (("weird key", 'a"b'), "quote"),
            ]:
                query = sa.select(ids).where(jsonsql.json_text(mixins, path) == value)
                expected = {
                    "segmentAttributes": {"r1"} if path[1] == "membershipStatus" else set(),
                    "weird key": {"r3"} if WEIRD.get(path[1]) == value else set(),
                }[path[0]]
                assert set(conn.scalars(query)) == expected


def test_json_type_vocabulary(q_loaded) -> None:
    mixins, ids = q_loaded.table.c.mixins, q_loaded.table.c.id
    paths = {
        ("segmentAttributes", "tier"): {"r1": "number", "r2": "string"},
        ("segmentAttributes", "vip"): {"r1": "boolean"},
        ("segmentAttributes",): {"r1": "object", "r2": "object", "r3": "object", "r5": "string"},
        ("list",): {"r5": "array"},
        ("n",): {"r5": "null"},
        (): {"r1": "object", "r2": "object", "r3": "object", "r5": "object"},
    }
    with q_loaded.engine.connect() as conn:
        for path, expected in paths.items():
            kind = jsonsql.json_type(mixins, path)
            rows = conn.execute(sa.select(ids, kind).where(kind.is_not(None)))
            assert dict(rows.all()) == expected


def test_json_sort_key_orders_by_nested_text(q_loaded) -> None:
    table = q_loaded.table
    with q_loaded.engine.connect() as conn:
        for path, direction, expected in [
            (("en",), "asc", ["r5", "r1", "r2"]),
            (("en",), "desc", ["r2", "r1", "r5"]),
        ]:
            key = jsonsql.json_sort_key(table.c.name, path)
            order = key.asc() if direction == "asc" else key.desc()
            query = sa.select(table.c.id).where(key.is_not(None)).order_by(order)
            assert list(conn.scalars(query)) == expected
        key = jsonsql.json_sort_key(table.c.mixins, ("segmentAttributes", "membershipStatus"))
        query = sa.select(table.c.id).where(key.is_not(None)).order_by(key)
        assert list(conn.scalars(query)) == ["r2", "r1"]


def test_count_without_selecting_the_table(q_loaded) -> None:
    # the FROM clause must come from the JSON constructs alone
    condition = compile_q("name:~Gold", q_loaded.fields)
    with q_loaded.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).where(condition)) == 1
