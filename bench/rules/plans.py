"""The statements a step sends, and the database's plan for the ones that read customers.

A `before_cursor_execute` listener records each statement with its parameters; the ones that
read the customer table are then explained with the same parameters: EXPLAIN (ANALYZE,
BUFFERS) on PostgreSQL for a SELECT (it runs it; writes get a plain EXPLAIN), EXPLAIN QUERY PLAN
on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.engine import Engine

_CUSTOMER = re.compile(r"\bcustomer\b", re.IGNORECASE)
_PARAMS = re.compile(r"(?:(?:\?|%\(\w+\)s|\$\d+)\s*,\s*){8,}(?:\?|%\(\w+\)s|\$\d+)")


@dataclass
class Explained:
    label: str
    statement: str
    plan: list[str]


@contextmanager
def recording(engine: Engine) -> Iterator[list[tuple[str, object]]]:
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def interesting(sent: list[tuple[str, object]], limit: int = 6) -> list[tuple[str, object]]:
    """The statements that read customers (the rule's work), the longest first."""
    chosen = [
        (s, p)
        for s, p in sent
        if _CUSTOMER.search(s)
        and s.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "DELETE", "UPDATE"))
        and "FROM customer" in s.replace('"', "")
        # a rule's condition reads the attributes (the directory's own statements do not)
        and "attributes" in s.split("FROM", 1)[-1]
    ]
    seen: set[str] = set()
    out = []
    for s, p in sorted(chosen, key=lambda sp: -len(sp[0])):
        if s not in seen:
            seen.add(s)
            out.append((s, p))
    return out[:limit]


def explain(engine: Engine, label: str, statements: list[tuple[str, object]]) -> list[Explained]:
    postgres = engine.dialect.name == "postgresql"
    out: list[Explained] = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            reads = statement.lstrip().upper().startswith(("SELECT", "WITH"))
            if postgres:
                prefix = "EXPLAIN (ANALYZE, BUFFERS) " if reads else "EXPLAIN "
            else:
                prefix = "EXPLAIN QUERY PLAN "
            try:
                cursor.execute(prefix + statement, parameters)
                rows = cursor.fetchall()
            except Exception as exc:
                raw.rollback()
                out.append(Explained(label, shorten(statement), [f"(no plan: {exc})"]))
                continue
            if postgres:
                plan = [shorten(row[0]) for row in rows]
            else:
                plan = [f"{'  ' * _depth(rows, row)}{row[3]}" for row in rows]
            out.append(Explained(label, shorten(statement), plan))
        raw.rollback()
    finally:
        raw.close()
    return out


def _depth(rows, row) -> int:
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth += 1
        parent = parents[parent]
    return depth


#: long literal lists (PostgreSQL's IN lists are written into the SQL)
_LITERALS = re.compile(r"(?:'?[\w@.:-]+'?\s*,\s*){8,}'?[\w@.:-]+'?")


def shorten(statement: str) -> str:
    text = " ".join(statement.split())
    text = _PARAMS.sub(lambda m: f"<{m.group(0).count(',') + 1} parameters>", text)
    return _LITERALS.sub(lambda m: f"<{m.group(0).count(',') + 1} values>", text)


def print_plans(explained: list[Explained]) -> None:
    for e in explained:
        print(f"  [{e.label}] {e.statement}")
        for line in e.plan:
            print(f"      {line}")
