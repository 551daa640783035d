"""Shape validation of request documents against the contract's own JSON schemas.

The published schemas are loose (no required languages, empty strings allowed), so each one is
combined with a project overlay that states what conventions.md adds. Domain rules that span
fields (validity order, tenant languages) live in the services.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import yaml
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError as SchemaError

from ..errors import ValidationFailed
from ..limits import (
    ARRAY_MAX_ITEMS,
    CODE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    ID_MAX_LENGTH,
    LANGUAGES_MAX,
    MATCH_ITEMS_MAX,
    METADATA_MIXINS_MAX,
    MIXIN_KEY_MAX_LENGTH,
    NAME_MAX_LENGTH,
    URL_MAX_LENGTH,
)
from .bounds import MIXINS, MIXINS_KEYWORD, SIZE_TYPES, BoundedValidator, is_bounds_error

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "customer-segment-openapi.yml"
DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
DATE_TIME_HINT = "an ISO-8601 date-time with a time zone, such as 2024-04-17T08:00:00.000Z"

formats = FormatChecker(formats=())


@formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(DATE_TIME.match(value)) and parse_datetime(value) is not None


def parse_datetime(value: str) -> datetime:
    """Parse a contract date-time (checked by the schema first); raises ValueError if invalid."""
    parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    if parsed.tzinfo is None:
        raise ValueError("a time zone is required")
    return parsed


@cache
def contract() -> dict:
    with SPEC_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


LOCALIZED = {
    "type": "object",
    "maxProperties": LANGUAGES_MAX,
    "additionalProperties": {"type": "string", "maxLength": DESCRIPTION_MAX_LENGTH},
}
NAME = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": LANGUAGES_MAX,
    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": NAME_MAX_LENGTH},
}
ID = {"type": "string", "minLength": 1, "maxLength": ID_MAX_LENGTH}
PUBLIC_ID = {**ID, "pattern": r"^[^/\s]+$"}
METADATA = {
    "type": "object",
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "mixins": {
            "type": "object",
            "maxProperties": METADATA_MIXINS_MAX,
            "propertyNames": {"maxLength": MIXIN_KEY_MAX_LENGTH},
            "additionalProperties": {"type": "string", "maxLength": URL_MAX_LENGTH},
        },
    },
}
SEGMENT = {
    "type": "object",
    "properties": {
        "id": PUBLIC_ID,
        "name": NAME,
        "description": LOCALIZED,
        "siteCode": {"type": "string", "minLength": 1, "maxLength": CODE_MAX_LENGTH},
        "validity": {"type": "object"},
        "mixins": MIXINS,
        "metadata": METADATA,
    },
}
ASSIGNMENT: dict[str, Any] = {
    "type": "object",
    "properties": {"mixins": MIXINS, "metadata": METADATA},
}

#: project overlays, keyed by the contract schema they tighten
OVERLAYS: dict[str, dict] = {
    "SegmentCreation": SEGMENT,
    "SegmentUpdate": SEGMENT,
    "SegmentUpdateBulk": SEGMENT,
    "CustomerAssignmentUpsert": ASSIGNMENT,
    "CustomerAssignmentUpsertBulk": {
        **ASSIGNMENT,
        "properties": {
            **ASSIGNMENT["properties"],
            "customerId": ID,
            "legalEntityId": ID,
        },
        "required": ["customerId"],
    },
    "ItemAssignmentUpsert": ASSIGNMENT,
    "ItemAssignmentUpsertBulk": {
        **ASSIGNMENT,
        "properties": {**ASSIGNMENT["properties"], "id": ID},
    },
    "Match": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "maxItems": MATCH_ITEMS_MAX,
                "items": {"type": "object", "required": ["id"]},
            },
            "segmentIds": {"type": "array", "maxItems": ARRAY_MAX_ITEMS},
            "site": {"type": "string", "minLength": 1},
        },
    },
    "SegmentsSearch": {"type": "object"},
}


@cache
def _validator(name: str) -> BoundedValidator:
    schema = {
        "allOf": [{"$ref": f"#/components/schemas/{name}"}, OVERLAYS.get(name, {})],
        "components": contract()["components"],
    }
    return BoundedValidator(schema, format_checker=formats)


@cache
def _overlay_validator(name: str) -> BoundedValidator:
    return BoundedValidator(OVERLAYS.get(name, {}), format_checker=formats)


@cache
def _project_validator(schema: str) -> BoundedValidator:
    return BoundedValidator(PROJECT_SCHEMAS[schema], format_checker=formats)


#: documents the contract does not define (directory records, imports); filled by their modules
PROJECT_SCHEMAS: dict[str, dict] = {}


def conforms(name: str, document: Any) -> bool:
    """Whether `document` certainly fits schema `name`, answered by fastjsonschema's compiled
    code: a request or file line that fits costs microseconds. A False is only a doubt: call
    `validate`, which decides and names every problem."""
    try:
        compiled_schema(name)(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@cache
def compiled_schema(name: str) -> Callable[[Any], Any]:
    """fastjsonschema's validator of schema `name` (contract plus overlay, or a project schema).

    It knows no `x-mixins`, so it would pass an oversized free-form value: a schema using that
    keyword is refused here rather than checked too leniently."""
    schema = PROJECT_SCHEMAS.get(name) or {
        "allOf": [{"$ref": f"#/components/schemas/{name}"}, OVERLAYS.get(name, {})],
        "components": contract()["components"],
    }
    # fastjsonschema calls a function per `$ref` it meets, per array item: a Match body of 500
    # items checks in a third of the time with the references written out
    schema = _inlined(schema, schema)
    if _uses_mixins(schema):
        raise ValueError(f"schema {name} bounds mixins, which only `validate` checks")
    return fastjsonschema.compile(schema, formats={"date-time": _fits_date_time}, use_default=False)


def _inlined(node: Any, root: dict, seen: frozenset[str] = frozenset()) -> Any:
    """`node` with each local `$ref` replaced by what it names (a `$ref`'s siblings do not
    count), except inside that very thing: a recursive schema keeps its `$ref` there."""
    if isinstance(node, list):
        return [_inlined(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        return _inlined(target, root, seen | {ref})
    return {
        key: value if key == "components" else _inlined(value, root, seen)
        for key, value in node.items()
    }


def _uses_mixins(node: Any) -> bool:
    """Whether `x-mixins` appears in an _inlined schema (its components aside)."""
    if isinstance(node, list):
        return any(_uses_mixins(item) for item in node)
    if not isinstance(node, dict):
        return False
    if MIXINS_KEYWORD in node:
        return True
    return any(_uses_mixins(value) for key, value in node.items() if key != "components")


def _fits_date_time(value: str) -> bool:
    try:
        return _is_date_time(value)
    except ValueError:
        return False


def validate(name: str, document: Any, prefix: str = "") -> None:
    """Raise ValidationFailed listing every problem of `document` against schema `name`.

    A document over a size limit is refused for that alone, found by the project's overlay
    before the contract's schema walks what may be a very large document.
    """
    if name in PROJECT_SCHEMAS:
        _raise_errors(_project_validator(name).iter_errors(document), prefix)
        return
    oversized = [e for e in _overlay_validator(name).iter_errors(document) if _is_size(e)]
    _raise_errors(oversized, prefix)
    _raise_errors(_validator(name).iter_errors(document), prefix)


def _is_size(error: SchemaError) -> bool:
    return str(error.validator) in SIZE_TYPES or any(_is_size(e) for e in error.context or ())


def _raise_errors(errors, prefix: str) -> None:
    errors = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ValidationFailed(_dedupe(_detail(e, prefix) for e in _leaves(errors)))


def _leaves(errors: list[SchemaError]) -> list[SchemaError]:
    """allOf/oneOf wrap the real problems; report the innermost ones."""
    out = []
    for error in errors:
        if error.context:
            out.extend(_leaves(sorted(error.context, key=lambda e: list(e.absolute_path))))
        else:
            out.append(error)
    return out


def _dedupe(details) -> list[dict[str, str]]:
    seen, out = set(), []
    for d in details:
        key = (d["field"], d["type"])
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _path(parts, prefix: str) -> str:
    path = ".".join(str(p) for p in parts)
    if prefix:
        return f"{prefix}.{path}" if path else prefix
    return path


def _detail(error: SchemaError, prefix: str) -> dict[str, str]:
    kind = str(error.validator)
    field = _path(error.absolute_path, prefix)
    value = error.instance
    if kind == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        name = missing.group(1) if missing else "?"
        return {
            "field": _path([*error.absolute_path, name], prefix),
            "type": "required",
            "message": f"{name} is required.",
        }
    label = field or "the body"
    limit = error.validator_value
    if is_bounds_error(error):
        message = f"{label} {error.message}."
    elif kind == "type":
        message = f"{label} must be {_article(limit)}."
    elif kind == "format":
        message = f"{label} must be {DATE_TIME_HINT}; got '{_shown(value)}'."
    elif kind == "enum":
        message = f"{label} must be one of {', '.join(map(str, limit))}; got '{_shown(value)}'."
    elif kind == "minProperties":
        message = f"{label} must have at least one entry."
    elif kind == "minLength":
        message = f"{label} must not be empty."
    elif kind == "maxLength" and "propertyNames" in error.relative_schema_path:
        message = f"{label} has a key of {len(value):,} characters; at most {limit} are allowed."
    elif kind == "maxLength":
        message = f"{label} must be at most {limit:,} characters long; it has {len(value):,}."
    elif kind in ("maxItems", "maxProperties"):
        entries = "elements" if kind == "maxItems" else "entries"
        message = f"{label} has {len(value):,} {entries}; at most {limit:,} are allowed."
    elif kind == "pattern":
        message = f"{label} must not contain '/' or spaces."
    elif kind in ("minimum", "maximum", "minItems"):
        message = f"{label}: {error.message}."
    else:
        message = f"{label}: {error.message}"
    return {"field": field, "type": kind, "message": message}


def _shown(value: Any, width: int = 80) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _article(kind: Any) -> str:
    names = {
        "object": "an object",
        "array": "an array",
        "string": "a string",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
    }
    if isinstance(kind, list):
        return " or ".join(names.get(k, str(k)) for k in kind)
    return names.get(kind, str(kind))
