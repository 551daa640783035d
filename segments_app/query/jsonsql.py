"""SQL that reads values inside JSON columns, compiled separately for SQLite and PostgreSQL.

A value is addressed by a path of object keys (never array indexes). Keys made of letters,
digits, `_` and `-` are written into the SQL as literals, so expression indexes can match;
any other key travels as a bound parameter.

SQLite 3.40 compares path labels against the raw, still-escaped key text and cannot express a
key containing `"`, so such paths are walked with `json_each`, whose `key` column is decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

__all__ = [
    "codepoint_order",
    "json_any_string",
    "json_bool",
    "json_number",
    "json_sort_key",
    "json_text",
    "json_type",
]

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
_EACH = "_q_each"


def _expression(col: Any) -> ColumnElement[Any]:
    """Accept ORM attributes as well as Core columns."""
    clause = getattr(col, "__clause_element__", None)
    return clause() if clause is not None else col


class _AtPath(ColumnElement[Any]):
    """The value at `path` inside `col`, read as `reading` says (a key of _READINGS)."""

    _traverse_internals = [
        ("col", InternalTraversal.dp_clauseelement),
        ("path", InternalTraversal.dp_string_list),
        ("reading", InternalTraversal.dp_string),
    ]
    inherit_cache = True

    def __init__(self, col: Any, path: Sequence[str], reading: str):
        self.col = _expression(col)
        self.path = tuple(path)
        self.reading = reading
        self.type = _READINGS[reading]

    @property
    def _from_objects(self) -> list[Any]:
        return self.col._from_objects


#: how a value at a path can be read, and the SQL type of what the reading yields
_READINGS: dict[str, sa.types.TypeEngine[Any]] = {
    "type": sa.String(),
    "text": sa.String(),
    "number": sa.Float(),
    "bool": sa.Boolean(),
    "sort_key": sa.String(),
}


class _EachText(ColumnElement[str]):
    """The text of the current member inside a `json_any_string` subquery."""

    _traverse_internals: list[Any] = []
    inherit_cache = True
    type = sa.String()


class _AnyString(ColumnElement[bool]):
    _traverse_internals = [
        ("col", InternalTraversal.dp_clauseelement),
        ("where", InternalTraversal.dp_clauseelement),
    ]
    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, col: Any, where: ColumnElement[bool]):
        self.col = _expression(col)
        self.where = where

    @property
    def _from_objects(self) -> list[Any]:
        return self.col._from_objects


class _Codepoint(ColumnElement[str]):
    _traverse_internals = [("expr", InternalTraversal.dp_clauseelement)]
    inherit_cache = True

    def __init__(self, expr: Any):
        self.expr = _expression(expr)
        self.type = self.expr.type

    @property
    def _from_objects(self) -> list[Any]:
        return self.expr._from_objects


def json_type(col: Any, path: Sequence[str]) -> ColumnElement[str]:
    """'null', 'boolean', 'number', 'string', 'array' or 'object'; SQL NULL when absent."""
    return _AtPath(col, path, "type")


def json_text(col: Any, path: Sequence[str]) -> ColumnElement[str]:
    """The text of the value at `path` when it is a JSON string, else NULL."""
    return _AtPath(col, path, "text")


def json_number(col: Any, path: Sequence[str]) -> ColumnElement[float]:
    """The value at `path` when it is a JSON number, else NULL."""
    return _AtPath(col, path, "number")


def json_bool(col: Any, path: Sequence[str]) -> ColumnElement[bool]:
    """The value at `path` when it is a JSON boolean, else NULL."""
    return _AtPath(col, path, "bool")


def json_sort_key(col: Any, path: Sequence[str]) -> ColumnElement[str]:
    """A scalar for ORDER BY: the value at `path` (text on PostgreSQL, native on SQLite)."""
    return _AtPath(col, path, "sort_key")


def json_any_string(
    col: Any, where: Callable[[ColumnElement[str]], ColumnElement[bool]] | None = None
) -> ColumnElement[bool]:
    """EXISTS a string member of the top-level object in `col` for which `where` holds.

    `where` receives the member's text; without it any string member will do. The condition
    may not itself contain another `json_any_string`.
    """
    condition = sa.true() if where is None else where(_EachText())
    return _AnyString(col, condition)


def codepoint_order(expr: Any) -> ColumnElement[str]:
    """`expr` compared by code point, as Python compares str, whatever the database collation."""
    return _Codepoint(expr)


def _bind(compiler: SQLCompiler, value: str, **kw: Any) -> str:
    return compiler.process(sa.literal(value, sa.String()), **kw)


def _any_string(
    element: _AnyString, compiler: SQLCompiler, each: str, typeof: str, is_text: str, **kw: Any
) -> str:
    """EXISTS over the members of the object in `element.col` (`each` the dialect's function
    that lists them, `typeof` the one that names a JSON type, `is_text` the test of a member)."""
    col, again = compiler.process(element.col, **kw), compiler.process(element.col, **kw)
    where = compiler.process(element.where, **kw)
    return (
        f"(EXISTS (SELECT 1 FROM {each}(CASE WHEN {typeof}({col}) = 'object' THEN {again} END)"
        f" AS {_EACH} WHERE {is_text} AND ({where})))"
    )


# SQLite


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "'$" + "".join(f'."{key}"' for key in path) + "'"


def _sqlite_member(compiler: SQLCompiler, parent: str, key: str, column: str, **kw: Any) -> str:
    key_sql = _bind(compiler, key, **kw)
    # array members have integer keys, which never equal a text key, so only objects match
    return f"(SELECT {column} FROM json_each({parent}) WHERE key = {key_sql})"


def _sqlite_type_and_value(element: _AtPath, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    """SQL for SQLite's json_type() and json_extract() of the value at the element's path."""
    path = element.path
    if all(_PLAIN_KEY.fullmatch(key) for key in path):
        target = _sqlite_path(path)
        return (
            f"json_type({compiler.process(element.col, **kw)}, {target})",
            f"json_extract({compiler.process(element.col, **kw)}, {target})",
        )

    def parent() -> str:
        node = compiler.process(element.col, **kw)
        for key in path[:-1]:
            node = f"(SELECT value FROM json_each({node}) WHERE key = {_bind(compiler, key, **kw)}"
            node += " AND type = 'object')"
        return node

    last = path[-1]
    return (
        _sqlite_member(compiler, parent(), last, "type", **kw),
        _sqlite_member(compiler, parent(), last, "value", **kw),
    )


#: SQLite: each reading from (json_type(), json_extract()) of the value
_SQLITE_READINGS: dict[str, Callable[[str, str], str]] = {
    "type": lambda type_sql, _: (
        f"(CASE {type_sql} WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number'"
        " WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean'"
        " WHEN 'null' THEN 'null' WHEN 'array' THEN 'array' WHEN 'object' THEN 'object' END)"
    ),
    "text": lambda type_sql, value_sql: f"(CASE WHEN {type_sql} = 'text' THEN {value_sql} END)",
    "number": lambda type_sql, value_sql: (
        f"(CASE WHEN {type_sql} IN ('integer', 'real') THEN {value_sql} END)"
    ),
    "bool": lambda type_sql, _: f"(CASE {type_sql} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)",
    "sort_key": lambda _, value_sql: value_sql,
}


@compiles(_AtPath, "sqlite")
def _sqlite_at_path(element: _AtPath, compiler: SQLCompiler, **kw: Any) -> str:
    return _SQLITE_READINGS[element.reading](*_sqlite_type_and_value(element, compiler, **kw))


@compiles(_EachText, "sqlite")
def _sqlite_each_text(element: _EachText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{_EACH}.value"


@compiles(_AnyString, "sqlite")
def _sqlite_any_string(element: _AnyString, compiler: SQLCompiler, **kw: Any) -> str:
    return _any_string(element, compiler, "json_each", "json_type", f"{_EACH}.type = 'text'", **kw)


@compiles(_Codepoint, "sqlite")
def _sqlite_codepoint(element: _Codepoint, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.expr, **kw)} COLLATE BINARY)"


# PostgreSQL (the column is jsonb)


def _pg_node(element: _AtPath, compiler: SQLCompiler, **kw: Any) -> str:
    # `->` with a text operand only ever reads object members, never array elements
    node = compiler.process(element.col, **kw)
    for key in element.path:
        if _PLAIN_KEY.fullmatch(key):
            node = f"({node} -> '{key}')"
        else:
            node = f"({node} -> CAST({_bind(compiler, key, **kw)} AS TEXT))"
    return node


#: PostgreSQL: the scalar readings, as (the jsonb type they take, the SQL type they yield)
_PG_SCALARS = {
    "text": ("string", "TEXT"),
    "number": ("number", "NUMERIC"),
    "bool": ("boolean", "BOOLEAN"),
}


@compiles(_AtPath, "postgresql")
def _pg_at_path(element: _AtPath, compiler: SQLCompiler, **kw: Any) -> str:
    node = _pg_node(element, compiler, **kw)
    if element.reading == "type":
        return f"jsonb_typeof({node})"
    if element.reading == "sort_key":
        return f"({node} #>> '{{}}')"
    json_kind, sql_type = _PG_SCALARS[element.reading]
    value = f"({_pg_node(element, compiler, **kw)} #>> '{{}}')"
    if sql_type != "TEXT":
        value = f"CAST({value} AS {sql_type})"
    return f"(CASE WHEN jsonb_typeof({node}) = '{json_kind}' THEN {value} END)"


@compiles(_EachText, "postgresql")
def _pg_each_text(element: _EachText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_EACH}.value #>> '{{}}')"


@compiles(_AnyString, "postgresql")
def _pg_any_string(element: _AnyString, compiler: SQLCompiler, **kw: Any) -> str:
    # jsonb_each raises on non-objects, so anything else becomes NULL, which yields no rows
    is_text = f"jsonb_typeof({_EACH}.value) = 'string'"
    return _any_string(element, compiler, "jsonb_each", "jsonb_typeof", is_text, **kw)


@compiles(_Codepoint, "postgresql")
def _pg_codepoint(element: _Codepoint, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.expr, **kw)} COLLATE "C")'
