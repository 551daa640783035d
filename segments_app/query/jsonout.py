"""API documents written by the database: a row comes back as the JSON text of its document.

A page of 60 segments rendered in Python costs more than the rest of the request together: JSON
columns decoded into dicts, timestamps parsed and formatted, then everything encoded again. Here
the database writes each document's text in the query itself (SQLite and PostgreSQL alike) and
the API joins the texts into its answer; only a request that picks languages or fields decodes
them.

A document is described once, as members:

    SEGMENT = json_object(
        member("id", Segment.id, STRING),
        member("description", Segment.description, JSON, omit=EMPTY),
        nested("validity", member("from", Segment.valid_from, TIMESTAMP, omit=NULL), omit=EMPTY),
    )

Each member compiles to the text `,"key":value` or, when omitted, to the empty string. An
object whose first member is always there starts with it (`{"id":...`); otherwise its members
are joined and the leading comma cut off. A member that is always there reads `null` when its
column is NULL. PostgreSQL joins the pieces with concat(), SQLite with ||. Timestamps come out
in the contract's format, declared with its Python twin in models.types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from ..models.types import TIMESTAMP_JSON_SQL
from .jsonsql import _expression

__all__ = [
    "EMPTY",
    "JSON",
    "NULL",
    "NUMBER",
    "STRING",
    "TIMESTAMP",
    "json_object",
    "member",
    "nested",
]

# kinds of value
STRING = "string"
NUMBER = "number"
JSON = "json"  # a JSON column, copied as it is
TIMESTAMP = "timestamp"
# when a member is left out
NULL = "null"  # the value is SQL NULL
EMPTY = "empty"  # NULL, or an empty object


@dataclass(frozen=True)
class Member:
    key: str
    value: Any
    kind: str
    omit: str | None = None


@dataclass(frozen=True)
class Nested:
    key: str
    members: tuple[Member | Nested, ...]
    omit: str | None = None


def member(key: str, value: Any, kind: str, omit: str | None = None) -> Member:
    if kind not in (STRING, NUMBER, JSON, TIMESTAMP) or omit not in (None, NULL, EMPTY):
        raise ValueError(f"member {key!r}: unknown kind {kind!r} or omit {omit!r}")
    if omit == EMPTY and kind != JSON:
        raise ValueError(f"member {key!r}: only a JSON value can be an empty object")
    return Member(key, _expression(value), kind, omit)


def nested(key: str, *members: Member | Nested, omit: str | None = None) -> Nested:
    """An object member; with omit=EMPTY it is left out when none of its members is present."""
    if omit not in (None, EMPTY):
        raise ValueError(f"object {key!r}: an object is only ever left out when empty")
    return Nested(key, members, omit)


class _ObjectText(ColumnElement[str]):
    """SQL: the JSON text of an object made of `members`."""

    # the statement cache keys on the columns read and on the object's shape
    _traverse_internals = [
        ("columns", InternalTraversal.dp_clauseelement_tuple),
        ("shape", InternalTraversal.dp_string),
    ]
    inherit_cache = True
    type = sa.Text()

    def __init__(self, members: tuple[Member | Nested, ...]):
        self.members = members
        self.columns = tuple(_values(members))
        self.shape = repr(_shape(members))

    @property
    def _from_objects(self) -> list[Any]:
        found = (table for column in self.columns for table in column._from_objects)
        return list(dict.fromkeys(found))


def json_object(*members: Member | Nested) -> ColumnElement[str]:
    """A text column: each row's object as JSON text, members in the order given."""
    return _ObjectText(members)


def _values(members) -> list:
    found = []
    for item in members:
        if isinstance(item, Nested):
            found.extend(_values(item.members))
        else:
            found.append(item.value)
    return found


def _shape(members) -> tuple:
    return tuple(
        (item.key, _shape(item.members), item.omit)
        if isinstance(item, Nested)
        else (item.key, item.kind, item.omit)
        for item in members
    )


def _quote(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


class _Literal(str):
    """A piece of a document's text that is known when the statement is built."""


def _run_pieces(members, compiler: SQLCompiler, dialect: _Dialect, **kw: Any) -> list[str]:
    """Pieces (SQL text expressions and _Literals) whose concatenation is the members'
    `,"key":value` run: empty when every member is left out."""
    pieces: list[str] = []
    for item in members:
        pieces += _member_pieces(item, compiler, dialect, **kw)
    return pieces


def _member_pieces(
    item, compiler: SQLCompiler, dialect: _Dialect, first: bool = False, **kw: Any
) -> list[str]:
    label = _Literal(("" if first else ",") + json.dumps(item.key, ensure_ascii=False) + ":")
    if isinstance(item, Nested):
        value = _object_pieces(item.members, compiler, dialect, **kw)
    else:
        text = dialect.value(compiler.process(item.value, **kw), item.kind)
        # a member that is always there reads null when its column is NULL
        value = [f"coalesce({text}, 'null')" if item.omit is None else text]
    absent = _absent_sql(item, compiler, dialect, **kw)
    if absent is None:
        return [label, *value]
    return [f"(CASE WHEN {absent} THEN '' ELSE {dialect.concat([label, *value])} END)"]


def _always_there(item) -> bool:
    """Whether `item` is in every row's object: it is never left out, or (an object) one of its
    members is always there."""
    return item.omit is None or (
        isinstance(item, Nested) and any(_always_there(inner) for inner in item.members)
    )


def _object_pieces(members, compiler: SQLCompiler, dialect: _Dialect, **kw: Any) -> list[str]:
    """Pieces of an object's JSON text. When its first member is always there, that member
    opens it; otherwise the run's leading comma is cut off."""
    if members and _always_there(members[0]):
        head = _member_pieces(members[0], compiler, dialect, first=True, **kw)
        rest = _run_pieces(members[1:], compiler, dialect, **kw)
        return [_Literal("{"), *head, *rest, _Literal("}")]
    run = dialect.concat(_run_pieces(members, compiler, dialect, **kw))
    return [_Literal("{"), f"substr({run}, 2)", _Literal("}")]


def _merged(pieces: list[str]) -> list[str]:
    """Adjacent literals joined, and rendered as SQL string literals."""
    out: list[str] = []
    text: str | None = None
    for piece in pieces:
        if isinstance(piece, _Literal):
            text = piece if text is None else text + piece
            continue
        if text is not None:
            out.append(_quote(text))
            text = None
        out.append(piece)
    if text is not None:
        out.append(_quote(text))
    return out


def _absent_sql(item, compiler: SQLCompiler, dialect: _Dialect, **kw: Any) -> str | None:
    """SQL that is true when `item` is left out; None when it is always there."""
    if _always_there(item):
        return None
    if isinstance(item, Nested):
        # an object left out when empty: when every one of its members is left out
        parts = [_absent_sql(inner, compiler, dialect, **kw) for inner in item.members]
        # no member is always there (else the object would be), so each part is SQL
        return "(" + " AND ".join(cast(list[str], parts)) + ")"
    column = compiler.process(item.value, **kw)
    if item.omit == NULL:
        return f"({column} IS NULL)"
    return f"({column} IS NULL OR {dialect.empty(column)})"


class _Dialect:
    def value(self, column: str, kind: str) -> str:
        raise NotImplementedError

    def concat(self, pieces: list[str]) -> str:
        """SQL of the pieces' texts one after another ('' for none)."""
        raise NotImplementedError

    def empty(self, column: str) -> str:
        raise NotImplementedError


class _SQLite(_Dialect):
    def concat(self, pieces: list[str]) -> str:
        parts = _merged(pieces)
        return "(" + " || ".join(parts) + ")" if parts else "''"

    def value(self, column: str, kind: str) -> str:
        if kind == STRING:
            return f"json_quote({column})"
        if kind == NUMBER:
            return f"CAST({column} AS TEXT)"
        if kind == JSON:
            # the stored text is what SQLAlchemy's json.dumps wrote: valid JSON already (json()
            # would only take out the spaces, at a cost of a fifth of the whole document)
            return column
        return TIMESTAMP_JSON_SQL["sqlite"](column)

    def empty(self, column: str) -> str:
        return f"{column} = '{{}}'"


class _PostgreSQL(_Dialect):
    def concat(self, pieces: list[str]) -> str:
        # concat() copies each piece once; a chain of || copies the growing text at every step
        # (a third of the cost of a document). It takes at most 100 arguments.
        parts = _merged(pieces)
        if not parts:
            return "''"
        if len(parts) == 1:
            return parts[0]
        while len(parts) > 100:
            parts = [f"concat({', '.join(parts[:100])})", *parts[100:]]
        return f"concat({', '.join(parts)})"

    def value(self, column: str, kind: str) -> str:
        if kind == STRING:
            return f"CAST(to_json({column}) AS TEXT)"
        if kind in (NUMBER, JSON):
            return f"CAST({column} AS TEXT)"
        return TIMESTAMP_JSON_SQL["postgresql"](column)

    def empty(self, column: str) -> str:
        return f"{column} = CAST('{{}}' AS JSONB)"


def _register(name: str, dialect: _Dialect) -> None:
    """Compile objects for the SQLAlchemy dialect `name`."""

    @compiles(_ObjectText, name)
    def _object(element: _ObjectText, compiler: SQLCompiler, **kw: Any) -> str:
        return dialect.concat(_object_pieces(element.members, compiler, dialect, **kw))


_register("sqlite", _SQLite())
_register("postgresql", _PostgreSQL())
