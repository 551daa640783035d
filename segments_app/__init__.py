"""Segments: a customer segment service with an Emporix-compatible API and a marketer dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import cast

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors, models, security, transaction  # noqa: F401  (models registers every table)
from .api import bp as api_bp
from .auth import bp as auth_bp
from .auth.oauth import init_oauth
from .cli import register_cli
from .config import Config, config_from_env, secret_key
from .docs import bp as docs_bp
from .extensions import (
    SQLITE_MODULE,
    csrf,
    db,
    htmx,
    login_manager,
    migrate,
    ping_idle_connections,
    read_only_requests,
)
from .health import bp as health_bp
from .web import bp as web_bp
from .web.htmx import wants_fragment

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | Mapping | None = None) -> Flask:
    """Build the app; `config` is a config class or a mapping of overrides (tests)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    if config is None or isinstance(config, Mapping):
        app.config.from_object(config_from_env())
        app.config.update(config or {})
    else:
        app.config.from_object(config)
    # Outside production an unset key is made once into instance/ and shared by every worker,
    # so no process signs with a key that anyone could know.
    app.config["SECRET_KEY"] = secret_key(app.config, app.instance_path)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        # The embedded default: one SQLite file under instance/, made on first run.
        Path(app.instance_path).mkdir(exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'segments.db'}"
        )
    if not uri or uri.startswith("sqlite"):
        # the newer SQLite where its wheel installed (extensions.SQLITE_MODULE); a caller's wins
        options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"module": SQLITE_MODULE, **options}
    else:
        # A server database may drop idle connections: recycle old ones (idle ones are pinged
        # before use, see ping_idle_connections below).
        # psycopg prepares repeated statements; a generic plan for a 5,000-value IN list is
        # catastrophic, so PostgreSQL plans every execution for its actual values.
        # No JIT: every statement here reads a bounded answer through indexes, and the planner's
        # guess at a recursive walk's size can pass the JIT's cost threshold, and compiling
        # then costs far more than the query it speeds up.
        # A statement of a request that runs past STATEMENT_TIMEOUT_MS is cancelled (a 503 that
        # says so); background work lifts the limit for itself (see services.longwork).
        options = "-c plan_cache_mode=force_custom_plan -c jit=off"
        options += f" -c statement_timeout={int(app.config['STATEMENT_TIMEOUT_MS'])}"
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_recycle": 1800,
            "connect_args": {"options": options},
        }
    provider = cast(DefaultJSONProvider, app.json)  # Flask's own provider: nothing replaces it
    provider.sort_keys = False
    provider.ensure_ascii = False

    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Flask documents wrapping wsgi_app so; its stubs declare it a method all the same
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            ping_idle_connections(db.engine)
    # first of the request hooks: a read opens no transaction (see read_only_session)
    app.before_request(read_only_requests)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)

    init_oauth(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    app.register_blueprint(docs_bp)
    csrf.exempt(api_bp)
    errors.register(app, wants_fragment)
    security.register(app)
    transaction.register(app)
    register_cli(app)
    return app
