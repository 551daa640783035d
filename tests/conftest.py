"""Fixtures: a migrated database per test run (SQLite, or PostgreSQL from DATABASE_URL), an app,
clients, and factories for tenants, API clients and tokens. The member-import fixtures live in
tests/imports_support.py, registered here as a plugin; helpers the tests import live in modules
of their own (tests/apis.py, factories.py, logins.py, pages.py, sql.py), never in a conftest."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from _pytest.mark.expression import Expression
from flask_migrate import upgrade
from werkzeug import security
from werkzeug.serving import make_server

import tests.hypotheses  # noqa: F401 (loads the Hypothesis profile before the test modules)
from segments_app import create_app, jobs
from segments_app.extensions import db
from segments_app.models import CustomerAssignment, ItemAssignment, Segment
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from segments_app.services.tenants import create_tenant
from tests.apis import Api, Credentials
from tests.factories import OTHER_TENANT, TENANT

pytest_plugins = ["tests.imports_support"]

#: a module whose every test carries these marks and which costs seconds to collect in each
#: process: schemathesis draws every operation's cases while collecting
_COSTLY_TO_COLLECT = {"test_schemathesis.py": ("e2e", "live")}


def pytest_ignore_collect(collection_path, config):
    """Leave such a module uncollected when `-m` deselects it anyway (the fast run's
    `-m "not e2e"`). `Expression` is pytest's own reader of -m, not public API."""
    marks = _COSTLY_TO_COLLECT.get(collection_path.name)
    markexpr = config.getoption("markexpr")
    if marks and markexpr:
        selected = Expression.compile(markexpr).evaluate(lambda name, **_: name in marks)
        return True if not selected else None
    return None


#: the scrypt cost passwords are hashed with in tests: werkzeug's default (N=2**15) takes a few
#: hundred milliseconds a hash or a check, which would be most of the time the suite takes
TEST_SCRYPT = "scrypt:1024:8:1"
#: werkzeug's own hashing, at the cost its caller asks for
_REAL_HASH = security._hash_internal


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgresql", "postgres:")):
        return url.replace("postgresql://", "postgresql+psycopg://", 1).replace(
            "postgres://", "postgresql+psycopg://", 1
        )
    return None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A fresh, empty database for this run; dropped at the end."""
    base = _postgres_url()
    if base is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'segments.db'}"
        return
    name = f"segments_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _clear(app) -> None:
    """Delete every row. Tests cannot instead run in a transaction rolled back at their end: the
    code under test commits from other connections (the import runner's threads, the login
    throttle, live servers). On PostgreSQL the deletes go in one round trip, which is most of
    their cost there; TRUNCATE is far slower on tables this small."""
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                quote = conn.dialect.identifier_preparer.format_table
                conn.exec_driver_sql("; ".join(f"DELETE FROM {quote(table)}" for table in tables))
            else:
                for table in tables:
                    conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_database(request) -> Iterator[None]:
    """Each test starts with empty tables (only for tests that use the app), and without the
    background runner a test started (its timer would send statements during later tests).
    A test using shared_rows leaves its class's rows for the class's next test."""
    yield
    if "app" in request.fixturenames and "shared_rows" not in request.fixturenames:
        app = request.getfixturevalue("app")
        jobs.shutdown(app)
        _clear(app)


@pytest.fixture(scope="class")
def shared_rows(app) -> Iterator[None]:
    """For a class whose tests read rows that a class-scoped fixture (depending on this one)
    makes once, where making them for each test would cost most of the class's time: the
    tables are emptied after the class's last test instead of after each. Its tests must
    leave the rows as they found them (tests/api/test_isolation.py checks so by snapshot)."""
    yield
    jobs.shutdown(app)
    _clear(app)


@pytest.fixture(autouse=True)
def _counts_stay_exact(request) -> Iterator[None]:
    """After each test that used the database, every segment's stored member and item counts
    equal its assignments counted: a write path that forgets services.counters fails here."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    jobs.shutdown(app)
    stmt = sa.select(
        Segment.id,
        Segment.member_count,
        sa.select(sa.func.count())
        .where(CustomerAssignment.segment_pk == Segment.pk)
        .scalar_subquery(),
        Segment.item_count,
        sa.select(sa.func.count()).where(ItemAssignment.segment_pk == Segment.pk).scalar_subquery(),
    )
    with app.app_context(), db.engine.connect() as conn:
        wrong = [row for row in conn.execute(stmt) if row[1] != row[2] or row[3] != row[4]]
    assert not wrong, f"stored counts differ from the assignments (id, stored, actual...): {wrong}"


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Passwords hashed during the run use scrypt at TEST_SCRYPT's cost (the hash names its
    cost, so checking it is as cheap), in fixtures of any scope. werkzeug has no setting for
    this; if its private _hash_internal goes, setattr fails loudly."""

    def cheaper(method: str, salt: str, password: str) -> tuple[str, str]:
        return _REAL_HASH(TEST_SCRYPT if method == "scrypt" else method, salt, password)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hash_internal", cheaper)
        yield


@pytest.fixture(autouse=True)
def _real_password_cost(request, monkeypatch) -> None:
    """A test whose race needs checks as slow as in production keeps werkzeug's cost with
    @pytest.mark.real_password_cost."""
    if request.node.get_closest_marker("real_password_cost") is not None:
        monkeypatch.setattr(security, "_hash_internal", _REAL_HASH)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


@pytest.fixture
def tenant(app):
    """Tenant 'acme' with languages en and de."""
    with app.app_context():
        t = create_tenant(TENANT, ["en", "de"], "en")
        db.session.commit()
        return t.name


@pytest.fixture
def other_tenant(app):
    with app.app_context():
        t = create_tenant(OTHER_TENANT, ["en"], "en")
        db.session.commit()
        return t.name


@pytest.fixture
def make_client(cli):
    """Create an API client through the operator CLI; returns its credentials."""

    def make(
        tenant: str = TENANT, scopes=(SCOPE_MANAGE, SCOPE_READ), grants=("client_credentials",)
    ) -> Credentials:
        args = ["api-clients", "create", "--tenant", tenant]
        for scope in scopes:
            args += ["--scope", scope]
        for grant in grants:
            args += ["--grant", grant]
        result = cli.invoke(args=args)
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        return Credentials(data["client_id"], data["client_secret"], tenant)

    return make


@pytest.fixture
def make_token(client, make_client):
    """A bearer token for a new client of `tenant` with `scopes` (via POST /oauth/token)."""

    def make(scopes=(SCOPE_MANAGE, SCOPE_READ), tenant: str = TENANT) -> str:
        creds = make_client(tenant, scopes)
        response = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": creds.basic},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["access_token"]

    return make


@pytest.fixture
def api(client, tenant, make_token) -> Api:
    """Manage + read access to tenant 'acme'."""
    return Api(client, make_token())


@pytest.fixture
def make_api(client, tenant, make_token):
    def make(scopes=(SCOPE_MANAGE, SCOPE_READ), tenant: str = TENANT) -> Api:
        return Api(client, make_token(scopes, tenant), tenant)

    return make


@pytest.fixture
def make_segment(api):
    """Create a segment through the API; returns its id."""

    def make(**overrides) -> str:
        body = {"name": {"en": "Gold"}, "siteCode": "main", "status": "ACTIVE"}
        body.update(overrides)
        response = api.post("/segments", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    return make


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 on a free port, in a thread; stopped after the test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for the serving loop's next poll: half a second by default
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
