"""The README's run command (`flask start`): demo data on first run, and a login that works."""

from __future__ import annotations

import re

from segments_app.cli import run as commands
from tests.logins import CSRF


def test_start_loads_demo_once_and_prints_a_dashboard_login_that_works(app, monkeypatch):
    served = []
    monkeypatch.setattr(commands, "run_simple", lambda host, port, *a, **kw: served.append(port))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["start", "--port", "5099"])
    assert first.exit_code == 0, first.output
    assert "First run: loading demo data" in first.output
    assert served == [5099]
    login = re.search(
        r"Log in to the dashboard at http://127.0.0.1:5099(/login\?team=\S+)\n"
        r"\s+team (\S+), e-mail (\S+), password (\S+)",
        first.output,
    )
    assert login is not None, first.output

    client = app.test_client()
    form = client.get(login[1]).get_data(as_text=True)
    assert f'name="team" type="text" value="{login[2]}"' in form  # the link fills the team in
    signed_in = client.post(
        "/login",
        data={
            "team": login[2],
            "email": login[3],
            "password": login[4],
            "csrf_token": CSRF.search(form).group(1),
        },
    )
    assert signed_in.status_code == 303
    overview = client.get("/").get_data(as_text=True)
    assert "demo" in overview

    again = runner.invoke(args=["start", "--port", "5099"])
    assert again.exit_code == 0, again.output
    assert "First run" not in again.output
    assert "Log in to the dashboard at" in again.output
