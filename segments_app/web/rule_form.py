"""The rule editor's form model: a segment's rule as rows (field, operator, value) in nested
groups, as it travels through the form and back. The rule's meaning is checked by the service
(services.rules); this only turns the form's rows into the rule tree and the tree into rows,
and places the service's messages beside the rows they concern.

The form sends its nodes flat, in document order: `n-<i>-kind` (group or cond), `n-<i>-parent`
(the index of the group it belongs to; none for the outer group), a group's `n-<i>-mode`, a
row's `n-<i>-field`, `n-<i>-op`, `n-<i>-value` and `n-<i>-value2` (the upper end of between).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationFailed
from .local_time import form_zone, to_utc_input
from .rule_fields import DAYS, IN_SEGMENT, LISTS, MODES, NO_VALUE, Catalog, shown_value

#: the most nodes a form may send; the rule's own bounds (100 conditions) are the service's
NODES_MAX = 400
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


@dataclass
class Node:
    """One group or row of the editor; `index` and `path` are given when the form is laid out
    (document order; where the rule tree puts it, e.g. "rule.all[2]")."""

    kind: str
    mode: str = "all"
    field: str = ""
    op: str = ""
    value: str = ""
    value2: str = ""
    children: list[Node] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)
    index: int = 0
    path: str = "rule"
    #: the input the row's first error concerns (field, op or value), for aria-invalid
    bad: str = ""
    #: left out of a preview as not finished (a preview leaves its messages as they are)
    unfinished: bool = False

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


class RuleForm:
    """The editor's state: the outer group and what the form says about it."""

    def __init__(self, root: Node, catalog: Catalog):
        self.root = root
        self.catalog = catalog
        self.form_errors: list[str] = []
        #: the index of the input to focus after a re-render, and which of its inputs
        self.focus: tuple[int, str] | None = None
        #: rows left out of a preview because they are not finished
        self.unfinished = 0
        self.layout()

    @classmethod
    def blank(cls, catalog: Catalog) -> RuleForm:
        return cls(Node("group", children=[Node("cond")]), catalog)

    @classmethod
    def from_rule(cls, rule: object, catalog: Catalog) -> RuleForm:
        """Rows for a stored rule; a rule that is not a group is put in an "all" group."""
        node = _node_of(rule)
        if not node.is_group:
            node = Node("group", children=[node])
        return cls(node, catalog)

    @classmethod
    def from_request(cls, form: Mapping[str, str], catalog: Catalog) -> RuleForm:
        """The editor as the form sent it; nodes naming no group before them are dropped."""
        nodes: list[Node] = []
        for i in range(NODES_MAX):
            kind = form.get(f"n-{i}-kind")
            if kind not in ("group", "cond"):
                break
            node = Node(
                kind,
                mode=form.get(f"n-{i}-mode", "all") if kind == "group" else "all",
                field=form.get(f"n-{i}-field", "").strip(),
                op=form.get(f"n-{i}-op", "").strip(),
                value=form.get(f"n-{i}-value", "").strip(),
                value2=form.get(f"n-{i}-value2", "").strip(),
            )
            if node.mode not in MODES:
                node.mode = "all"
            parent = _int(form.get(f"n-{i}-parent"))
            if i == 0:
                if kind != "group":
                    node = Node("group", children=[node])
                nodes.append(node)
                continue
            if parent is None or not 0 <= parent < len(nodes) or not nodes[parent].is_group:
                nodes.append(Node("cond"))  # a placeholder keeps the indices; it is not shown
                continue
            nodes[parent].children.append(node)
            nodes.append(node)
        # date-times were typed in the browser's zone (static/js/local-time.js): held in UTC from
        # here on, as the page renders them; dates (no time) have no zone and stay as typed
        zone = form_zone(form)
        for node in nodes:
            if node.kind == "cond" and catalog.type_of(node.field) == "datetime":
                node.value, node.value2 = (
                    to_utc_input(text, zone) if _LOCAL_DATETIME.match(text) else text
                    for text in (node.value, node.value2)
                )
        root = nodes[0] if nodes else Node("group")
        made = cls(root, catalog)
        return made

    def layout(self) -> list[Node]:
        """Number the nodes in document order and give each its path in the rule tree; a row's
        operator falls back to its field's first one when the field does not offer it."""
        order: list[Node] = []

        def visit(node: Node, path: str) -> None:
            node.index = len(order)
            node.path = path
            order.append(node)
            if node.is_group:
                inner = {"all": "all", "any": "any", "none": "not.any", "notall": "not.all"}
                for n, child in enumerate(node.children):
                    visit(child, f"{path}.{inner[node.mode]}[{n}]")
            elif node.field:
                operators = self.catalog.operators(node.field)
                if node.op not in operators:
                    node.op = next(iter(operators))

        visit(self.root, "rule")
        self.nodes = order
        return order

    def node(self, index: int) -> Node | None:
        return self.nodes[index] if 0 <= index < len(self.nodes) else None

    def apply(self, action: str) -> bool:
        """Carry out an editing action ("add-cond:3", "add-group:3", "remove:5", or
        "refresh:4:field" when a row's field or operator changed); False when `action` is none
        of them (a preview or a save)."""
        verb, _, where = action.partition(":")
        where, _, part = where.partition(":")
        target = self.node(n) if (n := _int(where)) is not None else None
        if verb not in ("add-cond", "add-group", "remove", "refresh"):
            return False
        if target is None:
            return True
        if verb in ("add-cond", "add-group") and target.is_group:
            added = Node("cond") if verb == "add-cond" else Node("group", children=[Node("cond")])
            target.children.append(added)
            self.layout()
            focus = added if verb == "add-cond" else added.children[0]
            self.focus = (focus.index, "field")
        elif verb == "remove" and target is not self.root:
            parent = next(n for n in self.nodes if target in n.children)
            parent.children.remove(target)
            self.layout()
            self.focus = (parent.index, "mode")
        elif verb == "refresh":
            # the focus stays on the select that changed: arrow keys change a select's value
            # (and fire its change) one step at a time
            self.layout()
            self.focus = (target.index, part if part in ("field", "op") else "field")
        return True

    def rule(self, partial: bool = False) -> dict | None:
        """The rule tree the rows stand for (None: no row is finished). With `partial`, rows
        without a field and empty groups are left out (a preview while the marketer edits);
        otherwise they are errors beside their rows. Values the rows cannot hold (a number
        that is none) are errors beside their rows either way."""
        self.unfinished = 0
        tree = self._tree(self.root, partial)
        if tree is None and not partial and not self.root.errors:
            self.root.errors.append("Add at least one condition.")
        return tree

    @property
    def failed(self) -> bool:
        return bool(self.form_errors) or any(node.errors for node in self.nodes)

    def _tree(self, node: Node, partial: bool) -> dict | None:
        if not node.is_group:
            return self._condition(node, partial)
        parts = [tree for child in node.children if (tree := self._tree(child, partial))]
        if not parts:
            if not partial and node is not self.root:
                node.errors.append("Add a condition to this group, or remove the group.")
            return None
        if node.mode == "all":
            return {"all": parts}
        if node.mode == "any":
            return {"any": parts}
        return {"not": {"any" if node.mode == "none" else "all": parts}}

    def _condition(self, node: Node, partial: bool) -> dict | None:
        if not node.field:
            if partial:
                self.unfinished += 1
                node.unfinished = True
            else:
                node.errors.append("Choose a field.")
                node.bad = "field"
            return None
        kind = self.catalog.type_of(node.field)
        if kind == "segment":
            if not node.value:
                self._missing(node, partial, "Choose a segment.")
                return None
            tree: dict = {IN_SEGMENT: node.value}
            return {"not": tree} if node.op == "notIn" else tree
        if node.op in NO_VALUE:
            return {"field": node.field, "op": node.op}
        if not node.value or (node.op == "between" and not node.value2):
            what = "both ends" if node.op == "between" else "a value"
            self._missing(node, partial, f"Enter {what}.")
            return None
        value = self._value(node, kind)
        if value is None:
            return None
        return {"field": node.field, "op": node.op, "value": value}

    def _missing(self, node: Node, partial: bool, message: str) -> None:
        if partial:
            self.unfinished += 1
            node.unfinished = True
        else:
            node.errors.append(message)
            node.bad = "value"
        return None

    def _value(self, node: Node, kind: str) -> Any:
        """The row's value as the rule holds it; None (with an error on the row) when the
        text is not one."""
        if node.op in DAYS:
            days = _int(node.value)
            if days is None:
                return self._bad(node, "Enter a whole number of days, such as 30.")
            return days
        if node.op in LISTS:
            items = [part.strip() for part in node.value.split(",") if part.strip()]
            if not items:
                return self._bad(node, "Enter one or more values, separated by commas.")
            converted = [self._scalar(node, kind, item) for item in items]
            return None if any(item is None for item in converted) else converted
        if node.op == "between":
            low = self._scalar(node, kind, node.value)
            high = self._scalar(node, kind, node.value2)
            return None if low is None or high is None else [low, high]
        return self._scalar(node, kind, node.value)

    def _scalar(self, node: Node, kind: str, text: str) -> Any:
        if kind == "number":
            if not _NUMBER.match(text):
                return self._bad(node, f"“{text}” is not a number.")
            number = float(text)
            if not math.isfinite(number):
                return self._bad(node, f"“{text}” is not a number.")
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        if kind == "boolean":
            if text not in ("true", "false"):
                return self._bad(node, "Choose true or false.")
            return text == "true"
        if kind == "datetime" and _LOCAL_DATETIME.match(text):
            # the form's date-times are UTC by now (from_request)
            return text + ("Z" if text.count(":") > 1 else ":00Z")
        return text

    @staticmethod
    def _bad(node: Node, message: str) -> None:
        if message not in node.errors:
            node.errors.append(message)
        node.bad = "value"
        return None

    def show_errors(self, error: ValidationFailed) -> None:
        """Put the service's messages beside the rows whose paths they name; the rest go above
        the editor."""
        for detail in error.details or []:
            path = detail.get("field") or ""
            node = self._owner(path)
            message = plain(detail.get("message", ""))
            if node is None:
                self.form_errors.append(message)
                continue
            if message not in node.errors:
                node.errors.append(message)
            rest = path[len(node.path) :].lstrip(".")
            if not node.bad:
                node.bad = next(
                    (part for part in ("field", "op") if rest.startswith(part)), "value"
                )

    def _owner(self, path: str) -> Node | None:
        """The node whose path is the longest prefix of `path` (a node's value, operator or
        field lies inside it; "not" wraps a segment row that is negated)."""
        best = None
        for node in self.nodes:
            inside = path == node.path or path.startswith((node.path + ".", node.path + "["))
            if inside and (best is None or len(node.path) > len(best.path)):
                best = node
        return best


def plain(message: str) -> str:
    """The service's message in the editor's words: without the rule paths it names (the row it
    stands beside says where), the attribute prefixes and the lists of operator names (the
    editor offers only the ones that fit), starting with a capital letter."""
    text = re.sub(r"\brule(\.[A-Za-z]+|\[\d+\])+(:\s*)?", "", message).strip()
    text = re.sub(r"\blegalEntity\.attributes\.(\w+)", r"the legal entity's \1", text)
    text = re.sub(r"\battributes\.(\w+)", r"\1", text)
    text = re.sub(r";\s*(the )?operators( of \w+ fields)?:.*$", ".", text)
    text = re.sub(r"^'\w+' (takes|needs|cannot)", r"This condition \1", text)
    text = re.sub(r"^the days are\b", "The number of days is", text)
    if not text:
        return "This is not valid."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _node_of(rule: object) -> Node:
    """The editor's node for a part of a stored rule tree."""
    if not isinstance(rule, dict):
        return Node("group")
    if "all" in rule or "any" in rule:
        mode = "all" if "all" in rule else "any"
        return Node("group", mode=mode, children=[_node_of(r) for r in rule[mode] or ()])
    if "not" in rule:
        inner = rule["not"]
        if isinstance(inner, dict) and IN_SEGMENT in inner:
            return Node("cond", field=IN_SEGMENT, op="notIn", value=str(inner[IN_SEGMENT]))
        if isinstance(inner, dict) and ("all" in inner or "any" in inner):
            group = _node_of(inner)
            group.mode = "none" if group.mode == "any" else "notall"
            return group
        return Node("group", mode="none", children=[_node_of(inner)])
    if IN_SEGMENT in rule:
        return Node("cond", field=IN_SEGMENT, op="in", value=str(rule[IN_SEGMENT]))
    value = rule.get("value")
    node = Node("cond", field=str(rule.get("field", "")), op=str(rule.get("op", "")))
    if isinstance(value, list) and rule.get("op") == "between" and len(value) == 2:
        node.value, node.value2 = shown_value(value[0]), shown_value(value[1])
    elif isinstance(value, list):
        node.value = ", ".join(shown_value(v) for v in value)
    elif value is not None:
        node.value = shown_value(value)
    return node


def fields_of(rule: object) -> set[str]:
    """Every field a rule tree names (to offer fields a stored rule uses but the tenant's
    attribute keys no longer list)."""
    found: set[str] = set()
    if isinstance(rule, dict):
        if isinstance(rule.get("field"), str):
            found.add(rule["field"])
        for key in ("all", "any"):
            for part in rule.get(key) or ():
                found |= fields_of(part)
        found |= fields_of(rule.get("not"))
    return found


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and text.strip() else None
    except ValueError:
        return None
