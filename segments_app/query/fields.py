"""The fields a resource exposes to `q`, `sort` and `fields`, and how they map to SQL."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    #: a JSON object {language: text}; `name.en` addresses one language, bare `name` any of them
    LOCALIZED = "localized"
    #: a free JSON object (mixins); `mixins.a.b` addresses a value inside it
    JSON = "json"


class UnknownField(ValueError):
    def __init__(self, path: str, known: list[str]):
        self.path = path
        self.known = known
        super().__init__(f"Unknown field '{path}'. Known fields: {', '.join(known)}.")


@dataclass(frozen=True)
class Field:
    """One addressable field: `path` as clients write it, `expr` the SQL expression behind it."""

    path: str
    kind: Kind
    expr: Any
    sortable: bool = True


class FieldSet:
    """The fields of one resource; resolves dot paths such as `name.en` or `mixins.a.b`."""

    def __init__(self, *fields: Field):
        self._by_path = {f.path: f for f in fields}

    def __iter__(self):
        return iter(self._by_path.values())

    @property
    def paths(self) -> list[str]:
        return list(self._by_path)

    def resolve(self, path: str) -> tuple[Field, tuple[str, ...]]:
        """Return the field and the JSON sub-path below it (empty for plain columns)."""
        if path in self._by_path:
            return self._by_path[path], ()
        parts = path.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            field = self._by_path.get(".".join(parts[:cut]))
            if field is None:
                continue
            rest = tuple(parts[cut:])
            if field.kind is Kind.LOCALIZED and len(rest) == 1 and rest[0]:
                return field, rest
            if field.kind is Kind.JSON and all(rest):
                return field, rest
            break
        raise UnknownField(path, self.paths)
