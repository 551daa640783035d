"""Extensions, created unbound and bound in create_app."""

from __future__ import annotations

import sqlite3
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, cast

from flask import request
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        # every model maps a Table (DeclarativeBase allows any FromClause, a select's say)
        __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# What models derive from: db.Model at run time (it adds the query property and the table name);
# a type checker cannot follow a class made at run time, so it sees the declarative base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

#: a session a service may be handed: its own (an import's, a test's) or db.session, the
#: request's scoped_session, which stands in for the session it holds
DbSession: TypeAlias = Session | scoped_session[Any]


def rowcount(result: Result[Any]) -> int:
    """The rows that an INSERT, UPDATE or DELETE run by Session.execute changed: its result is
    a CursorResult, which Session.execute's signature only promises as a Result."""
    return cast(CursorResult[Any], result).rowcount


def _sqlite_module() -> ModuleType:
    """The driver of the embedded database: pysqlite3 where its wheel installs (a newer SQLite,
    whose binary JSON rules read two to three times faster than text, see README "Set up"), else
    Python's own sqlite3 (older on most systems; everything works, rules read text)."""
    try:
        import pysqlite3.dbapi2 as newer
    except ImportError:
        return sqlite3
    return newer


#: the DB-API module SQLite engines use (create_app passes it as the engine's `module`)
SQLITE_MODULE = _sqlite_module()
#: a driver connection of either SQLite module
SQLITE_CONNECTIONS: tuple[type[sqlite3.Connection], ...] = tuple(
    {sqlite3.Connection, SQLITE_MODULE.Connection}
)
#: the first SQLite with jsonb(); older ones get _jsonb_as_text
JSONB_SQLITE = (3, 45, 0)


def _jsonb_as_text(value: str | None) -> str | None:
    return value


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers and one writer work at once, wait on locks."""
    if not isinstance(dbapi_connection, SQLITE_CONNECTIONS):
        return
    if sqlite_version(dbapi_connection) < JSONB_SQLITE:
        # the triggers of migration 0014 keep a JSONB copy of customer attributes, which rules
        # read: here the copy is the text itself (json_extract reads either)
        dbapi_connection.create_function("jsonb", 1, _jsonb_as_text, deterministic=True)
    # pysqlite's own transaction handling breaks SAVEPOINT; transactions begin below instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def sqlite_version(dbapi_connection: Any) -> tuple[int, ...]:
    """The version of the SQLite library behind a driver connection."""
    row = dbapi_connection.execute("SELECT sqlite_version()").fetchone()
    return tuple(int(part) for part in row[0].split("."))


#: methods that never write: their requests read without opening a transaction
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: execution option of a connection that runs each statement on its own (see read_only_session)
NO_TRANSACTION = "segments_no_transaction"
#: execution option of a SQLite connection whose transactions begin with their first statement,
#: read or write, as a plain BEGIN: one snapshot for the whole transaction, and the write lock
#: only once it writes (an import's run, which manages that itself)
SNAPSHOT = "segments_snapshot"


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """SQLite: only a SNAPSHOT connection begins here; others at their first write (below)."""
    if connection.dialect.name != "sqlite":
        return
    options = connection.get_execution_options()
    if options.get(SNAPSHOT) and not options.get(NO_TRANSACTION):
        connection.exec_driver_sql("BEGIN")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_lock_before_writing(conn, cursor, statement, parameters, context, executemany):
    """SQLite: a transaction begins with its first statement that may write, as BEGIN IMMEDIATE,
    which takes the database's write lock then (waiting up to the busy timeout for it).

    A transaction that began with a read and writes after another connection has committed
    fails at once with "database is locked", however long the busy timeout, because its
    snapshot is out of date: concurrent writers would fail instead of waiting their turn. The
    reads before the first write run on their own (as each statement does on PostgreSQL, READ
    COMMITTED), so nothing that only reads (a page, a download, a command) ever holds the lock,
    and a write request holds it only from its first write to its commit.
    """
    if conn.dialect.name != "sqlite":
        return
    options = conn.get_execution_options()
    if options.get(NO_TRANSACTION) or options.get(SNAPSHOT):
        return
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection.in_transaction or _only_reads(statement, context):
        return
    dbapi_connection.execute("BEGIN IMMEDIATE")


def _only_reads(statement: str, context) -> bool:
    compiled = getattr(context, "compiled", None)
    if compiled is not None and getattr(compiled.statement, "is_select", False):
        return True  # a SELECT, with or without a WITH in front
    return statement.lstrip()[:6].upper() == "SELECT"


def read_only_requests() -> None:
    """A request that cannot write (GET, HEAD, OPTIONS) reads without a transaction; registered
    before any other request hook, so the logged-in user is read that way too."""
    if request.method in SAFE_METHODS:
        read_only_session(db.session)


def read_only_session(session) -> None:
    """Let a read-only request run each statement on its own, without BEGIN and COMMIT.

    Every statement still sees a consistent snapshot (READ COMMITTED on PostgreSQL already gives
    each statement its own), and a read saves the round trips that open and close a transaction.
    Does nothing when the session is already in a transaction (a test holding one, say).
    """
    session = session() if callable(session) else session  # a scoped_session's current one
    if session.get_transaction() is not None:
        return
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite runs in autocommit already (isolation_level None); our BEGINs are skipped
        session.connection(execution_options={NO_TRANSACTION: True})
    else:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


#: a pooled connection unused for longer than this is pinged before it is handed out again
IDLE_PING_SECONDS = 10.0


def ping_idle_connections(engine: Engine) -> None:
    """Check a server connection before use only when it has sat idle in the pool.

    SQLAlchemy's pool_pre_ping costs a round trip on every checkout, that is on every request;
    a connection that served a request moments ago is as good as a ping. One that has idled
    (where a server restart or a firewall's idle timeout may have cut it) is pinged, and a dead
    one is replaced before the request sees it.
    """

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info["segments_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection, record, proxy) -> None:
        since = record.info.get("segments_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own error types differ; any failure means dead
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the connection did not answer a ping")
