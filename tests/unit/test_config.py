"""Settings come from the environment; production refuses to run without a secret."""

from __future__ import annotations

import importlib

import pytest

import segments_app.config as config_module
from segments_app import create_app
from segments_app.config import _database_url, config_from_env


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("SEGMENTS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_with_secret_key(monkeypatch):
    monkeypatch.setenv("SEGMENTS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    config = config_from_env()
    assert config.SESSION_COOKIE_SECURE is True


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("SEGMENTS_ENV", "staging")
    with pytest.raises(RuntimeError, match="SEGMENTS_ENV"):
        config_from_env()


def test_postgres_urls_get_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert _database_url() == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    assert _database_url() == "postgresql+psycopg://u@h/db"


def test_default_database_is_a_file_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/instance/segments.db")


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("TOKEN_LIFETIME", "120")
    monkeypatch.setenv("PAGE_SIZE_MAX", "500")
    reloaded = importlib.reload(config_module)
    try:
        assert reloaded.Config.TOKEN_LIFETIME == 120
        assert reloaded.Config.PAGE_SIZE_MAX == 500
    finally:
        monkeypatch.undo()
        importlib.reload(config_module)
