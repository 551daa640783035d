"""Size limits inside request documents, for the validator of services.validation.

The limits themselves are in segments_app.limits; the schemas state them with jsonschema's own
keywords (maxLength, maxItems, maxProperties), and `mixins` with the keyword `x-mixins`, which
bounds free-form JSON: its depth, its keys, its arrays and its size as JSON.

The validator never walks the inside of a container that is over its own bound (a name with a
million languages is one problem, found at once, not a million checks); that bound reports it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError as SchemaError

from ..limits import ARRAY_MAX_ITEMS, MIXIN_KEY_MAX_LENGTH, MIXINS_MAX_BYTES, MIXINS_MAX_DEPTH

MIXINS_KEYWORD = "x-mixins"
#: the schema of free-form `mixins`
MIXINS = {"type": "object", MIXINS_KEYWORD: True}
#: the detail types of the size limits (those a request is refused for before anything else)
SIZE_TYPES = frozenset({"maxLength", "maxItems", "maxProperties", "maxDepth", "maxBytes"})
#: at most this many problems of one mixins value are reported
_MAX_REPORTED = 20


def _within(keyword: str, bound: str):
    """jsonschema's `keyword`, skipped where the container is over `bound` of the same schema."""
    check = Draft7Validator.VALIDATORS[keyword]

    def bounded(validator, value, instance, schema):
        limit = schema.get(bound)
        if limit is not None and isinstance(instance, list | dict) and len(instance) > limit:
            return
        yield from check(validator, value, instance, schema)

    return bounded


def _mixins(validator, enabled: bool, instance: Any, schema: dict) -> Iterator[SchemaError]:
    if not enabled or not isinstance(instance, dict):
        return
    problems = list(_oversized(instance, (), 1))[:_MAX_REPORTED]
    if not problems:
        size = len(json.dumps(instance, ensure_ascii=False, separators=(",", ":")).encode())
        if size > MIXINS_MAX_BYTES:
            problems.append(
                (
                    (),
                    "maxBytes",
                    f"is {size:,} bytes as JSON; at most {MIXINS_MAX_BYTES:,} are allowed",
                )
            )
    for path, kind, message in problems:
        yield SchemaError(message, validator=kind, path=path, validator_value=enabled)


def _oversized(value: Any, path: tuple, depth: int) -> Iterator[tuple[tuple, str, str]]:
    """(path, type, message) for each place where free-form JSON is over a limit."""
    if not isinstance(value, dict | list):
        return
    if depth > MIXINS_MAX_DEPTH:
        yield path, "maxDepth", f"nests objects and arrays more than {MIXINS_MAX_DEPTH} levels deep"
        return
    if isinstance(value, list):
        if len(value) > ARRAY_MAX_ITEMS:
            count = f"{len(value):,} elements; at most {ARRAY_MAX_ITEMS:,} are allowed"
            yield path, "maxItems", f"has {count}"
            return
        for index, item in enumerate(value):
            yield from _oversized(item, (*path, index), depth + 1)
        return
    for key, item in value.items():
        if len(key) > MIXIN_KEY_MAX_LENGTH:
            yield (
                path,
                "maxLength",
                f"has a key of {len(key):,} characters; at most {MIXIN_KEY_MAX_LENGTH} are allowed",
            )
        else:
            yield from _oversized(item, (*path, key), depth + 1)


BoundedValidator = validators.extend(
    Draft7Validator,
    {
        "items": _within("items", "maxItems"),
        "uniqueItems": _within("uniqueItems", "maxItems"),
        "additionalProperties": _within("additionalProperties", "maxProperties"),
        "propertyNames": _within("propertyNames", "maxProperties"),
        MIXINS_KEYWORD: _mixins,
    },
)


def is_bounds_error(error: SchemaError) -> bool:
    """Whether `error` comes from `x-mixins` (its message is already a whole predicate)."""
    return MIXINS_KEYWORD in error.relative_schema_path
