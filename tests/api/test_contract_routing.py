"""The contract walk, first step: the walk's scope names real contract paths, and every walked
operation's path, with sample parameters, reaches the API route of its template."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import pytest
from werkzeug.exceptions import HTTPException

from tests.api.contract_support import API_BASE, CONTRACT, IN_SCOPE, WALKED, resolve, walk_id
from tests.factories import TENANT


def test_in_scope_patterns_each_match_a_contract_path():
    paths = [path.removeprefix(API_BASE) for path in CONTRACT["paths"]]
    for pattern in IN_SCOPE:
        assert any(fnmatchcase(path, pattern) for path in paths), pattern


def _path_parameters(path: str, operation: dict) -> list[dict]:
    params = CONTRACT["paths"][path].get("parameters", []) + operation.get("parameters", [])
    return [p for p in map(resolve, params) if p["in"] == "path"]


def _sample(parameter: dict) -> str:
    if parameter["name"] == "tenant":
        return TENANT
    schema = resolve(parameter.get("schema", {}))
    if schema.get("enum"):
        return str(schema["enum"][0])
    return str(parameter.get("example", schema.get("example", f"sample-{parameter['name']}")))


def _template(rule: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", rule)


@pytest.mark.parametrize(
    ("path", "method", "operation"), WALKED, ids=[walk_id(p, m) for p, m, _ in WALKED]
)
def test_operation_is_routed(app, path, method, operation):
    """The concrete path reaches the rule for this template (literal segments win over ids)."""
    concrete = path.format_map({p["name"]: _sample(p) for p in _path_parameters(path, operation)})
    adapter = app.url_map.bind("localhost")
    try:
        rule, _ = adapter.match(concrete, method=method.upper(), return_rule=True)
    except HTTPException as exc:
        pytest.fail(f"{method.upper()} {concrete} is not routed: {exc.code} {exc.name}")
    assert _template(rule.rule) == _template(path)
    assert rule.endpoint.startswith("api.")
