"""SQL helpers for writing many directory rows at once on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db

#: stay well below SQLite's 32,766 bound parameters per statement
IN_CHUNK = 5000


def chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    """`values` in slices short enough for one IN list."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def one_of(column: Any, values: Sequence[Any]) -> Any:
    """`column IN (values)`; on PostgreSQL the values are written into the SQL text.

    psycopg prepares a statement once it has run it five times, and PostgreSQL may then plan
    it once for any values; for an IN list of thousands of parameters that generic plan tests
    every row against every value, which took an import from seconds to minutes. Literal values
    make each statement new and planned for what it holds. SQLite plans every statement anew,
    so there bound values are kept (and its statement cache stays small).
    """
    literal = db.session.get_bind().dialect.name == "postgresql"
    return column.in_(bindparam(None, list(values), expanding=True, literal_execute=literal))


def dialect_insert(table: Table, columns: Sequence[str]) -> Any:
    """INSERT INTO `table` (`columns`) with a bound parameter per column, in the dialect's
    own flavour, so the caller can add ON CONFLICT ... DO UPDATE."""
    dialect = db.session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise NotImplementedError(f"directory writes support SQLite and PostgreSQL, not {dialect}")
    return stmt.values({name: bindparam(name, type_=table.c[name].type) for name in columns})


def execute_many(stmt: Any, shared: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """Run `stmt` once per row: `shared` gives the parameters every row has in common.

    SQLAlchemy converts every parameter of every row through its column type, which costs more
    than the database's own work on a batch of thousands; here the shared parameters are
    converted once, and a row's own ones only where their type needs it (JSON, dates).
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect)
    convert = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in compiled.binds.items()
    }
    common = {
        name: convert[name](value) if convert[name] else value for name, value in shared.items()
    }
    own = [name for name in rows[0] if convert[name] is not None]
    params: list[dict[str, Any]] = []
    for row in rows:
        values = {**common, **row}
        for name in own:
            values[name] = convert[name](values[name])
        params.append(values)
    order = compiled.positiontup
    if order is not None:
        connection.exec_driver_sql(
            compiled.string, [tuple(values[name] for name in order) for values in params]
        )
    else:
        connection.exec_driver_sql(compiled.string, params)
