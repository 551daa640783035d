"""Settings, read from the environment; secrets never have defaults in production."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

#: production refuses a SECRET_KEY shorter than this many bytes
SECRET_KEY_MIN_BYTES = 32
_MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


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
    #: signs sessions and CSRF tokens; required in production. Unset elsewhere, a random key is
    #: made on first run into SECRET_KEY_FILE (None: instance/secret_key) and read from there
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FILE = os.environ.get("SECRET_KEY_FILE") or None
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
    #: is taken for interrupted and marked failed (by the next upload to its segment, and by
    #: the runner's or worker's check every IMPORT_HEARTBEAT_SECONDS, or IMPORT_STALE_SECONDS/4
    #: when that is shorter)
    IMPORT_HEARTBEAT_SECONDS = _int("IMPORT_HEARTBEAT_SECONDS", 10)
    IMPORT_STALE_SECONDS = _int("IMPORT_STALE_SECONDS", 120)
    #: RQ stops a job that runs longer than this (seconds)
    IMPORT_JOB_TIMEOUT = _int("IMPORT_JOB_TIMEOUT", 3600)
    #: rules with relative dates (withinLastDays) are evaluated again this often, in minutes, by
    #: the embedded runner or the RQ worker (0: only by `flask segments refresh`)
    RULE_REFRESH_MINUTES = _int("RULE_REFRESH_MINUTES", 5)

    #: password attempts (dashboard logins and the storefront's password grant): per login and
    #: address, and (dashboard only) per address across logins, within LOGIN_WINDOW_SECONDS; per
    #: login from any address within LOGIN_ACCOUNT_WINDOW_SECONDS (see services/throttle.py)
    LOGIN_ATTEMPTS = _int("LOGIN_ATTEMPTS", 5)
    LOGIN_ADDRESS_ATTEMPTS = _int("LOGIN_ADDRESS_ATTEMPTS", 20)
    LOGIN_WINDOW_SECONDS = _int("LOGIN_WINDOW_SECONDS", 60)
    LOGIN_ACCOUNT_ATTEMPTS = _int("LOGIN_ACCOUNT_ATTEMPTS", 100)
    LOGIN_ACCOUNT_WINDOW_SECONDS = _int("LOGIN_ACCOUNT_WINDOW_SECONDS", 900)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 512 * 1024 * 1024)


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True


def config_from_env() -> type[Config]:
    """Pick the config class from SEGMENTS_ENV (development or production)."""
    name = os.environ.get("SEGMENTS_ENV", "development").lower()
    if name == "production":
        return ProductionConfig
    if name not in ("development", "dev", "test"):
        raise RuntimeError(f"SEGMENTS_ENV must be 'development' or 'production', got {name!r}")
    return Config


def secret_key(config: Mapping, instance_path: str) -> str | bytes:
    """The key that signs sessions: SECRET_KEY, long enough in production; outside production,
    when it is unset, the random key kept in SECRET_KEY_FILE (made on first run)."""
    key = config.get("SECRET_KEY")
    if config.get("ENV_NAME") == "production":
        if not key:
            raise RuntimeError(
                "SECRET_KEY is not set. Production refuses to start without it: set SECRET_KEY "
                f"to a long random value, for example the output of {_MAKE_A_KEY}"
            )
        size = len(key if isinstance(key, bytes) else key.encode())
        if size < SECRET_KEY_MIN_BYTES:
            raise RuntimeError(
                f"SECRET_KEY is {size} bytes long. Production refuses a key shorter than "
                f"{SECRET_KEY_MIN_BYTES} bytes: set SECRET_KEY to a long random value, for "
                f"example the output of {_MAKE_A_KEY}"
            )
        return key
    if key:
        return key
    return _kept_key(Path(config.get("SECRET_KEY_FILE") or Path(instance_path) / "secret_key"))


def _kept_key(path: Path) -> str:
    """The key in `path`, written there first if there is none yet.

    Workers that start together may all find no file: each writes its own key to a private
    temporary file (created exclusively, mode 0600) and links it to `path`. Linking fails when
    `path` exists, so exactly one key lands there, complete, and every loser reads that one.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        key = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w") as out:
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            return _read_key(path)
        return key
    finally:
        os.unlink(draft)


def _read_key(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key.encode()) < SECRET_KEY_MIN_BYTES:
        raise RuntimeError(
            f"{path} holds no usable key (fewer than {SECRET_KEY_MIN_BYTES} bytes): delete it "
            "and a new one is made, or set SECRET_KEY."
        )
    return key
