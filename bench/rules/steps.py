"""The timed steps of the rules benchmark, each through the service functions the API, the
directory and the scheduler call (services.rules.service), in-process."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from segments_app.extensions import db
from segments_app.models import Segment, Tenant

from . import data

ROOT = Path(__file__).resolve().parents[2]


class BenchError(RuntimeError):
    """The run itself broke."""


def schema_head() -> str:
    script = ScriptDirectory(str(ROOT / "migrations"))
    return str(script.get_current_head())


def _tenant() -> Tenant:
    return db.session.query(Tenant).filter_by(name=data.TENANT).one()


# -- the bound: a bare count with the same conditions ------------------------------------------

_SQL_OPS = {"equals": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def bare_conditions(rule: dict, dialect: str) -> tuple[str, dict]:
    """The rule's conditions (an `all` of attribute equals/in/comparisons) as plain SQL, the way
    one would write the query by hand."""
    parts, params = [], {}
    for n, c in enumerate(rule["all"]):
        key = c["field"].removeprefix("attributes.")
        value = c["value"]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if dialect == "sqlite":
            expr = f"json_extract(attributes, '$.{key}')"
        elif number:
            expr = f"(attributes ->> '{key}')::numeric"
        else:
            expr = f"(attributes ->> '{key}')"
        if c["op"] == "in":
            names = []
            for m, v in enumerate(value):
                params[f"p{n}_{m}"] = v
                names.append(f":p{n}_{m}")
            parts.append(f"{expr} IN ({', '.join(names)})")
        else:
            params[f"p{n}"] = value
            parts.append(f"{expr} {_SQL_OPS[c['op']]} :p{n}")
    return " AND ".join(parts), params


def bound_seconds(app: Flask, rule: dict, runs: int = 3) -> tuple[float, int]:
    """The fastest of `runs` bare counts (the first warms the cache), and the count."""
    with app.app_context():
        tenant_id = _tenant().id
        where, params = bare_conditions(rule, db.engine.dialect.name)
        statement = sa.text(f"SELECT count(*) FROM customer WHERE tenant_id = :t AND {where}")
        best = float("inf")
        for _ in range(runs):
            started = time.perf_counter()
            count = db.session.execute(statement, {"t": tenant_id, **params}).scalar_one()
            best = min(best, time.perf_counter() - started)
        db.session.rollback()
        return best, count


# -- setup: every stored rule evaluated once ----------------------------------------------------


def evaluate_all(app: Flask) -> int:
    """Evaluate every stored rule, dependencies first, as saving each would; returns the
    automatic members made."""
    try:
        from segments_app.services.rules import evaluate, service  # noqa: F401
    except ImportError:
        print("  (services.rules is not there yet: the rule segments stay empty)")
        return 0
    raise NotImplementedError


# -- (a) save ------------------------------------------------------------------------------------


def save_figure(app: Flask, rule: dict) -> dict:
    raise NotImplementedError


def preview_figure(app: Flask, rules: list[dict]) -> dict:
    raise NotImplementedError


def batch_figure(app: Flask, customers: int, rounds: int, size: int) -> dict:
    raise NotImplementedError


def refresh_figure(url: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.rules.refresh", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"refresh run failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


_unused = (statistics, Segment)
