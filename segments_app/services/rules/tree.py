"""A segment's rule as a JSON tree: checked against the tenant's attribute types and segments,
and brought into canonical form (the form sql.py and pyeval.py read).

    rule      := group | condition | {"not": rule} | {"inSegment": "<segment id>"}
    group     := {"all": [rule, ...]} | {"any": [rule, ...]}
    condition := {"field": F, "op": OP, "value": V}        (no value for exists/missing)
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from segments_app.errors import ValidationFailed
from segments_app.limits import (
    RULE_MAX_BYTES,
    RULE_MAX_CONDITIONS,
    RULE_MAX_DAYS,
    RULE_MAX_DEPTH,
    RULE_MAX_VALUES,
    RULE_VALUE_MAX_LENGTH,
)
from segments_app.query.errors import QueryError
from segments_app.query.regex import check_pattern

from .fields import (
    ALL_OPERATORS,
    CONDITION_KEYS,
    GROUP_KEYS,
    LISTS,
    NO_VALUE,
    OPERATORS,
    RELATIVE,
    AttributeTypes,
    FieldRef,
    canonical_moment,
    field_ref,
    field_type,
    operators_of,
    shown,
    unknown_field,
)
from .qrule import rule_from_q

__all__ = [
    "OPERATORS",
    "AttributeTypes",
    "CheckedRule",
    "FieldRef",
    "check_rule",
    "dependency_order",
    "field_ref",
]


@dataclass(frozen=True)
class CheckedRule:
    """A rule that passed check_rule: its canonical tree and what it depends on."""

    tree: dict
    segments: frozenset[str]
    relative: bool
    fields: frozenset[str]


def check_rule(
    body: object, types: AttributeTypes, known_segments: Collection[str], path: str = "rule"
) -> CheckedRule:
    """`body` checked and made canonical; raises ValidationFailed with one detail per problem."""
    try:
        size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    except (TypeError, ValueError, RecursionError):
        raise ValidationFailed.field(path, "the rule is not a JSON document", "type") from None
    if size > RULE_MAX_BYTES:
        raise ValidationFailed.field(
            path,
            f"the rule is {size} bytes as JSON; at most {RULE_MAX_BYTES} are allowed",
            "bounds",
        )
    q_path = None
    if isinstance(body, dict) and "q" in body:
        q_path = f"{path}.q"
        if len(body) > 1:
            unknown = ", ".join(key for key in body if key != "q")
            raise ValidationFailed.field(path, f"a rule in q has no other keys ({unknown})")
        body = rule_from_q(body["q"], lambda name: field_type(name, types), q_path)
    checker = _Checker(types, known_segments)
    tree = checker.node(body, path, 0)
    if q_path is not None:
        # the tree was made from q: its paths mean nothing to the client, the text does
        for detail in checker.details:
            detail["field"] = q_path
    if checker.conditions > RULE_MAX_CONDITIONS:
        checker.problem(
            path,
            "bounds",
            f"the rule has {checker.conditions} conditions; at most {RULE_MAX_CONDITIONS}"
            " are allowed",
        )
    if checker.details or tree is None:
        raise ValidationFailed(checker.details, "The rule is not valid.")
    return CheckedRule(
        tree,
        frozenset(checker.segments),
        checker.relative,
        frozenset(checker.fields),
    )


class _Checker:
    def __init__(self, types: AttributeTypes, known_segments: Collection[str]):
        self.types = types
        self.known_segments = known_segments
        self.details: list[dict[str, str]] = []
        self.segments: set[str] = set()
        self.fields: set[str] = set()
        self.relative = False
        self.conditions = 0

    def problem(self, field: str, type_: str, message: str) -> None:
        self.details.append({"field": field, "type": type_, "message": message})

    def node(self, body: object, path: str, depth: int) -> dict | None:
        if not isinstance(body, dict):
            self.problem(
                path,
                "type",
                "a rule is an object: a group (all, any), not, inSegment, or a condition"
                " (field, op, value)",
            )
            return None
        kinds = [key for key in GROUP_KEYS if key in body]
        if len(kinds) > 1:
            self.problem(path, "invalid", f"a rule has one of {', '.join(kinds)}, not several")
            return None
        if not kinds:
            return self.condition(body, path)
        kind = kinds[0]
        self.unknown_keys(body, path, (kind,), f"a rule with '{kind}'")
        if kind == "inSegment":
            return self.in_segment(body[kind], f"{path}.inSegment")
        if depth >= RULE_MAX_DEPTH:
            self.problem(
                path, "bounds", f"groups (all, any, not) nest at most {RULE_MAX_DEPTH} deep"
            )
            return None
        if kind == "not":
            inner = self.node(body["not"], f"{path}.not", depth + 1)
            return None if inner is None else {"not": inner}
        members = body[kind]
        if not isinstance(members, list):
            self.problem(f"{path}.{kind}", "type", f"'{kind}' is a list of rules")
            return None
        if not members:
            self.problem(f"{path}.{kind}", "invalid", f"an '{kind}' group needs at least one rule")
            return None
        checked = [
            self.node(member, f"{path}.{kind}[{index}]", depth + 1)
            for index, member in enumerate(members)
        ]
        return {kind: checked}

    def unknown_keys(self, body: dict, path: str, allowed: tuple[str, ...], what: str) -> None:
        for key in body:
            if key not in allowed:
                self.problem(
                    f"{path}.{key}",
                    "unknown",
                    f"unknown key '{key}' in {what}, which has {', '.join(allowed)}",
                )

    def in_segment(self, value: object, path: str) -> dict | None:
        self.conditions += 1
        if not isinstance(value, str) or not value:
            self.problem(path, "type", "inSegment names a segment by its id (a string)")
            return None
        if value not in self.known_segments:
            self.problem(path, "unknown", f"there is no segment '{value}'")
            return None
        self.segments.add(value)
        return {"inSegment": value}

    def condition(self, body: dict, path: str) -> dict | None:
        self.conditions += 1
        self.unknown_keys(body, path, CONDITION_KEYS, "a condition")
        field, op = body.get("field"), body.get("op")
        kind = None
        if "field" not in body:
            self.problem(f"{path}.field", "required", "a condition needs a field")
        elif not isinstance(field, str):
            self.problem(f"{path}.field", "type", "the field is a string such as 'attributes.tier'")
        else:
            kind = field_type(field, self.types)
            if kind is None:
                self.problem(f"{path}.field", "unknown", unknown_field(field, self.types))
        if "op" not in body:
            self.problem(f"{path}.op", "required", "a condition needs an operator (op)")
            return None
        if not isinstance(op, str) or op not in ALL_OPERATORS:
            self.problem(f"{path}.op", "unknown", f"unknown operator {op!r}; {operators_of(kind)}")
            return None
        if kind is None or not isinstance(field, str):
            return None
        if op not in OPERATORS[kind]:
            self.problem(
                f"{path}.op",
                "invalid",
                f"'{op}' cannot be used on the {kind} field '{field}'; {operators_of(kind)}",
            )
            return None
        self.fields.add(field)
        if op in NO_VALUE:
            if "value" in body:
                self.problem(f"{path}.value", "invalid", f"'{op}' takes no value")
                return None
            return {"field": field, "op": op}
        if "value" not in body:
            self.problem(f"{path}.value", "required", f"'{op}' needs a value")
            return None
        value = self.value(body["value"], f"{path}.value", field, kind, op)
        if value is _BAD:
            return None
        self.relative = self.relative or op in RELATIVE
        return {"field": field, "op": op, "value": value}

    def value(self, value: Any, path: str, field: str, kind: str, op: str) -> Any:
        if op in RELATIVE:
            if isinstance(value, bool) or not isinstance(value, int):
                return self.bad(path, "type", f"'{op}' takes a whole number of days")
            if not 1 <= value <= RULE_MAX_DAYS:
                return self.bad(path, "bounds", f"the days are between 1 and {RULE_MAX_DAYS}")
            return value
        if op in LISTS:
            if not isinstance(value, list):
                return self.bad(path, "type", f"'{op}' takes a list of values")
            if not value or len(value) > RULE_MAX_VALUES:
                return self.bad(
                    path, "bounds", f"'{op}' takes between 1 and {RULE_MAX_VALUES} values"
                )
            items = [
                self.scalar(item, f"{path}[{index}]", field, kind)
                for index, item in enumerate(value)
            ]
            if any(item is _BAD for item in items):
                return _BAD
            # once each, in the order given (no booleans here, so 1 and True never meet)
            return list(dict.fromkeys(items))
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                return self.bad(path, "type", "'between' takes a list of two values [low, high]")
            low = self.scalar(value[0], f"{path}[0]", field, kind)
            high = self.scalar(value[1], f"{path}[1]", field, kind)
            if low is _BAD or high is _BAD:
                return _BAD
            if low > high:
                return self.bad(path, "invalid", "the low end of 'between' is above the high end")
            return [low, high]
        if op == "matches":
            if not isinstance(value, str):
                return self.bad(path, "type", "'matches' takes a regular expression (a string)")
            try:
                check_pattern(value, 0)
            except QueryError as exc:
                return self.bad(
                    path, "bounds" if "at most" in exc.detail else "invalid", exc.detail
                )
            return value
        return self.scalar(value, path, field, "string" if kind == "tags" else kind)

    def scalar(self, value: Any, path: str, field: str, kind: str) -> Any:
        if kind in ("string", "tags"):
            if not isinstance(value, str):
                return self.bad(path, "type", f"{field} holds text; {shown(value)} is not text")
            if len(value) > RULE_VALUE_MAX_LENGTH:
                return self.bad(
                    path, "bounds", f"a text value has at most {RULE_VALUE_MAX_LENGTH} characters"
                )
            return value.lower() if field == "email" else value
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return self.bad(path, "type", f"{field} holds numbers; {shown(value)} is not one")
            if not math.isfinite(value):
                return self.bad(path, "invalid", "a number must be finite")
            # beyond 64 bits an integer cannot be bound as one; JSON compares it as a float anyway
            return float(value) if isinstance(value, int) and abs(value) >= 2**63 else value
        if kind == "boolean":
            if not isinstance(value, bool):
                return self.bad(path, "type", f"{field} holds true or false, not {shown(value)}")
            return value
        canonical = canonical_moment(value, kind)
        if canonical is None:
            example = "2026-11-02" if kind == "date" else "2026-11-02T10:00:00Z or 2026-11-02"
            return self.bad(
                path, "invalid", f"{field} holds {kind}s; {shown(value)} is not one ({example})"
            )
        return canonical

    def bad(self, path: str, type_: str, message: str) -> Any:
        self.problem(path, type_, message)
        return _BAD


_BAD: Any = object()


def dependency_order(rules: Mapping[str, frozenset[str]]) -> list[str]:
    """The ids of `rules` (segment id to the ids its rule refers to), each after the rules it
    refers to; raises ValidationFailed (field "rule", type "cycle") naming a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}
    for start in sorted(rules):
        if start in state:
            continue
        # iterative depth-first search, so a long chain of rules cannot exhaust the stack
        stack: list[tuple[str, list[str]]] = [(start, sorted(rules[start] & rules.keys()))]
        state[start] = "open"
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                state[node] = "done"
                order.append(node)
                continue
            child = pending.pop(0)
            if state.get(child) == "open":
                cycle = [entry for entry, _ in stack]
                cycle = [*cycle[cycle.index(child) :], child]
                raise ValidationFailed.field(
                    "rule",
                    "the rules refer to each other in a cycle: " + " -> ".join(cycle),
                    "cycle",
                )
            if child not in state:
                state[child] = "open"
                stack.append((child, sorted(rules[child] & rules.keys())))
    return order


def stored_references(tree: Any) -> set[str]:
    """The segment ids a stored (canonical) rule tree names with inSegment."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("inSegment"), str):
                found.add(node["inSegment"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def checked_stored(stored: Any, types: AttributeTypes) -> CheckedRule:
    """A stored rule checked against `types`, once per process for each (rule, types): a
    directory batch or a member write loads every rule of its tenant, and checking 200 rules
    again each time took longer than reading them."""
    return _checked(json.dumps(stored, sort_keys=True, separators=(",", ":")), types.key)


@lru_cache(maxsize=4096)
def _checked(stored: str, types: tuple) -> CheckedRule:
    rule = json.loads(stored)
    # the segments it names are known even if deleted since (they then have no members), so
    # the check does not depend on which segments exist
    customer, legal_entity = types
    return check_rule(
        rule, AttributeTypes(dict(customer), dict(legal_entity)), stored_references(rule)
    )
