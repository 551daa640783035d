"""The shape of directory records: one schema per record kind, declared once in the served
OpenAPI document and checked the same way for the API and the file import.

jsonschema reports every problem of a record, but costs tens of microseconds per record, which
an import of a million lines cannot afford. So services.validation.conforms (fastjsonschema's
compiled code) first answers whether a record certainly fits; only a record it doubts goes to
jsonschema, which decides and reports.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ...openapi import merged_document
from ..validation import PROJECT_SCHEMAS, conforms, validate


def _schema(name: str) -> dict:
    return merged_document()["components"]["schemas"][name]


@cache
def record_schema(name: str) -> str:
    """The served schema `name`, registered with services.validation (once); returns `name`."""
    PROJECT_SCHEMAS[name] = {
        "allOf": [{"$ref": f"#/components/schemas/{name}"}],
        "components": merged_document()["components"],
    }
    return name


def check_shape(name: str, document: Any) -> None:
    """Raise ValidationFailed with every problem when `document` does not fit schema `name`."""
    if not conforms(record_schema(name), document):
        validate(name, document)


@cache
def known_properties(name: str) -> tuple[str, ...]:
    """The top-level fields schema `name` declares."""
    return tuple(_schema(name).get("properties", {}))
