"""Settings, read from the environment; secrets never have defaults in production."""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {raw!r}") from exc


def _database_url() -> str | None:
    """DATABASE_URL, with the psycopg 3 driver filled in; None means the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    for plain in ("postgres://", "postgresql://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url.removeprefix(plain)
    return url


class Config:
    """Defaults for development and the embedded run; every value can come from the environment."""

    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-secret-do-not-use-in-production"
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    #: lifetime of OAuth access tokens, in seconds
    TOKEN_LIFETIME = _int("TOKEN_LIFETIME", 3600)
    #: paging: the default and the largest pageSize an API list accepts
    PAGE_SIZE_DEFAULT = _int("PAGE_SIZE_DEFAULT", 60)
    PAGE_SIZE_MAX = _int("PAGE_SIZE_MAX", 1000)
    #: bulk endpoints accept at most this many elements
    BULK_LIMIT = _int("BULK_LIMIT", 200)
    #: directory PUT endpoints accept at most this many records
    DIRECTORY_BULK_LIMIT = _int("DIRECTORY_BULK_LIMIT", 1000)
    #: the largest JSON request body the API reads, in bytes (member files have their own limit)
    API_JSON_MAX_BYTES = _int("API_JSON_MAX_BYTES", 4 * 1024 * 1024)
    #: PostgreSQL cancels a statement of a request that runs longer than this, in milliseconds
    #: (0: never); member imports, the directory import and demo loading lift it
    STATEMENT_TIMEOUT_MS = _int("STATEMENT_TIMEOUT_MS", 30_000)
    #: number of proxies in front of the app that set X-Forwarded-* (0: trust none)
    PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)

    #: member imports: where uploaded files are kept (None: instance/imports) and the limits
    #: a file is refused beyond (rows; bytes of CSV once uncompressed)
    IMPORT_DIR = os.environ.get("IMPORT_DIR") or None
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 5_000_000)
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 500 * 1024 * 1024)
    #: imports run on RQ workers through this Redis when set, else in the app's own threads
    REDIS_URL = os.environ.get("REDIS_URL") or None
    IMPORT_QUEUE = os.environ.get("IMPORT_QUEUE") or "imports"
    #: threads of the embedded runner (imports of different segments run side by side)
    IMPORT_WORKERS = _int("IMPORT_WORKERS", 2)
    #: a running import renews its heartbeat this often; one silent for IMPORT_STALE_SECONDS
    #: is taken for interrupted at the next start
    IMPORT_HEARTBEAT_SECONDS = _int("IMPORT_HEARTBEAT_SECONDS", 10)
    IMPORT_STALE_SECONDS = _int("IMPORT_STALE_SECONDS", 120)
    #: RQ stops a job that runs longer than this (seconds)
    IMPORT_JOB_TIMEOUT = _int("IMPORT_JOB_TIMEOUT", 3600)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 512 * 1024 * 1024)


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. Production refuses to start without it: "
                "set SECRET_KEY to a long random value (python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')."
            )


def config_from_env() -> type[Config]:
    """Pick the config class from SEGMENTS_ENV (development or production)."""
    name = os.environ.get("SEGMENTS_ENV", "development").lower()
    if name == "production":
        ProductionConfig.check()
        return ProductionConfig
    if name not in ("development", "dev", "test"):
        raise RuntimeError(f"SEGMENTS_ENV must be 'development' or 'production', got {name!r}")
    return Config
