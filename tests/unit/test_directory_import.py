"""`flask directory import` and `flask customers set-password`."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from segments_app.models.tenants import SCOPE_READ_OWN
from tests.factories import TENANT

MIXED = [
    {"kind": "category", "id": "boots", "parentId": "shoes", "name": {"en": "Boots"}},
    {"kind": "customer", "id": "c1", "email": "Jane@Example.com", "legalEntityIds": ["le1"]},
    {"kind": "product", "id": "p1", "name": {"en": "Boot"}, "categoryIds": ["boots"]},
    {"kind": "legalEntity", "id": "le1", "name": "Acme Ltd"},
    {"kind": "category", "id": "shoes", "parentId": "fashion", "name": {"en": "Shoes"}},
    {"kind": "category", "id": "fashion", "name": {"en": "Fashion", "de": "Mode"}},
    {"kind": "customer", "id": "c2", "firstName": "Bob", "email": "bob@example.com"},
]


def jsonl(records: list) -> bytes:
    return "".join(r if isinstance(r, str) else json.dumps(r) + "\n" for r in records).encode()


@pytest.fixture
def run(cli, tenant, tmp_path):
    """Write `content` to a file and import it; returns the click result."""

    def run_import(content: bytes, name: str = "directory.jsonl", *options: str):
        path = tmp_path / name
        path.write_bytes(content)
        return cli.invoke(args=["directory", "import", "--tenant", TENANT, *options, str(path)])

    return run_import


def counts(output: str) -> dict[str, list[int]]:
    """The summary table: kind -> [created, updated, unchanged, rejected]."""
    rows = re.findall(
        r"^(customer|legalEntity|category|product)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$",
        output,
        flags=re.M,
    )
    return {kind: [int(n) for n in numbers] for kind, *numbers in rows}


def get(api, collection: str, record_id: str) -> dict:
    response = api.get(f"/directory/{collection}/{record_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_mixed_file_with_parents_after_their_children_imports(run, api):
    result = run(jsonl(MIXED))
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == {
        "legalEntity": [1, 0, 0, 0],
        "customer": [2, 0, 0, 0],
        "category": [3, 0, 0, 0],
        "product": [1, 0, 0, 0],
    }
    assert re.search(r"Read 7 lines in [\d.]+ s \([\d,]+ rows/s\)\.", result.stdout)
    assert "Rejected 0 lines in all." in result.stdout
    assert result.stderr == ""
    assert get(api, "categories", "boots")["parentId"] == "shoes"
    assert get(api, "customers", "c1")["legalEntityIds"] == ["le1"]
    assert get(api, "products", "p1")["categoryIds"] == ["boots"]
    assert get(api, "legal-entities", "le1")["name"] == "Acme Ltd"


@pytest.mark.parametrize("name", ["directory.jsonl.gz", "directory.jsonl"])
def test_gzip_is_recognised_by_its_content_not_its_name(run, api, name):
    result = run(gzip.compress(jsonl(MIXED)), name)
    assert result.exit_code == 0, result.output
    assert counts(result.stdout)["category"] == [3, 0, 0, 0]
    assert get(api, "categories", "fashion")["name"] == {"en": "Fashion", "de": "Mode"}


def test_small_batches_give_the_same_result(run, api):
    result = run(jsonl(MIXED), "directory.jsonl", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert sum(sum(row) for row in counts(result.stdout).values()) == len(MIXED)


def test_rejected_lines_are_reported_by_number_and_the_exit_code_is_1(run, api):
    lines = [
        MIXED[1],
        "\n",
        "{not json\n",
        {"id": "nokind"},
        {"kind": "vendor", "id": "v1"},
        {"kind": "customer", "id": "c3", "email": "JANE@example.com"},
        {"kind": "customer", "id": "c4", "password": "secret123"},
        {"kind": "category", "id": "loop", "parentId": "loop", "name": {"en": "Loop"}},
        "[1, 2]\n",
        {"kind": "customer", "id": "ok", "email": "ok@example.com"},
        {"kind": ["customer"], "id": "weird"},
    ]
    result = run(jsonl(lines))
    assert result.exit_code == 1
    reported = dict(re.findall(r"^line (\d+): (.*)$", result.stderr, flags=re.M))
    assert sorted(map(int, reported)) == [3, 4, 5, 6, 7, 8, 9, 11]
    assert "not valid JSON" in reported["3"]
    assert "kind is missing" in reported["4"]
    assert 'unknown kind "vendor"' in reported["5"]
    assert (
        reported["6"].startswith("customer c3: ") and "already used by customer c1" in reported["6"]
    )
    assert "customers set-password" in reported["7"]
    assert "category loop: " in reported["8"] and "own ancestor" in reported["8"]
    assert "JSON object" in reported["9"]
    assert "unknown kind" in reported["11"]
    assert counts(result.stdout)["customer"] == [2, 0, 0, 2]
    assert "Skipped 1 blank lines." in result.stdout
    assert "Rejected 8 lines in all." in result.stdout
    assert get(api, "customers", "ok")["email"] == "ok@example.com"


def test_after_100_rejections_only_their_number_is_told(run):
    lines = [{"kind": "customer", "id": f"bad {n}"} for n in range(130)]
    result = run(jsonl(lines))
    assert result.exit_code == 1
    assert len(re.findall(r"^line \d+: ", result.stderr, flags=re.M)) == 100
    assert "... and 30 more rejected lines." in result.stderr
    assert "Rejected 130 lines in all." in result.stdout


def test_importing_again_updates_only_what_changed(run, api):
    assert run(jsonl(MIXED)).exit_code == 0
    again = run(jsonl(MIXED))
    assert again.exit_code == 0, again.output
    assert counts(again.stdout) == {
        "legalEntity": [0, 0, 1, 0],
        "customer": [0, 0, 2, 0],
        "category": [0, 0, 3, 0],
        "product": [0, 0, 1, 0],
    }
    assert get(api, "customers", "c1")["metadata"]["version"] == 1
    changed = [*MIXED[:1], {**MIXED[1], "firstName": "Jane"}, *MIXED[2:]]
    third = run(jsonl(changed))
    assert counts(third.stdout)["customer"] == [0, 1, 1, 0]
    assert get(api, "customers", "c1")["metadata"]["version"] == 2
    assert get(api, "customers", "c2")["metadata"]["version"] == 1


def test_standard_input_is_read_for_a_dash(cli, tenant, api):
    result = cli.invoke(
        args=["directory", "import", "--tenant", TENANT, "-"], input=gzip.compress(jsonl(MIXED))
    )
    assert result.exit_code == 0, result.output
    assert counts(result.stdout)["customer"] == [2, 0, 0, 0]


def test_a_truncated_gzip_file_is_an_error_that_names_the_file(run, tmp_path):
    content = gzip.compress(jsonl(MIXED * 50))
    result = run(content[: len(content) // 2], "cut.gz")
    assert result.exit_code == 1
    assert "cut.gz cannot be read" in result.output


def test_an_unknown_tenant_is_a_usage_error(cli, tenant, tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    result = cli.invoke(args=["directory", "import", "--tenant", "nobody", str(path)])
    assert result.exit_code == 2
    assert "No tenant named 'nobody'" in result.output


def test_no_progress_bar_without_a_terminal(run):
    result = run(jsonl(MIXED))
    assert "Importing" not in result.output


# -- set-password ---------------------------------------------------------------------------------


def token_for(client, make_client, username: str, password: str):
    creds = make_client(scopes=(SCOPE_READ_OWN,), grants=("password",))
    return client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers={"Authorization": creds.basic},
    )


def set_password(cli, customer_id: str, password: str):
    return cli.invoke(
        args=["customers", "set-password", "--tenant", TENANT, customer_id], input=password + "\n"
    )


def test_a_customer_signs_in_with_the_password_an_operator_set(run, cli, client, make_client):
    assert run(jsonl(MIXED)).exit_code == 0
    result = set_password(cli, "c1", "correct horse")
    assert result.exit_code == 0, result.output
    assert "c1" in result.output and "correct horse" not in result.output
    response = token_for(client, make_client, "  JANE@example.COM", "correct horse")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["scope"] == SCOPE_READ_OWN
    assert token_for(client, make_client, "jane@example.com", "wrong horse").status_code == 400


def test_importing_again_keeps_the_password(run, cli, client, make_client):
    assert run(jsonl(MIXED)).exit_code == 0
    assert set_password(cli, "c1", "correct horse").exit_code == 0
    changed = [{**MIXED[1], "lastName": "Doe"}]
    assert run(jsonl(changed)).exit_code == 0
    assert token_for(client, make_client, "jane@example.com", "correct horse").status_code == 200


@pytest.mark.parametrize(
    ("customer_id", "password", "message"),
    [
        ("c1", "short", "at least 8 characters"),
        ("nobody", "long enough", "Customer nobody is not in this tenant's directory."),
        ("c2b", "long enough", "has no e-mail"),
    ],
)
def test_set_password_refuses_what_cannot_work(run, cli, customer_id, password, message):
    assert run(jsonl([*MIXED, {"kind": "customer", "id": "c2b"}])).exit_code == 0
    result = set_password(cli, customer_id, password)
    assert result.exit_code == 1
    assert message in result.output
