"""The served OpenAPI document (/openapi.json): the contract unchanged plus its additions, how
the two are merged, and the /docs page with its vendored Redoc."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openapi_spec_validator.validation import OpenAPIV30SpecValidator

from segments_app.docs import REDOC_VERSION
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from segments_app.openapi import ADDITIONS_FILE, MergeError, load_yaml, merge
from tests.api.contract_support import CONTRACT, operations, resolve

REDOC_SCRIPT = f"/static/vendor/redoc-{REDOC_VERSION}/redoc.standalone.js"


@pytest.fixture
def served(client) -> dict:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()


# -- /openapi.json ------------------------------------------------------------------------------


def test_served_document_is_valid_openapi_3_0(served):
    assert served["openapi"].startswith("3.0.")
    errors = [str(error) for error in OpenAPIV30SpecValidator(served).iter_errors()]
    assert errors == []


def test_every_contract_path_and_operation_is_served_unchanged(served):
    for path, item in CONTRACT["paths"].items():
        assert served["paths"][path] == item, path


def test_contract_components_are_served_unchanged_except_the_oauth2_scheme(served):
    for section, entries in CONTRACT["components"].items():
        for name, value in entries.items():
            if (section, name) != ("securitySchemes", "OAuth2"):
                assert served["components"][section][name] == value, f"{section}/{name}"


def test_example_timestamps_stay_strings_as_written(served):
    validity = served["components"]["examples"]["SegmentCreation"]["value"]["validity"]
    assert validity == {"from": "2024-04-17T08:00:00.000Z", "to": "2025-04-17T08:00:00.000Z"}


def test_additions_are_served(served):
    token = served["paths"]["/oauth/token"]["post"]
    assert set(token["requestBody"]["content"]) == {"application/x-www-form-urlencoded"}
    assert {"200", "400", "401"} <= set(token["responses"])
    assert served["paths"]["/healthz"]["get"]["security"] == []
    assert {"200", "503"} <= set(served["paths"]["/readyz"]["get"]["responses"])


def test_every_security_requirement_names_a_defined_scheme(served):
    schemes = served["components"]["securitySchemes"]
    requirements = list(served.get("security", []))
    for _path, _method, operation in operations(served):
        requirements += operation.get("security", [])
    named = {name for requirement in requirements for name in requirement}
    assert "CustomerAccessToken" in named
    assert named <= set(schemes)


def test_oauth_schemes_point_at_this_server_with_both_flows(served):
    schemes = served["components"]["securitySchemes"]
    assert schemes["CustomerAccessToken"] == schemes["OAuth2"]
    flows = schemes["CustomerAccessToken"]["flows"]
    assert set(flows) == {"clientCredentials", "password"}
    for flow in flows.values():
        assert flow["tokenUrl"] == "/oauth/token"
        assert set(flow["scopes"]) == {SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN}


def test_servers_name_the_requests_own_root(client):
    response = client.get("/openapi.json", base_url="https://segments.example.com")
    assert response.get_json()["servers"][0]["url"] == "https://segments.example.com"
    assert client.get("/openapi.json").get_json()["servers"][0]["url"] == "http://localhost"


def test_every_local_reference_resolves(served):
    def refs(node) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in set(refs(served)):
        assert ref.startswith("#/"), ref
        resolve({"$ref": ref}, served)


# -- the merge ----------------------------------------------------------------------------------


def test_additions_may_add_paths_methods_and_components():
    contract = {"paths": {"/a": {"get": {"responses": {}}}}, "components": {"schemas": {"A": {}}}}
    additions = {
        "paths": {"/a": {"post": {"responses": {}}}, "/b": {"get": {"responses": {}}}},
        "components": {"schemas": {"B": {}}, "examples": {"E": {"value": 1}}},
    }
    doc = merge(contract, additions)
    assert set(doc["paths"]["/a"]) == {"get", "post"}
    assert set(doc["paths"]) == {"/a", "/b"}
    assert doc["components"] == {"schemas": {"A": {}, "B": {}}, "examples": {"E": {"value": 1}}}
    assert set(contract["paths"]["/a"]) == {"get"}


@pytest.mark.parametrize(
    "additions",
    [
        {"paths": {"/a": {"get": {"responses": {"200": {}}}}}},
        {"paths": {"/a": {"parameters": []}}},
        {"components": {"schemas": {"A": {"type": "string"}}}},
        {"overrides": {"components": {"schemas": {"Missing": {}}}}},
        {"overrides": {"paths": {"/a": {}}}},
        {"tags": [{"name": "T"}]},
        {"servers": []},
    ],
    ids=[
        "operation",
        "path-entry",
        "component",
        "override-of-nothing",
        "override-of-a-path",
        "tag",
        "unknown-key",
    ],
)
def test_additions_never_silently_change_the_contract(additions):
    contract = {
        "paths": {"/a": {"parameters": [], "get": {"responses": {}}}},
        "components": {"schemas": {"A": {}}},
        "tags": [{"name": "T"}],
    }
    with pytest.raises(MergeError):
        merge(contract, additions)


def test_an_override_replaces_a_contract_component():
    contract = {"paths": {}, "components": {"schemas": {"A": {"type": "string"}}}}
    doc = merge(contract, {"overrides": {"components": {"schemas": {"A": {"type": "integer"}}}}})
    assert doc["components"]["schemas"]["A"] == {"type": "integer"}


def test_the_shipped_additions_merge_cleanly():
    merge(CONTRACT, load_yaml(ADDITIONS_FILE))


# -- /docs --------------------------------------------------------------------------------------


def test_docs_page_renders_the_document_with_the_vendored_redoc(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'<script src="{REDOC_SCRIPT}"></script>' in html
    assert '"/openapi.json"' in html
    assert "http://" not in html and "https://" not in html


def test_vendored_redoc_is_served_with_its_license(client):
    script = client.get(REDOC_SCRIPT)
    assert script.status_code == 200
    assert script.mimetype in {"text/javascript", "application/javascript"}
    body = script.get_data(as_text=True)
    assert "Redoc" in body and "fonts.googleapis.com" not in body
    script.close()
    license_ = client.get(f"/static/vendor/redoc-{REDOC_VERSION}/LICENSE")
    assert license_.status_code == 200 and b"MIT License" in license_.data
    license_.close()
