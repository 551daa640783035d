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
    _traverse_internals = [
        ("col", InternalTraversal.dp_clauseelement),
        ("path", InternalTraversal.dp_string_list),
    ]
    inherit_cache = True

    def __init__(self, col: Any, path: Sequence[str]):
        self.col = _expression(col)
        self.path = tuple(path)

    @property
    def _from_objects(self) -> list[Any]:
        return self.col._from_objects


class _JsonType(_AtPath):
    inherit_cache = True
    type = sa.String()


class _JsonText(_AtPath):
    inherit_cache = True
    type = sa.String()


class _JsonNumber(_AtPath):
    inherit_cache = True
    type = sa.Float()


class _JsonBool(_AtPath):
    inherit_cache = True
    type = sa.Boolean()


class _JsonSortKey(_AtPath):
    inherit_cache = True
    type = sa.String()


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
    return _JsonType(col, path)


def json_text(col: Any, path: Sequence[str]) -> ColumnElement[str]:
    """The text of the value at `path` when it is a JSON string, else NULL."""
    return _JsonText(col, path)


def json_number(col: Any, path: Sequence[str]) -> ColumnElement[float]:
    """The value at `path` when it is a JSON number, else NULL."""
    return _JsonNumber(col, path)


def json_bool(col: Any, path: Sequence[str]) -> ColumnElement[bool]:
    """The value at `path` when it is a JSON boolean, else NULL."""
    return _JsonBool(col, path)


def json_sort_key(col: Any, path: Sequence[str]) -> ColumnElement[str]:
    """A scalar for ORDER BY: the value at `path` (text on PostgreSQL, native on SQLite)."""
    return _JsonSortKey(col, path)


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


@compiles(_JsonType, "sqlite")
def _sqlite_json_type(element: _JsonType, compiler: SQLCompiler, **kw: Any) -> str:
    type_sql, _ = _sqlite_type_and_value(element, compiler, **kw)
    return (
        f"(CASE {type_sql} WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number'"
        " WHEN 'real' THEN 'number' WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean'"
        " WHEN 'null' THEN 'null' WHEN 'array' THEN 'array' WHEN 'object' THEN 'object' END)"
    )


@compiles(_JsonText, "sqlite")
def _sqlite_json_text(element: _JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    type_sql, value_sql = _sqlite_type_and_value(element, compiler, **kw)
    return f"(CASE WHEN {type_sql} = 'text' THEN {value_sql} END)"


@compiles(_JsonNumber, "sqlite")
def _sqlite_json_number(element: _JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    type_sql, value_sql = _sqlite_type_and_value(element, compiler, **kw)
    return f"(CASE WHEN {type_sql} IN ('integer', 'real') THEN {value_sql} END)"


@compiles(_JsonBool, "sqlite")
def _sqlite_json_bool(element: _JsonBool, compiler: SQLCompiler, **kw: Any) -> str:
    type_sql, _ = _sqlite_type_and_value(element, compiler, **kw)
    return f"(CASE {type_sql} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"


@compiles(_JsonSortKey, "sqlite")
def _sqlite_json_sort_key(element: _JsonSortKey, compiler: SQLCompiler, **kw: Any) -> str:
    _, value_sql = _sqlite_type_and_value(element, compiler, **kw)
    return value_sql


@compiles(_EachText, "sqlite")
def _sqlite_each_text(element: _EachText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{_EACH}.value"


@compiles(_AnyString, "sqlite")
def _sqlite_any_string(element: _AnyString, compiler: SQLCompiler, **kw: Any) -> str:
    col, again = compiler.process(element.col, **kw), compiler.process(element.col, **kw)
    where = compiler.process(element.where, **kw)
    return (
        f"(EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type({col}) = 'object' THEN {again} END)"
        f" AS {_EACH} WHERE {_EACH}.type = 'text' AND ({where})))"
    )


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


def _pg_scalar(
    element: _AtPath, compiler: SQLCompiler, json_kind: str, sql_type: str, **kw: Any
) -> str:
    node = _pg_node(element, compiler, **kw)
    value = f"({_pg_node(element, compiler, **kw)} #>> '{{}}')"
    if sql_type != "TEXT":
        value = f"CAST({value} AS {sql_type})"
    return f"(CASE WHEN jsonb_typeof({node}) = '{json_kind}' THEN {value} END)"


@compiles(_JsonType, "postgresql")
def _pg_json_type(element: _JsonType, compiler: SQLCompiler, **kw: Any) -> str:
    return f"jsonb_typeof({_pg_node(element, compiler, **kw)})"


@compiles(_JsonText, "postgresql")
def _pg_json_text(element: _JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    return _pg_scalar(element, compiler, "string", "TEXT", **kw)


@compiles(_JsonNumber, "postgresql")
def _pg_json_number(element: _JsonNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return _pg_scalar(element, compiler, "number", "NUMERIC", **kw)


@compiles(_JsonBool, "postgresql")
def _pg_json_bool(element: _JsonBool, compiler: SQLCompiler, **kw: Any) -> str:
    return _pg_scalar(element, compiler, "boolean", "BOOLEAN", **kw)


@compiles(_JsonSortKey, "postgresql")
def _pg_json_sort_key(element: _JsonSortKey, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_pg_node(element, compiler, **kw)} #>> '{{}}')"


@compiles(_EachText, "postgresql")
def _pg_each_text(element: _EachText, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({_EACH}.value #>> '{{}}')"


@compiles(_AnyString, "postgresql")
def _pg_any_string(element: _AnyString, compiler: SQLCompiler, **kw: Any) -> str:
    col, again = compiler.process(element.col, **kw), compiler.process(element.col, **kw)
    where = compiler.process(element.where, **kw)
    # jsonb_each raises on non-objects, so anything else becomes NULL, which yields no rows
    return (
        f"(EXISTS (SELECT 1 FROM jsonb_each(CASE WHEN jsonb_typeof({col}) = 'object'"
        f" THEN {again} END) AS {_EACH} WHERE jsonb_typeof({_EACH}.value) = 'string'"
        f" AND ({where})))"
    )


@compiles(_Codepoint, "postgresql")
def _pg_codepoint(element: _Codepoint, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.expr, **kw)} COLLATE "C")'
