from __future__ import annotations

from tests.sql import statements


def test_healthz_answers_without_the_database(app):
    with statements(app) as sent:
        response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert sent == [], "healthz must answer without sending any statement"


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
