"""Security headers on every response: a Content-Security-Policy that allows nothing inline,
no MIME sniffing, no framing, referrers kept to this site, and HSTS over https."""

from __future__ import annotations

from flask import Flask, Response, request

#: what the pages load: this server's scripts, styles, fonts and images (plus data: images, the
#: favicon) and requests to it; nothing inline, nothing evaluated, nothing framed
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HSTS = "max-age=31536000; includeSubDomains"


def policy_header(**changes: str) -> str:
    """POLICY as a header value, with `changes` (directive names in snake_case) replacing or
    adding directives."""
    directives = POLICY | {name.replace("_", "-"): value for name, value in changes.items()}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


STRICT = policy_header()


def own_policy(response: Response, **changes: str) -> Response:
    """Give one response POLICY with `changes` instead of POLICY itself."""
    response.headers["Content-Security-Policy"] = policy_header(**changes)
    return response


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", STRICT)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    # is_secure follows X-Forwarded-Proto when PROXY_FIX_HOPS trusts the proxy that sets it.
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    return response


def register(app: Flask) -> None:
    app.after_request(add_headers)
