"""A rule written in the API's `q` language (query.qparse), as a rule tree.

`q` terms map onto conditions over the same field names: `field:value` equals (a tag: contains),
`field:(a,b)` in, `field:>5` and ranges gt/gte/lt/lte or between (dates: after/before), `~regex`
matches, `missing` and `null` missing, `exists` exists; `compoundLogicalQuery:((..) OR (..))`
and whitespace give any and all groups. The rule form's own `AND` and `OR` between terms are
accepted too: a text that does not parse as `q` is read again as the inside of a
compoundLogicalQuery. `q` has no negation, no inSegment and no relative dates; rules do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from segments_app.errors import ValidationFailed
from segments_app.query.errors import QueryError
from segments_app.query.literals import Literal, to_bool, to_number
from segments_app.query.qnodes import Bound, Compound, Node, Op, Term
from segments_app.query.qparse import COMPOUND_FIELD, parse_q

__all__ = ["rule_from_q"]

_WRAP = f"{COMPOUND_FIELD}:("
_NUMBER_OPS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def rule_from_q(text: object, type_of: Callable[[str], str | None], path: str) -> dict:
    """The rule tree `text` stands for; `type_of` gives a field's type (None: unknown field).
    Raises ValidationFailed at `path` saying where the text goes wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed.field(path, "q is a non-empty query string", "type")
    shift = 0
    try:
        nodes = parse_q(text)
    except QueryError as first:
        try:
            nodes, shift = parse_q(f"{_WRAP}{text})"), len(_WRAP)
        except QueryError:
            raise ValidationFailed.field(path, f"q {first.message}") from None
    try:
        parts = [_node(node, type_of) for node in nodes]
    except QueryError as exc:
        where = max(exc.position - shift, 0)
        raise ValidationFailed.field(path, f"q at position {where}: {exc.detail}") from None
    return parts[0] if len(parts) == 1 else {"all": parts}


def _node(node: Node, type_of: Callable[[str], str | None]) -> dict:
    if isinstance(node, Compound):
        return {"all" if node.op == "AND" else "any": [_node(p, type_of) for p in node.parts]}
    kind = type_of(node.field)
    if kind is None:
        raise QueryError(f"unknown field '{node.field}'", node.position)
    return _term(node, kind)


def _condition(field: str, op: str, value: Any = None) -> dict:
    return (
        {"field": field, "op": op} if value is None else {"field": field, "op": op, "value": value}
    )


def _term(term: Term, kind: str) -> dict:
    field = term.field
    if term.op in (Op.NULL, Op.MISSING):
        return _condition(field, "missing")
    if term.op is Op.EXISTS:
        return _condition(field, "exists")
    if term.op is Op.REGEX:
        if kind != "string":
            raise QueryError(
                f"a regular expression needs a text field; {field} is {kind}", term.position
            )
        return _condition(field, "matches", term.values[0].text)
    if term.op is Op.EQ:
        op = "contains" if kind == "tags" else "equals"
        return _condition(field, op, _value(term.values[0], kind))
    if term.op is Op.IN:
        if kind == "boolean":
            raise QueryError(
                f"a list of values cannot be used on the boolean field {field}", term.position
            )
        return _condition(field, "in", [_value(value, kind) for value in term.values])
    return _compare(field, kind, term.bounds, term.position)


def _value(literal: Literal, kind: str) -> Any:
    if kind == "number":
        return to_number(literal)
    if kind == "boolean":
        return to_bool(literal)
    return literal.text


def _compare(field: str, kind: str, bounds: tuple[Bound, ...], position: int) -> dict:
    if kind not in ("number", "date", "datetime"):
        raise QueryError(f"{field} is {kind}; only numbers and dates compare in rules", position)
    ops = tuple(bound.op for bound in bounds)
    values = [_value(bound.value, kind) for bound in bounds]
    if len(bounds) == 2 and set(ops) == {">=", "<="}:
        low, high = values if ops[0] == ">=" else values[::-1]
        return _condition(field, "between", [low, high])
    parts = [_bound(field, kind, op, value) for op, value in zip(ops, values, strict=True)]
    return parts[0] if len(parts) == 1 else {"all": parts}


def _bound(field: str, kind: str, op: str, value: Any) -> dict:
    if kind == "number":
        return _condition(field, _NUMBER_OPS[op], value)
    strict = _condition(field, "after" if op.startswith(">") else "before", value)
    if len(op) == 1:
        return strict
    return {"any": [strict, _condition(field, "equals", value)]}
