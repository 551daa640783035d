"""`flask users create`: a dashboard login made from the command line."""

from __future__ import annotations

import re

from tests.logins import log_in


def _login(app, email: str, password: str) -> int:
    return log_in(app.test_client(), "acme", email, password).status_code


def test_password_from_standard_input(app, cli, tenant):
    result = cli.invoke(
        args=[
            "users",
            "create",
            "--tenant",
            "acme",
            "--email",
            "Mia@Acme.example",
            "--role",
            "admin",
        ],
        input="a long piped password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin mia@acme.example of tenant acme." in result.output
    assert "Password" not in result.output  # the operator chose it: never echoed
    assert _login(app, "mia@acme.example", "a long piped password") == 303


def test_generated_password_is_printed_once_and_works(app, cli, tenant):
    result = cli.invoke(args=["users", "create", "--tenant", "acme", "--email", "leo@acme.example"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Password \(shown only this once\): (\S+)", result.output).group(1)
    assert "Created editor leo@acme.example" in result.output
    assert _login(app, "leo@acme.example", password) == 303
    listed = cli.invoke(args=["users", "list", "--tenant", "acme"])
    assert "leo@acme.example\teditor" in listed.output


def test_refusals_say_why_and_create_nothing(app, cli, tenant):
    short = cli.invoke(
        args=["users", "create", "--tenant", "acme", "--email", "a@acme.example"], input="short\n"
    )
    assert short.exit_code != 0
    assert "at least 10 characters" in short.output
    unknown = cli.invoke(args=["users", "create", "--tenant", "nobody", "--email", "b@x.example"])
    assert unknown.exit_code != 0
    assert "No tenant named 'nobody'" in unknown.output
    role = cli.invoke(
        args=["users", "create", "--tenant", "acme", "--email", "c@x.example", "--role", "owner"]
    )
    assert role.exit_code != 0
    assert cli.invoke(args=["users", "list", "--tenant", "acme"]).output == ""
    first = cli.invoke(args=["users", "create", "--tenant", "acme", "--email", "d@acme.example"])
    assert first.exit_code == 0
    again = cli.invoke(args=["users", "create", "--tenant", "acme", "--email", "D@acme.example"])
    assert again.exit_code != 0
    assert "already has an account" in again.output
