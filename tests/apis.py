"""Helpers shared by the customer, item and storefront API tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from segments_app.extensions import db
from tests.conftest import SCOPE_READ_OWN, TENANT, Api

PASSWORD = "correct horse battery staple"


@contextmanager
def directory(app) -> Iterator[None]:
    """Insert reference data with the factories; committed when the block ends."""
    with app.app_context():
        yield
        db.session.commit()


def customer_api(client, make_client, email: str, password: str = PASSWORD) -> Api:
    """An Api speaking with a storefront token of the customer with `email`."""
    creds = make_client(scopes=(SCOPE_READ_OWN,), grants=("password",))
    response = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": email, "password": password},
        headers={"Authorization": creds.basic},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return Api(client, response.get_json()["access_token"], TENANT)


def statuses(response) -> list[int]:
    """The per-element codes of a 207 body, in request order."""
    assert response.status_code == 207, response.get_data(as_text=True)
    body = response.get_json()
    assert [entry["index"] for entry in body] == list(range(len(body)))
    return [entry["code"] for entry in body]


def ids(response, key: Callable[[dict], str]) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [key(doc) for doc in response.get_json()]


@contextmanager
def statements(app) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
