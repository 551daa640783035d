"""The shape of directory records: declared once in the served OpenAPI document.

jsonschema reports every problem of a record, but costs tens of microseconds per record, which
an import of a million lines cannot afford. So each schema is also compiled into a plain Python
predicate that answers only "certainly valid"; anything it doubts goes to jsonschema, which
decides and reports. The predicate never accepts what jsonschema would refuse: it supports a
small set of keywords, is stricter where the two could differ, and refuses to compile a schema
that uses anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from ...openapi import merged_document
from ..validation import PROJECT_SCHEMAS, formats, validate

Check = Callable[[Any], bool]

#: keywords that only describe; they never change what is valid
ANNOTATIONS = frozenset({"description", "example", "examples", "readOnly", "title", "default"})
SUPPORTED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "minProperties",
        "maxProperties",
        "items",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
    }
)

#: Python tests per JSON type; stricter than jsonschema where they differ (1.0 is no integer
#: here), which only sends such rare values the slow way
_IS = {
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "string": "type({v}) is str",
    "integer": "type({v}) is int",
    "number": "type({v}) in (int, float)",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
}


class UnsupportedSchema(ValueError):
    """The schema uses a keyword the fast predicate does not implement."""


def _components() -> dict:
    return merged_document()["components"]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = _components()["schemas"][name]
    return schema


class _Writer:
    """Writes the body of a Python function that returns False at the first broken rule."""

    def __init__(self) -> None:
        self.constants: dict[str, Any] = {}
        self.variables = 0

    def constant(self, value: Any) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    def variable(self) -> str:
        self.variables += 1
        return f"v{self.variables}"

    def schema(self, schema: dict, v: str) -> list[str]:
        schema = _resolve(schema)
        unknown = set(schema) - SUPPORTED - ANNOTATIONS
        if unknown or schema.get("format", "date-time") != "date-time":
            raise UnsupportedSchema(f"{sorted(unknown) or schema['format']} in {schema!r}")
        out: list[str] = []
        kinds = schema.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if kinds:
            out.append(f"if not ({' or '.join(_IS[k].format(v=v) for k in kinds)}): return False")
        only = kinds[0] if kinds and len(kinds) == 1 else None
        for kind, lines in (
            ("string", self._string(schema, v)),
            ("number", self._number(schema, v)),
            ("object", self._object(schema, v)),
            ("array", self._array(schema, v)),
        ):
            if not lines:
                continue
            if only == kind or (kind == "number" and only == "integer"):
                out += lines
            else:
                out.append(f"if {_IS[kind].format(v=v)}:")
                out += _indent(lines)
        return out

    def _string(self, schema: dict, v: str) -> list[str]:
        out = []
        if "minLength" in schema:
            out.append(f"if len({v}) < {int(schema['minLength'])}: return False")
        if "maxLength" in schema:
            out.append(f"if len({v}) > {int(schema['maxLength'])}: return False")
        if "pattern" in schema:
            regex = self.constant(re.compile(schema["pattern"]))
            out.append(f"if {regex}.search({v}) is None: return False")
        if "format" in schema:
            out.append(f"if not {self.constant(_is_date_time)}({v}): return False")
        return out

    def _number(self, schema: dict, v: str) -> list[str]:
        out = []
        if "minimum" in schema:
            out.append(f"if {v} < {self.constant(schema['minimum'])}: return False")
        if "maximum" in schema:
            out.append(f"if {v} > {self.constant(schema['maximum'])}: return False")
        return out

    def _object(self, schema: dict, v: str) -> list[str]:
        out = [f"if {name!r} not in {v}: return False" for name in schema.get("required", ())]
        if "minProperties" in schema:
            out.append(f"if len({v}) < {int(schema['minProperties'])}: return False")
        if "maxProperties" in schema:
            out.append(f"if len({v}) > {int(schema['maxProperties'])}: return False")
        properties = schema.get("properties", {})
        for name, sub in properties.items():
            inner = self.variable()
            lines = self.schema(sub, inner)
            if lines:
                out += [f"if {name!r} in {v}:", f"    {inner} = {v}[{name!r}]", *_indent(lines)]
        extra = schema.get("additionalProperties", True)
        if extra is True:
            return out
        known = self.constant(frozenset(properties))
        if extra is False:
            return [*out, f"if any(key not in {known} for key in {v}): return False"]
        inner = self.variable()
        lines = self.schema(extra, inner)
        if lines and properties:
            out += [f"for key, {inner} in {v}.items():", f"    if key not in {known}:"]
            out += _indent(lines, 2)
        elif lines:
            out += [f"for {inner} in {v}.values():", *_indent(lines)]
        return out

    def _array(self, schema: dict, v: str) -> list[str]:
        out = []
        if "maxItems" in schema:
            out.append(f"if len({v}) > {int(schema['maxItems'])}: return False")
        if schema.get("uniqueItems"):
            # only lists of strings are judged here; anything else goes to jsonschema
            out.append(
                f"if not all(type(x) is str for x in {v}) or len(set({v})) != len({v}): "
                "return False"
            )
        if "items" in schema:
            inner = self.variable()
            lines = self.schema(schema["items"], inner)
            if lines:
                out += [f"for {inner} in {v}:", *_indent(lines)]
        return out


def _indent(lines: list[str], levels: int = 1) -> list[str]:
    return ["    " * levels + line for line in lines]


def _is_date_time(value: str) -> bool:
    return formats.conforms(value, "date-time")


def compile_check(schema: dict) -> Check:
    """A predicate that is True only for documents `schema` accepts (see the module docstring)."""
    writer = _Writer()
    body = writer.schema(schema, "v0")
    source = "\n".join(["def check(v0):", *_indent(body), "    return True"])
    namespace = dict(writer.constants)
    exec(compile(source, f"<shape check {schema.get('$ref', '')}>", "exec"), namespace)
    return namespace["check"]


@cache
def fast_check(name: str) -> Check:
    """Register schema `name` for jsonschema and compile its predicate, once."""
    PROJECT_SCHEMAS[name] = {
        "allOf": [{"$ref": f"#/components/schemas/{name}"}],
        "components": _components(),
    }
    return compile_check({"$ref": f"#/components/schemas/{name}"})


def check_shape(name: str, document: Any) -> None:
    """Raise ValidationFailed with every problem when `document` does not fit schema `name`."""
    if not fast_check(name)(document):
        validate(name, document)


@cache
def known_properties(name: str) -> tuple[str, ...]:
    """The top-level fields schema `name` declares."""
    return tuple(_resolve({"$ref": f"#/components/schemas/{name}"}).get("properties", {}))
