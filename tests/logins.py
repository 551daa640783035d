"""Logging in to the dashboard the way a browser does, for tests: through the Flask test client
or a `requests` session against a live server."""

from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: the password of the dashboard users the tests create
PASSWORD = "correct horse battery"


def log_in(http, team: str, email: str, password: str, base: str = "", **headers):
    """Fetch the login form, post it with its CSRF token; returns the answer (303 on success)."""
    extra = {"timeout": 30, "allow_redirects": False} if base else {}
    page = http.get(f"{base}/login", headers=headers, **extra)
    token = CSRF.search(page.text).group(1)
    data = {"team": team, "email": email, "password": password, "csrf_token": token}
    return http.post(f"{base}/login", data=data, headers=headers, **extra)
