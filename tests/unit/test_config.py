"""Settings come from the environment; production refuses to run without a secret."""

from __future__ import annotations

import importlib
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import segments_app.config as config_module
from segments_app import create_app
from segments_app.config import _database_url, config_from_env, secret_key

ROOT = Path(__file__).resolve().parents[2]


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("SEGMENTS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SEGMENTS_ENV", "production")
    with pytest.raises(RuntimeError, match="shorter than 32 bytes"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="shorter than 32 bytes"):
        create_app({"SECRET_KEY": "k" * 31, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app = create_app({"SECRET_KEY": "k" * 32, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.secret_key == "k" * 32


def _served(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Load wsgi:app in a fresh process, as gunicorn does, and print the key it signs with."""
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SEGMENTS_ENV")}
    return subprocess.run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.secret_key)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.e2e
def test_served_in_production_with_a_one_character_key_refuses_to_start():
    result = _served({"SEGMENTS_ENV": "production", "SECRET_KEY": "x"})
    assert result.returncode != 0
    assert "SECRET_KEY is 1 bytes long" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr  # says how to make one


@pytest.mark.e2e
def test_served_without_a_key_signs_with_a_random_one_kept_in_a_file(tmp_path):
    key_file = tmp_path / "instance" / "secret_key"
    first = _served({"SECRET_KEY_FILE": str(key_file)})
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 32
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = _served({"SECRET_KEY_FILE": str(key_file)})
    assert again.stdout.strip() == key


def test_development_without_a_key_makes_one_in_instance_and_reuses_it(monkeypatch, tmp_path):
    monkeypatch.delenv("SEGMENTS_ENV", raising=False)
    overrides = {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    assert secret_key(overrides, str(tmp_path)) == (tmp_path / "secret_key").read_text().strip()

    key_file = tmp_path / "elsewhere" / "secret_key"
    first = create_app({**overrides, "SECRET_KEY_FILE": str(key_file)})
    second = create_app({**overrides, "SECRET_KEY_FILE": str(key_file)})
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert first.secret_key != (tmp_path / "secret_key").read_text().strip()  # random
    # a session signed by one process is good in the next one
    cookie = first.session_interface.get_signing_serializer(first).dumps({"user": "1"})
    assert second.session_interface.get_signing_serializer(second).loads(cookie) == {"user": "1"}


def test_workers_starting_together_end_with_the_same_key(tmp_path):
    key_file = tmp_path / "secret_key"
    config = {"ENV_NAME": "development", "SECRET_KEY_FILE": str(key_file)}
    start = threading.Barrier(16)
    keys: list[str] = []

    def worker() -> None:
        start.wait()
        keys.append(secret_key(config, str(tmp_path)))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16
    assert set(keys) == {key_file.read_text().strip()}
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no drafts left behind


def test_a_damaged_key_file_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="delete it"):
        secret_key({"ENV_NAME": "development"}, str(tmp_path))


def test_no_public_development_key_is_left_in_the_code():
    for path in (ROOT / "segments_app").rglob("*.py"):
        assert "dev-only-secret" not in path.read_text(encoding="utf-8"), path


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
    app = create_app({"SQLALCHEMY_DATABASE_URI": None, "SECRET_KEY": "x"})
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
