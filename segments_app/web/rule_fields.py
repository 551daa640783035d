"""What the rule editor offers: the fields a rule may name (the standard ones and the tenant's
attribute keys, with their types and a few example values), the operators of each type in a
marketer's words, and the ways a group combines its rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

IN_SEGMENT = "inSegment"

#: how a group combines its rows: the rule tree it stands for, and what the page says
MODES = {
    "all": "All of these are true",
    "any": "Any of these is true",
    "none": "None of these is true",
    "notall": "Not all of these are true",
}

#: operators per type, in the order the editor offers them, with the words it shows
OPERATORS: dict[str, dict[str, str]] = {
    "string": {
        "equals": "is",
        "notEquals": "is not",
        "in": "is one of",
        "notIn": "is none of",
        "contains": "contains",
        "startsWith": "starts with",
        "matches": "matches the pattern",
        "exists": "has a value",
        "missing": "has no value",
    },
    "number": {
        "equals": "is",
        "notEquals": "is not",
        "gt": "is more than",
        "gte": "is at least",
        "lt": "is less than",
        "lte": "is at most",
        "between": "is between",
        "in": "is one of",
        "notIn": "is none of",
        "exists": "has a value",
        "missing": "has no value",
    },
    "boolean": {
        "equals": "is",
        "notEquals": "is not",
        "exists": "has a value",
        "missing": "has no value",
    },
    "date": {
        "equals": "is on",
        "notEquals": "is not on",
        "before": "is before",
        "after": "is after",
        "between": "is between",
        "withinLastDays": "is within the last",
        "notWithinLastDays": "is longer ago than",
        "exists": "has a value",
        "missing": "has no value",
    },
    "tags": {
        "contains": "has the tag",
        "in": "has any of the tags",
        "notIn": "has none of the tags",
        "exists": "has tags",
        "missing": "has no tags",
    },
    "segment": {"in": "is in", "notIn": "is not in"},
}
OPERATORS["datetime"] = {
    **OPERATORS["date"],
    "equals": "is at",
    "notEquals": "is not at",
}
#: how the field picker names the types of attributes
TYPE_NAMES = {
    "string": "text",
    "number": "number",
    "boolean": "yes/no",
    "date": "date",
    "datetime": "date-time",
    "tags": "tags",
}
NO_VALUE = frozenset({"exists", "missing"})
LISTS = frozenset({"in", "notIn"})
DAYS = frozenset({"withinLastDays", "notWithinLastDays"})

#: a stored date-time in the form the datetime-local input shows (minutes, UTC)
_STORED_DATETIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2}(\.\d+)?)?(Z|[+-]00:?00)?$")


@dataclass(frozen=True)
class FieldChoice:
    """A field the editor offers: the rule's name for it, its label, its type, the group of
    fields it belongs to and a few values seen for it."""

    name: str
    label: str
    type: str
    section: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    """What the editor offers: the fields by name and the segments "in segment" may name."""

    fields: Mapping[str, FieldChoice]
    segments: tuple[tuple[str, str], ...]

    @classmethod
    def build(
        cls, keys: Iterable[Any], segments: Iterable[tuple[str, str]], used: Iterable[str] = ()
    ) -> Catalog:
        """The standard fields, the tenant's attribute keys (objects with owner, key, type and
        examples) and any field a stored rule uses that the tenant no longer knows."""
        fields: dict[str, FieldChoice] = {}
        for name, label in (
            ("id", "Customer id"),
            ("email", "Email"),
            ("firstName", "First name"),
            ("lastName", "Last name"),
        ):
            fields[name] = FieldChoice(name, label, "string", "Customer")
        customer, entity = [], []
        for key in keys:
            shown = tuple(shown_value(example) for example in key.examples or ())
            if key.owner == "customer":
                choice = FieldChoice(
                    f"attributes.{key.key}", key.key, key.type, "Customer attributes", shown
                )
                customer.append(choice)
            else:
                choice = FieldChoice(
                    f"legalEntity.attributes.{key.key}",
                    # a legal entity's key may share its name with a customer's
                    f"legal entity {key.key}",
                    key.type,
                    "Legal entity attributes",
                    shown,
                )
                entity.append(choice)
        fields.update((c.name, c) for c in sorted(customer, key=lambda c: c.label.lower()))
        fields["legalEntity.id"] = FieldChoice(
            "legalEntity.id", "Legal entity id", "string", "Legal entity"
        )
        fields.update((c.name, c) for c in sorted(entity, key=lambda c: c.name.lower()))
        fields[IN_SEGMENT] = FieldChoice(IN_SEGMENT, "In segment", "segment", "Segments")
        for name in used:
            if name and name not in fields:
                label = name.rsplit(".", 1)[-1]
                fields[name] = FieldChoice(name, f"{label} (unknown)", "string", "Unknown fields")
        return cls(fields, tuple(segments))

    def sections(self) -> list[tuple[str, list[FieldChoice]]]:
        """The fields grouped for the field picker's option groups, in order."""
        out: dict[str, list[FieldChoice]] = {}
        for choice in self.fields.values():
            out.setdefault(choice.section, []).append(choice)
        return list(out.items())

    def type_of(self, name: str) -> str:
        choice = self.fields.get(name)
        return choice.type if choice is not None else "string"

    def operators(self, name: str) -> dict[str, str]:
        return OPERATORS.get(self.type_of(name), OPERATORS["string"])


def shown_value(value: Any) -> str:
    """A rule's value as the editor's input shows it (date-times to the minute, UTC)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        match = _STORED_DATETIME.match(value)
        return match.group(1) if match else value
    return str(value)
