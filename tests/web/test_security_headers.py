"""Every response carries the security headers: a strict Content-Security-Policy (the API
reference its own, with a nonce), no sniffing, no framing, same-origin referrers, and HSTS
only over https."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from segments_app import create_app

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def assert_guarded(response, policy: str = STRICT) -> None:
    headers = response.headers
    assert headers["Content-Security-Policy"] == policy, response.request.path
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain http


def test_every_kind_of_response_carries_the_headers(client, api, editor):
    responses = {
        "page": editor.get("/"),
        "fragment": editor.get("/segments", htmx=True),
        "login page": client.get("/login"),
        "API JSON": api.get("/segments"),
        "API error": client.get("/customer-segment/acme/segments"),
        "static file": client.get("/static/css/app.css"),
        "OpenAPI document": client.get("/openapi.json"),
        "health": client.get("/healthz"),
        "error page": editor.get("/segments/nonesuch"),
        "unknown URL": client.get("/no/such/page"),
        "refused form": editor.post("/segments/nonesuch/delete", csrf=False),
        "token endpoint": client.post("/oauth/token", data={"grant_type": "client_credentials"}),
    }
    statuses = {kind: response.status_code for kind, response in responses.items()}
    assert statuses == {
        "page": 200,
        "fragment": 200,
        "login page": 200,
        "API JSON": 200,
        "API error": 401,
        "static file": 200,
        "OpenAPI document": 200,
        "health": 200,
        "error page": 404,
        "unknown URL": 404,
        "refused form": 400,
        "token endpoint": 401,
    }
    for response in responses.values():
        assert_guarded(response)


def test_the_api_reference_allows_only_its_own_nonce_and_known_styles(client):
    first, second = client.get("/docs"), client.get("/docs")
    assert first.status_code == 200
    policy = first.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", policy).group(1)
    directives = dict(part.split(" ", 1) for part in policy.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"].startswith(f"'self' 'nonce-{nonce}' 'sha256-")
    assert directives["worker-src"] == "'self' blob:"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    # the page hands its nonce to Redoc through its script, and every answer gets a new one
    assert f'nonce="{nonce}"' in first.get_data(as_text=True)
    assert nonce not in second.headers["Content-Security-Policy"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["X-Frame-Options"] == "DENY"


def test_hsts_only_over_https(client):
    secure = client.get("/healthz", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    # a forwarded https counts only when a trusted proxy says so (PROXY_FIX_HOPS)
    forwarded = {"X-Forwarded-Proto": "https"}
    assert "Strict-Transport-Security" not in client.get("/healthz", headers=forwarded).headers
    behind_proxy = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "PROXY_FIX_HOPS": 1}
    )
    response = behind_proxy.test_client().get("/healthz", headers=forwarded)
    assert response.headers["Strict-Transport-Security"] == HSTS


@pytest.mark.parametrize(
    "inline",
    [r"\shx-on", r"\sstyle=", r"<style", r"<script(?![^>]*\ssrc=)", r"\son[a-z]+=", "javascript:"],
)
def test_no_template_holds_inline_script_or_style(inline):
    """The policy would block them: behaviour lives in static/js, looks in static/css."""
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)!r}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(inline, path.read_text(encoding="utf-8"))
    ]
    assert not found
