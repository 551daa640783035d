from __future__ import annotations


def test_healthz_answers_without_the_database(app, monkeypatch):
    from segments_app.extensions import db

    def no_database(*args, **kwargs):
        raise AssertionError("healthz must not touch the database")

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", no_database)
        response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
