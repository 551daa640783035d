"""The served OpenAPI document: the published contract merged with this service's additions.

The contract (`customer-segment-openapi.yml`) is kept byte-identical to the published one; what this
server adds or must correct lives in `additions.yml` and is merged in once, at first use.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..limits import named

HERE = Path(__file__).resolve().parent
CONTRACT_FILE = HERE / "customer-segment-openapi.yml"
ADDITIONS_FILE = HERE / "additions.yml"

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
ADDITION_KEYS = frozenset({"paths", "components", "tags", "overrides"})


class MergeError(ValueError):
    """The additions would change the contract where they may only add to it."""


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp type: the examples' dates must reach JSON as written."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _limit(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """`!limit NAME`: the number segments_app.limits holds under NAME."""
    return named()[loader.construct_scalar(node)]


def _with_limits(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """`!with-limits text`: the text with each {NAME} replaced by that limit, as 1,000."""
    return loader.construct_scalar(node).format_map({k: f"{v:,}" for k, v in named().items()})


_Loader.add_constructor("!limit", _limit)
_Loader.add_constructor("!with-limits", _with_limits)


def load_yaml(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)


def merge(contract: dict[str, Any], additions: dict[str, Any]) -> dict[str, Any]:
    """Return a new document: `contract` plus `additions`, refusing to change the contract."""
    unknown = set(additions) - ADDITION_KEYS
    if unknown:
        raise MergeError(f"additions: unknown top-level keys {sorted(unknown)}")
    doc = copy.deepcopy(contract)
    additions = copy.deepcopy(additions)

    paths = doc.setdefault("paths", {})
    for path, item in (additions.get("paths") or {}).items():
        existing = paths.setdefault(path, {})
        for key, value in item.items():
            if key in existing:
                kind = "operation" if key in HTTP_METHODS else "entry"
                raise MergeError(f"additions: {key} {path} would replace the contract's {kind}")
            existing[key] = value

    components = doc.setdefault("components", {})
    for section, entries in (additions.get("components") or {}).items():
        target = components.setdefault(section, {})
        for name, value in entries.items():
            if name in target:
                raise MergeError(
                    f"additions: components/{section}/{name} exists in the contract; "
                    "replace it under 'overrides' if that is intended"
                )
            target[name] = value

    overrides = additions.get("overrides") or {}
    if set(overrides) - {"components"}:
        raise MergeError("additions: overrides may only replace components")
    for section, entries in (overrides.get("components") or {}).items():
        for name, value in entries.items():
            if name not in components.get(section, {}):
                raise MergeError(
                    f"additions: override of components/{section}/{name}, "
                    "which the contract does not define"
                )
            components[section][name] = value

    tags = doc.setdefault("tags", [])
    known = {tag["name"] for tag in tags}
    for tag in additions.get("tags") or []:
        if tag["name"] in known:
            raise MergeError(f"additions: tag {tag['name']!r} exists in the contract")
        tags.append(tag)
        known.add(tag["name"])
    return doc


@cache
def contract() -> dict[str, Any]:
    """The published contract, as loaded from its YAML (treat as read-only)."""
    return load_yaml(CONTRACT_FILE)


@cache
def merged_document() -> dict[str, Any]:
    """The contract with the additions merged in (treat as read-only)."""
    return merge(contract(), load_yaml(ADDITIONS_FILE))


def served_document(server_url: str) -> dict[str, Any]:
    """The document to serve, with `servers` pointing at `server_url` (this server's root)."""
    return {
        **merged_document(),
        "servers": [{"url": server_url, "description": "This server"}],
    }
