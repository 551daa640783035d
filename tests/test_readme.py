"""The README's API quick start works verbatim against a running app."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from segments_app.extensions import db
from segments_app.services.demo import load_demo
from tests.logins import log_in

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def section_blocks(title: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


DIRECTORY = "The directory: customers, legal entities, categories, products"


def quickstart_blocks() -> list[str]:
    return section_blocks("API quick start")


def dashboard_blocks() -> list[str]:
    return section_blocks("The dashboard")


def operating_blocks() -> list[str]:
    """The operator's commands (the Docker block after them needs a Docker engine)."""
    return section_blocks("Operating")[:1]


def test_readme_opens_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```sh\n(.*?)\n```", setup, flags=re.S) == [
        "./scripts/run",
        "./scripts/test",
    ]


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_quickstart_runs_verbatim(app, live_server, database_url):
    with app.app_context():
        load_demo()
        db.session.commit()
    port = live_server.rsplit(":", 1)[1]
    # the member import examples run after the quick start, with its token
    imports = section_blocks("Member imports")[:2]
    # then the directory file and a storefront login, new logins, and the operator's commands
    directory = section_blocks(DIRECTORY)
    blocks = quickstart_blocks() + imports + directory + dashboard_blocks() + operating_blocks()
    jsonl = re.findall(r"```jsonl\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    (ROOT / "directory.jsonl").write_text(jsonl[0], encoding="utf-8")
    script = "set -e\n" + "\n".join(
        f"echo '### block {n}'\n{block}" for n, block in enumerate(blocks)
    )
    script = script.replace("http://127.0.0.1:5000", f"http://127.0.0.1:{port}")
    env = {**os.environ, "DATABASE_URL": database_url}
    try:
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        (ROOT / "directory.jsonl").unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    out = {
        int(n): chunk
        for n, chunk in re.findall(r"### block (\d+)\n(.*?)(?=### block|\Z)", result.stdout, re.S)
    }
    assert out[0].startswith("token: ")
    assert " ".join(out[1].split()) == '{"id":"vip"} 201'
    assert '"name":{"de":"VIP-Kunden"}' in out[2]
    assert "X-Total-Count: 5" in out[3]
    assert out[3].count('"id":') == 2
    assert out[4].startswith("204")
    assert '"status":"INACTIVE"' in out[4] and '"version":2' in out[4]
    assert '"code":409' in out[5]
    assert '"index":0' in out[6] and '"code":201' in out[6] and '"code":400' in out[6]
    assert out[7].strip() == "204"
    assert "Previewed: preview" in out[8] and "Applied: import" in out[8], out[8]
    assert re.search(r"valid rows\s+2\b", out[8]), out[8]
    assert out[9].rstrip().endswith(" 202") and '"mode":"remove"' in out[9], out[9]
    # the directory file imports, and Jane logs in on the storefront with her e-mail
    assert "Rejected 0 lines" in out[10], out[10]
    assert " ".join(out[11].split()) == "[] 200", out[11]
    # new logins of the demo team, one of them given a new password
    assert "Created editor anna@demo.example of tenant demo." in out[12], out[12]
    assert "Password (shown only this once)" in out[12]
    assert "New password set for leo@demo.example" in out[12]
    # a new tenant with its first admin and clients; the quick start's client revoked
    assert "Created admin owner@shop.example of tenant shop." in out[13], out[13]
    assert out[13].count('"client_secret"') == 2
    denied = subprocess.run(
        ["curl", "-s", "-w", " %{http_code}", f"{live_server}/customer-segment/demo/segments"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert denied.stdout.endswith(" 401")


def test_readme_dashboard_logins_work(app, live_server):
    """The demo login the README gives, with its team, opens the dashboard."""
    with app.app_context():
        load_demo()
        db.session.commit()
    text = README.read_text(encoding="utf-8")
    login = re.search(r"team\s+`(\w+)`, e-mail `([^`]+)`, password `([^`]+)`", text)
    assert login is not None
    client = app.test_client()
    assert log_in(client, *login.groups()).status_code == 303
    assert "/login?team=demo" in text and client.get("/").status_code == 200
