"""The SQL each storefront request runs, and the database's plan for it.

The requests are replayed in-process through Flask's test client with a
`before_cursor_execute` listener on the app's engine; every SELECT they send is then explained
with the same parameters: EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL (it runs the statement),
EXPLAIN QUERY PLAN on SQLite. A plan that reads a whole assignment or product table is flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import create_engine, event

from segments_app import create_app
from segments_app.extensions import db

from .latency import Probe

WATCHED = ("customer_assignment", "item_assignment", "product", "product_category")
_TABLES = "(" + "|".join(WATCHED) + r")\b"
_POSTGRES_SCAN = re.compile(r"Seq Scan on " + _TABLES)
# "SCAN item_assignment" reads the table; "SCAN item_assignment USING INDEX ..." walks an index
_SQLITE_SCAN = re.compile(r"\bSCAN " + _TABLES + r"(?! USING)")
#: an index read from end to end (no condition): the whole table in key order, filtered
_POSTGRES_WALK = re.compile(r"Index (?:Only )?Scan (?:Backward )?using \S+ on " + _TABLES)
_SQLITE_WALK = re.compile(r"\bSCAN " + _TABLES + r" USING (?:COVERING )?INDEX")


@dataclass
class Explained:
    statement: str
    plan: list[str]
    #: whole-table scans of a watched table
    flags: list[str] = field(default_factory=list)
    #: watched tables read through a whole index, which LIMIT may stop early
    walks: list[str] = field(default_factory=list)


def capture(url: str, probe: Probe, bearer: str) -> list[tuple[str, object]]:
    """(statement, parameters) of every statement one request of `probe` sends."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-plans"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {bearer}"}
    kwargs = {"json": probe.body} if probe.body is not None else {}
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    try:
        client.open(probe.path, method=probe.method, headers=headers, **kwargs)  # warm caches
        event.listen(engine, "before_cursor_execute", record)
        response = client.open(probe.path, method=probe.method, headers=headers, **kwargs)
        event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
    finally:
        engine.dispose()
    return sent


def explain(url: str, statements: list[tuple[str, object]]) -> list[Explained]:
    """The plan of every SELECT among `statements`, flagged where it scans a watched table."""
    engine = create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    out: list[Explained] = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(prefix + statement, parameters)
            rows = cursor.fetchall()
            if postgres:
                plan = [row[0] for row in rows]
            else:
                # (id, parent, notused, detail): indent each step under its parent
                depth = {0: -1}
                plan = []
                for node, parent, _, detail in rows:
                    depth[node] = depth.get(parent, -1) + 1
                    plan.append("  " * depth[node] + detail)
            scan = _POSTGRES_SCAN if postgres else _SQLITE_SCAN
            flags = sorted({match.group(0) for line in plan for match in scan.finditer(line)})
            walks = _postgres_walks(plan) if postgres else _sqlite_walks(plan)
            out.append(Explained(statement, plan, flags, walks))
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return out


def _postgres_walks(plan: list[str]) -> list[str]:
    """Index scans of a watched table without an Index Cond: a node's own details are the
    lines between it and the next node (`->`)."""
    found = set()
    for n, line in enumerate(plan):
        match = _POSTGRES_WALK.search(line)
        if not match:
            continue
        details = []
        for following in plan[n + 1 :]:
            if "->" in following or not following.startswith(" "):
                break
            details.append(following)
        if not any("Index Cond" in detail for detail in details):
            found.add(f"{match.group(0)} (no index condition)")
    return sorted(found)


def _sqlite_walks(plan: list[str]) -> list[str]:
    return sorted({m.group(0) for line in plan if (m := _SQLITE_WALK.search(line))})
