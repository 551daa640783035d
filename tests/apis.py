"""Speaking to the API in tests: a client with a bearer token, a storefront customer's token,
and reading multi-status answers."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from segments_app.models.tenants import SCOPE_READ_OWN
from tests.factories import TENANT

#: the password the tests give storefront customers
PASSWORD = "correct horse battery staple"


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    tenant: str

    @property
    def basic(self) -> str:
        raw = f"{self.client_id}:{self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()


class Api:
    """A test client that speaks to /customer-segment/<tenant>/ with a bearer token."""

    def __init__(self, client, token: str | None, tenant: str = TENANT):
        self.client = client
        self.token = token
        self.tenant = tenant

    def _headers(self, headers: dict | None) -> dict:
        out = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        out.update(headers or {})
        return out

    def url(self, path: str) -> str:
        return f"/customer-segment/{self.tenant}{path}"

    def request(self, method: str, path: str, *, headers=None, **kw):
        return self.client.open(self.url(path), method=method, headers=self._headers(headers), **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def customer_api(
    client, make_client, email: str, password: str = PASSWORD, tenant: str = TENANT
) -> Api:
    """An Api speaking with a storefront token of the customer of `tenant` with `email`."""
    creds = make_client(tenant, scopes=(SCOPE_READ_OWN,), grants=("password",))
    response = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": email, "password": password},
        headers={"Authorization": creds.basic},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return Api(client, response.get_json()["access_token"], tenant)


def statuses(response) -> list[int]:
    """The per-element codes of a 207 body, in request order."""
    assert response.status_code == 207, response.get_data(as_text=True)
    body = response.get_json()
    assert [entry["index"] for entry in body] == list(range(len(body)))
    return [entry["code"] for entry in body]


def ids(response, key: Callable[[dict], str]) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [key(doc) for doc in response.get_json()]
