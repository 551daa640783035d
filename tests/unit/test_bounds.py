"""The limits' own mechanisms: SQLite's REGEXP is RE2, a pattern is checked before it runs,
JSON nesting is measured without parsing, and the dashboard's URL numbers never fail."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from segments_app.limits import JSON_MAX_DEPTH, PAGE_NUMBER_MAX, json_too_deep
from segments_app.query.errors import QueryError
from segments_app.query.listing import last_page
from segments_app.query.regex import check_pattern
from segments_app.web.args import BIGGEST, int_arg, page_arg


def test_sqlite_regexp_is_re2_on_every_engine():
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        started = time.perf_counter()
        # exponential for a backtracking matcher (Python's re takes hours over 60 x's)
        found = conn.scalar(sa.text("SELECT :text REGEXP '(x+x+)+y'"), {"text": "x" * 100_000})
        assert found == 0 and time.perf_counter() - started < 1
        assert conn.scalar(sa.text("SELECT 'Gold' REGEXP '^G.l'")) == 1
        assert conn.scalar(sa.text("SELECT NULL REGEXP 'a'")) is None
        # RE2 syntax: Unicode classes, which Python's re lacks
        assert conn.scalar(sa.text("SELECT 'Straße' REGEXP '^\\pL+$'")) == 1
    engine.dispose()


@pytest.mark.parametrize(
    ("pattern", "offset", "named"),
    [
        ("x" * 257, 0, "257 characters long; at most 256"),
        (r"ab(c)\1", 5, "backreferences"),
        ("ab(?=c)", 2, "lookahead"),
        ("(?<=a)b", 0, "lookbehind"),
        ("ab[c", 2, "invalid regular expression: missing ]"),
    ],
)
def test_a_refused_pattern_says_why_and_where(pattern, offset, named):
    with pytest.raises(QueryError) as caught:
        check_pattern(pattern, 10)
    assert named in caught.value.detail
    assert caught.value.position == 10 + offset


def test_accepted_patterns_pass():
    for pattern in ("^Gold", "(?i)gold|silver", "x" * 256, r"\d{4}-\d\d"):
        check_pattern(pattern, 0)


@pytest.mark.parametrize(
    ("document", "deep"),
    [
        ("[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH, False),
        ("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1), True),
        ("[" * 100, True),  # not JSON, but the parser would descend before saying so
        ("[[]" * 10_000 + "]" * 10_000, True),  # deep without a long run of "["
        (json.dumps({"a": "[[[[" * 100, "b": ['x\\"[[[', {"c": "}}}}"}]}), False),
        ('{"a": [1, {"b": [2, {"c": []}]}], "d": {}}', False),
        ("[" + "[]," * 100_000 + "[]]", False),
    ],
)
def test_json_nesting_is_measured_without_parsing(document, deep):
    assert json_too_deep(document.encode()) is deep


def test_a_deep_body_is_found_fast():
    started = time.perf_counter()
    assert json_too_deep(b"[" * 2_000_000 + b"]" * 2_000_000)
    assert json_too_deep(b"[[]" * 1_000_000 + b"]" * 1_000_000)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("-3", 1),
        ("0", 1),
        ("²", 1),  # a digit to str.isdigit, not to int()
        ("1.5", 1),
        ("7", 7),
        ("99999999999999999999", PAGE_NUMBER_MAX),
        ("9" * 5000, PAGE_NUMBER_MAX),
    ],
)
def test_page_arg_is_never_an_error(raw, expected):
    assert page_arg(raw) == expected


def test_int_arg_stays_within_an_integer_column():
    assert int_arg("99999999999999999999", 0) == BIGGEST
    assert int_arg("12", 0) == 12 and int_arg("x", 5) == 5
    assert last_page(0, 50) == 1 and last_page(50, 50) == 1 and last_page(51, 50) == 2
