"""Shared rules for the documents the API and the pages write: ids, versions, patches."""

from __future__ import annotations

import copy
import secrets
from typing import Any

import jsonpatch
import jsonpointer

from ..errors import BadRequest, Conflict, ValidationFailed

PATCH_OPS = ("add", "remove", "replace")
MSG_CHANGED = "The resource you are attempting to access has changed."
MSG_EXISTS = "The resource already exists."


def new_id() -> str:
    """A generated id: 24 lowercase hex characters."""
    return secrets.token_hex(12)


def check_version(doc: dict, stored: int) -> None:
    """A write that carries metadata.version must carry the stored one (optimistic locking)."""
    sent = (doc.get("metadata") or {}).get("version")
    if sent is not None and sent != stored:
        raise Conflict(
            f"{MSG_CHANGED} You sent version {sent}; the stored version is {stored}. "
            "Read it again and reapply your change."
        )


def drop_nulls(doc: dict, keys: tuple[str, ...]) -> dict:
    """Optional fields sent as null mean 'absent'."""
    for key in keys:
        if key in doc and doc[key] is None:
            del doc[key]
    return doc


def apply_patch(document: dict, patch: Any) -> dict:
    """Apply an RFC 6902 patch (a list) or an RFC 7396 merge patch (an object) to a copy."""
    if isinstance(patch, dict):
        return merge_patch(copy.deepcopy(document), patch)
    if not isinstance(patch, list) or not patch:
        raise BadRequest(
            "The body must be a JSON Patch array of operations (RFC 6902) "
            "or a JSON merge-patch object (RFC 7396)."
        )
    details = []
    for index, op in enumerate(patch):
        if not isinstance(op, dict):
            details.append({"field": f"{index}", "type": "type", "message": "must be an object"})
        elif op.get("op") not in PATCH_OPS:
            details.append(
                {
                    "field": f"{index}.op",
                    "type": "enum",
                    "message": f"op must be one of {', '.join(PATCH_OPS)}; got {op.get('op')!r}.",
                }
            )
        elif not isinstance(op.get("path"), str):
            details.append(
                {"field": f"{index}.path", "type": "required", "message": "path is required."}
            )
        elif op["op"] != "remove" and "value" not in op:
            details.append(
                {"field": f"{index}.value", "type": "required", "message": "value is required."}
            )
    if details:
        raise ValidationFailed(details, "Invalid patch document.")
    try:
        return jsonpatch.JsonPatch(patch).apply(document)
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise BadRequest(f"The patch cannot be applied: {exc}.") from None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target
