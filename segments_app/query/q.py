"""The `q` filter language compiled to SQL: a query string into one WHERE condition over the
fields a listing exposes (parsing is query.qparse, the nodes query.qnodes)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from segments_app.query import jsonsql
from segments_app.query.errors import QueryError
from segments_app.query.fields import Field, FieldSet, Kind, UnknownField
from segments_app.query.literals import NUMBER, Literal, number_bind, to_bool, to_date, to_number
from segments_app.query.qnodes import Bound, Compound, Node, Op, Term
from segments_app.query.qparse import parse_q

__all__ = ["compile_q"]


def compile_q(text: str | None, fields: FieldSet) -> ColumnElement[bool] | None:
    """Translate `q` into a WHERE condition over `fields`; None when there is nothing to filter."""
    if text is None or not text.strip():
        return None
    conditions = [_condition(node, fields) for node in parse_q(text)]
    return conditions[0] if len(conditions) == 1 else sa.and_(*conditions)


def _condition(node: Node, fields: FieldSet) -> ColumnElement[bool]:
    if isinstance(node, Compound):
        parts = [_condition(part, fields) for part in node.parts]
        return sa.and_(*parts) if node.op == "AND" else sa.or_(*parts)
    try:
        field, subpath = fields.resolve(node.field)
    except UnknownField as exc:
        raise QueryError(
            f"unknown field '{node.field}'; known fields: {', '.join(exc.known)}", node.position
        ) from None
    return _BUILDERS[field.kind](field, subpath, node)


_COMPARE: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _string_match(expr: Any, term: Term) -> ColumnElement[bool]:
    """EQ, IN, COMPARE or REGEX on a text expression."""
    if term.op is Op.EQ:
        return expr == sa.literal(term.values[0].text, sa.String())
    if term.op is Op.IN:
        return expr.in_([sa.literal(value.text, sa.String()) for value in term.values])
    if term.op is Op.COMPARE:
        ordered = jsonsql.codepoint_order(expr)
        return sa.and_(
            *(_COMPARE[b.op](ordered, sa.literal(b.value.text, sa.String())) for b in term.bounds)
        )
    return expr.regexp_match(term.values[0].text)


def _string_field(field: Field, subpath: tuple[str, ...], term: Term) -> ColumnElement[bool]:
    expr = field.expr
    if term.op in (Op.NULL, Op.MISSING):
        return expr.is_(None)
    if term.op is Op.EXISTS:
        return sa.and_(expr.is_not(None), expr != "")
    return _string_match(expr, term)


def _localized_field(field: Field, subpath: tuple[str, ...], term: Term) -> ColumnElement[bool]:
    col = field.expr
    if not subpath:
        # a bare localized field matches when any one language does
        if term.op in (Op.NULL, Op.MISSING):
            return sa.not_(jsonsql.json_any_string(col))
        if term.op is Op.EXISTS:
            return jsonsql.json_any_string(col, lambda text: text != "")
        return jsonsql.json_any_string(col, lambda text: _string_match(text, term))
    if term.op in (Op.NULL, Op.MISSING):
        kind = jsonsql.json_type(col, subpath)
        return sa.or_(kind.is_(None), kind == "null")
    text = jsonsql.json_text(col, subpath)
    if term.op is Op.EXISTS:
        return sa.and_(text.is_not(None), text != "")
    return _string_match(text, term)


def _json_field(field: Field, subpath: tuple[str, ...], term: Term) -> ColumnElement[bool]:
    col = field.expr
    if term.op in (Op.NULL, Op.MISSING, Op.EXISTS):
        kind = jsonsql.json_type(col, subpath)
        if term.op is Op.MISSING:
            return kind.is_(None)
        if term.op is Op.NULL:
            return sa.or_(kind.is_(None), kind == "null")
        return sa.and_(kind.is_not(None), kind != "null")
    if term.op is Op.EQ:
        return _json_equals(col, subpath, term.values[0])
    if term.op is Op.IN:
        return _json_in(col, subpath, term.values)
    if term.op is Op.COMPARE:
        return sa.and_(*(_json_compare(col, subpath, bound) for bound in term.bounds))
    return jsonsql.json_text(col, subpath).regexp_match(term.values[0].text)


def _json_number(value: Literal) -> int | float | None:
    """The number an unquoted literal stands for inside JSON, if it looks like one."""
    if value.quoted or not NUMBER.fullmatch(value.text):
        return None
    return to_number(value)


def _json_equals(col: Any, path: tuple[str, ...], value: Literal) -> ColumnElement[bool]:
    return _json_in(col, path, (value,))


def _json_in(col: Any, path: tuple[str, ...], values: tuple[Literal, ...]) -> ColumnElement[bool]:
    """The value at `path` equals one of `values`, each read as a number, a boolean or text.

    One IN list per JSON type rather than an OR per value: SQLite nests an OR of a thousand
    comparisons deeper than its parser allows.
    """
    numbers: list[Any] = []
    booleans: list[Any] = []
    texts: list[Any] = []
    for value in values:
        number = _json_number(value)
        if number is not None:
            numbers.append(number_bind(number))
        elif not value.quoted and value.text in ("true", "false"):
            booleans.append(sa.literal(value.text == "true", sa.Boolean()))
        else:
            texts.append(sa.literal(value.text, sa.String()))
    parts = [
        expr == binds[0] if len(binds) == 1 else expr.in_(binds)
        for expr, binds in (
            (jsonsql.json_number(col, path), numbers),
            (jsonsql.json_bool(col, path), booleans),
            (jsonsql.json_text(col, path), texts),
        )
        if binds
    ]
    return parts[0] if len(parts) == 1 else sa.or_(*parts)


def _json_compare(col: Any, path: tuple[str, ...], bound: Bound) -> ColumnElement[bool]:
    number = _json_number(bound.value)
    if number is not None:
        return _COMPARE[bound.op](jsonsql.json_number(col, path), number_bind(number))
    ordered = jsonsql.codepoint_order(jsonsql.json_text(col, path))
    return _COMPARE[bound.op](ordered, sa.literal(bound.value.text, sa.String()))


def _scalar_field(field: Field, subpath: tuple[str, ...], term: Term) -> ColumnElement[bool]:
    """NUMBER, BOOLEAN and DATE columns: values must parse as the column's type."""
    expr = field.expr
    if term.op in (Op.NULL, Op.MISSING):
        return expr.is_(None)
    if term.op is Op.EXISTS:
        return expr.is_not(None)
    if term.op is Op.REGEX or (term.op is Op.COMPARE and field.kind is Kind.BOOLEAN):
        what = "a regular expression" if term.op is Op.REGEX else "a comparison"
        raise QueryError(
            f"{what} cannot be used on the {field.kind} field '{term.field}'", term.position
        )
    bind = _binder(field)
    if term.op is Op.EQ:
        return expr == bind(term.values[0])
    if term.op is Op.IN:
        return expr.in_([bind(value) for value in term.values])
    return sa.and_(*(_COMPARE[b.op](expr, bind(b.value)) for b in term.bounds))


def _binder(field: Field) -> Callable[[Literal], Any]:
    if field.kind is Kind.NUMBER:
        return lambda value: number_bind(to_number(value))
    if field.kind is Kind.BOOLEAN:
        return lambda value: sa.literal(to_bool(value), sa.Boolean())
    return lambda value: sa.literal(to_date(value), field.expr.type)


_BUILDERS: dict[Kind, Callable[[Field, tuple[str, ...], Term], ColumnElement[bool]]] = {
    Kind.STRING: _string_field,
    Kind.LOCALIZED: _localized_field,
    Kind.JSON: _json_field,
    Kind.NUMBER: _scalar_field,
    Kind.BOOLEAN: _scalar_field,
    Kind.DATE: _scalar_field,
}
