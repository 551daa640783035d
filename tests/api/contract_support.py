"""The contract as the API tests read it: its operations, its `$ref`s resolved, and the part of
it that the contract walk covers (WALKED operations, each with its documented success codes)."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from segments_app.openapi import CONTRACT_FILE, HTTP_METHODS, load_yaml

CONTRACT = load_yaml(CONTRACT_FILE)
API_BASE = "/customer-segment/{tenant}"

#: fnmatch patterns over contract paths (after API_BASE) that the walk covers; a trailing `*`
#: takes a whole subtree, e.g. "/segments/{segmentId}/customers*"
IN_SCOPE = ("/segments*",)


def operations(doc: dict) -> Iterator[tuple[str, str, dict]]:
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def resolve(node: dict, doc: dict = CONTRACT) -> dict:
    while "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def in_scope(path: str) -> bool:
    return path.startswith(API_BASE + "/") and any(
        fnmatchcase(path.removeprefix(API_BASE), pattern) for pattern in IN_SCOPE
    )


def success_statuses(operation: dict) -> list[int]:
    return sorted(int(code) for code in operation["responses"] if code.startswith("2"))


WALKED = [(path, method, op) for path, method, op in operations(CONTRACT) if in_scope(path)]
WALK = [(path, method, status) for path, method, op in WALKED for status in success_statuses(op)]


def walk_id(path: str, method: str, status: int | None = None) -> str:
    name = f"{method.upper()} {path.removeprefix(API_BASE)}"
    return name if status is None else f"{name} -> {status}"
