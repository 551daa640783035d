"""Many values sent to the database as one parameter, whatever their number.

On PostgreSQL an array (`= ANY(array)`, or `unnest` for rows), on SQLite one JSON text read by
`json_each`: the statement's text does not depend on how many values there are, so it is
compiled and planned once, and SQLite's limit on parameters does not apply.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql

from ..extensions import DbSession


def in_list(
    column: Any, values: Sequence[Any] | None, session: DbSession, key: str | None = None
) -> Any:
    """`column IN (values)`: on PostgreSQL `column = ANY(array)` (planned in a moment however
    many there are, and a generic plan still reads them by index), on SQLite
    `IN (SELECT value FROM json_each(json))`. `key` names the parameter; `values` may then be
    None, for a statement compiled once and run with `key` given each time (rules.wave)."""
    if session.get_bind().dialect.name != "postgresql":
        text = None if values is None else json.dumps(list(values))
        each = func.json_each(bindparam(key, text, type_=sa.Text())).table_valued("value")
        return column.in_(select(each.c.value))
    numbers = values is None or all(isinstance(v, int) for v in values)
    element = sa.BigInteger() if numbers else sa.Text()
    sent = None if values is None else list(values)
    return column == sa.any_(bindparam(key, sent, type_=postgresql.ARRAY(element)))


def integer_rows(session: DbSession, rows: Sequence[tuple[int, ...]], *names: str) -> Any:
    """`rows` of integers as a table whose columns are `names`, e.g. (customer_pk, segment_pk)
    pairs to insert, or (segment pk, change) to add to counts."""
    if session.get_bind().dialect.name == "postgresql":
        array = postgresql.ARRAY(sa.BigInteger())
        columns = [bindparam(None, [r[i] for r in rows], type_=array) for i, _ in enumerate(names)]
        return sa.func.unnest(*columns).table_valued(*names).render_derived(name="rows")
    each = sa.func.json_each(bindparam(None, json.dumps(rows), type_=sa.Text())).table_valued(
        "value"
    )
    return select(
        *(
            sa.func.json_extract(each.c.value, sa.literal_column(f"'$[{i}]'")).label(name)
            for i, name in enumerate(names)
        )
    ).subquery("rows")
