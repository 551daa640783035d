"""query.jsonout on the database under test: the text it writes is the JSON it describes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Integer, String, literal, null, select

from segments_app.extensions import db
from segments_app.query.jsonout import (
    EMPTY,
    NULL,
    NUMBER,
    STRING,
    json_object,
    member,
    nested,
)


def _selected(column) -> str:
    """The value the database computes for `column` (a SQL expression)."""
    return db.session.execute(select(column)).scalar_one()


def _string(value):
    return literal(value, String) if value is not None else null().cast(String)


def _number(value):
    return literal(value, Integer) if value is not None else null().cast(Integer)


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("value", ["plain", 'quote " and \\ and \n', "emoji \U0001f389"])
def test_an_object_opens_with_its_first_member_when_it_is_always_there(value):
    text = _selected(
        json_object(
            member("id", _string(value), STRING),
            member("gone", _string(None), STRING, omit=NULL),
            nested("meta", member("n", _number(7), NUMBER), member("x", _number(None), NUMBER)),
        )
    )
    assert json.loads(text) == {"id": value, "meta": {"n": 7, "x": None}}


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (None, None, {"tail": 1}),
        ("a", None, {"span": {"from": "a"}, "tail": 1}),
        (None, "b", {"span": {"to": "b"}, "tail": 1}),
        ("a", "b", {"span": {"from": "a", "to": "b"}, "tail": 1}),
    ],
)
def test_a_leading_member_that_may_be_left_out_never_leaves_a_stray_comma(first, second, expected):
    text = _selected(
        json_object(
            nested(
                "span",
                member("from", _string(first), STRING, omit=NULL),
                member("to", _string(second), STRING, omit=NULL),
                omit=EMPTY,
            ),
            member("tail", _number(1), NUMBER),
        )
    )
    assert json.loads(text) == expected
