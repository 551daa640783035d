"""The timed steps of the rules benchmark, each through the service functions the API, the
directory and the scheduler call (services.rules.service), in-process."""

from __future__ import annotations

import json
import math
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import Customer, CustomerAssignment, RuleEvaluation, Segment, Tenant
from segments_app.models.types import utcnow
from segments_app.services.directory import upsert
from segments_app.services.directory.upsert import upsert_records
from segments_app.services.rules import indexes, runs, service
from segments_app.services.rules.evaluate import RuleSet
from segments_app.services.rules.tree import AttributeTypes

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


def _run(segment: Segment, reason: str) -> RuleEvaluation:
    """Queue an evaluation of the segment's rule and run it here and now (as the job would)."""
    evaluation = RuleEvaluation(
        tenant_id=segment.tenant_id,
        segment_pk=segment.pk,
        reason=reason,
        state="queued",
        actor="bench",
        joined=0,
        left=0,
        detail={"ruleVersion": segment.rule_version},
        created_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    db.session.add(evaluation)
    db.session.commit()
    pk = evaluation.pk
    runs.run_evaluation(pk)
    db.session.expire_all()
    done = db.session.get(RuleEvaluation, pk)
    assert done is not None
    if done.state != "done":
        raise BenchError(f"evaluation of {segment.id} ended {done.state}: {done.error}")
    return done


def rule_indexes(app: Flask) -> list[str]:
    """The attribute indexes the stored rules use, as saving them makes them."""
    with app.app_context():
        rules = RuleSet.load(_tenant().id)
        db.session.rollback()  # no open transaction: PostgreSQL's concurrent build waits for it
        made: list[str] = []
        for rule in rules.rules.values():
            made += indexes.ensure_indexes(db.engine, rule, rules.types)
        return made


def evaluate_all(app: Flask) -> int:
    """Evaluate every stored rule, dependencies first, as saving each would; returns the
    automatic members made."""
    with app.app_context():
        tenant = _tenant()
        rules = RuleSet.load(tenant.id)
        order = rules.order()
        started = time.perf_counter()
        for n, segment_id in enumerate(order, 1):
            segment = db.session.query(Segment).filter_by(tenant_id=tenant.id, id=segment_id).one()
            _run(segment, "saved")
            if n % 20 == 0:
                print(f"  {n} rules, {time.perf_counter() - started:.0f} s", flush=True)
        return int(
            db.session.scalar(
                sa.select(sa.func.count()).where(CustomerAssignment.assignment_type == "AUTOMATIC")
            )
            or 0
        )


# -- (a) save ------------------------------------------------------------------------------------


def save_figure(app: Flask, rule: dict) -> dict:
    """Save the rule on a new list segment and wait for its evaluation: end to end, as the
    client polling the evaluation sees it."""
    with app.app_context():
        tenant = _tenant()
        segment = Segment(
            tenant_id=tenant.id, id="bench-save", name={"en": "save"}, site_code="main",
            status="ACTIVE",
        )  # fmt: skip
        db.session.add(segment)
        db.session.commit()
        # what saving the rule makes first (the keys' indexes, when missing), then the save
        checked = service.check(segment, {"rule": rule})
        types = AttributeTypes.for_tenant(tenant.id)
        db.session.rollback()  # no open transaction: PostgreSQL's concurrent build waits for it
        started = time.perf_counter()
        made = indexes.ensure_indexes(db.engine, checked, types)
        index_s = time.perf_counter() - started
        evaluation = service.save_rule(tenant, segment, {"rule": rule})
        pk = evaluation.pk
        db.session.commit()
        if not jobs.wait_idle(app, timeout=600):
            raise BenchError("the evaluation did not finish within 10 minutes")
        seconds = time.perf_counter() - started
        db.session.expire_all()
        done = db.session.get(RuleEvaluation, pk)
        assert done is not None
        if done.state != "done":
            raise BenchError(f"the evaluation ended {done.state}: {done.error}")
        return {
            "seconds": seconds,
            "evaluation_ms": (done.detail or {}).get("ms"),
            "indexes_made": made,
            "index_s": index_s,
            "matched": done.matched,
            "joined": done.joined,
        }


# -- (b) preview ---------------------------------------------------------------------------------


def preview_figure(app: Flask, rules: list[dict]) -> dict:
    """Preview each rule against a rule segment (so that some would join and some leave)."""
    with app.app_context():
        tenant = _tenant()
        segments = (
            db.session.query(Segment)
            .filter(Segment.tenant_id == tenant.id, Segment.rule.is_not(None))
            .order_by(Segment.pk)
            .limit(len(rules))
            .all()
        )
        service.preview(tenant, segments[0], {"rule": rules[0]})  # warm the caches
        times, matched = [], []
        for n, rule in enumerate(rules):
            started = time.perf_counter()
            result = service.preview(tenant, segments[n % len(segments)], {"rule": rule})
            times.append((time.perf_counter() - started) * 1000)
            matched.append(result.matched)
            assert len(result.sample) == min(20, result.matched)
        db.session.rollback()
    return {
        "rules": len(rules),
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "matched_min": min(matched),
        "matched_max": max(matched),
        "ms": [round(t) for t in times],
        "matched": matched,
    }


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    rank = max(1, math.ceil(len(ordered) * p / 100))
    return ordered[rank - 1]


# -- (c) directory batch -------------------------------------------------------------------------


def batch_records(shape: data.Shape, numbers: list[int], seed: int) -> list[dict]:
    """Directory documents of customers `numbers` with new attributes (as a CRM sync sends)."""
    rng = random.Random(seed)
    out = []
    for n in numbers:
        doc = {
            "id": data.customer_id(n),
            "firstName": "Changed",
            "lastName": f"Customer {n}",
            "email": f"c{n:08d}@example.com",
            "attributes": data.customer_attributes(rng, shape.now),
        }
        entity = shape.entity_of(n)
        if entity is not None:
            doc["legalEntityIds"] = [data.entity_id(entity)]
        out.append(doc)
    return out


def order_records(shape: data.Shape, numbers: list[int], seed: int) -> list[dict]:
    """Directory documents of customers `numbers` as stored, but each has just ordered: its
    lastOrderAt, orders and lifetimeValue change (as a shop's sync after a day of orders)."""
    rng = random.Random(seed)
    ids = [data.customer_id(n) for n in numbers]
    c = Customer.__table__.c
    query = sa.select(c.id, c.first_name, c.last_name, c.email, c.attributes).where(
        c.tenant_id == _tenant().id, c.id.in_(ids)
    )
    stored = {row.id: row for row in db.session.execute(query)}
    out = []
    for n, customer_id in zip(numbers, ids, strict=True):
        row = stored[customer_id]
        attributes = dict(row.attributes or {})
        attributes["orders"] = int(attributes.get("orders", 0)) + 1
        value = float(attributes.get("lifetimeValue", 0)) + round(rng.uniform(5, 300), 2)
        attributes["lifetimeValue"] = round(value, 2)
        attributes["lastOrderAt"] = data.datetime_text(shape.now)
        doc = {
            "id": customer_id,
            "firstName": row.first_name,
            "lastName": row.last_name,
            "email": row.email,
            "attributes": attributes,
        }
        entity = shape.entity_of(n)
        if entity is not None:
            doc["legalEntityIds"] = [data.entity_id(entity)]
        out.append(doc)
    return out


def batch_figure(app: Flask, customers: int, rounds: int, size: int, orders: bool = False) -> dict:
    """Batches of `size` changed customers through upsert_records, one transaction each,
    alternately with the rule work and without it (the rules' hook replaced by a no-op).
    `orders`: the customers have just ordered (order_records) instead of all new attributes."""
    shape = data.Shape(customers, utcnow())
    rng = random.Random(8 if orders else 7)
    picked = rng.sample(range(1, customers + 1), min(customers, 2 * (rounds + 1) * size))
    batches = [sorted(picked[i : i + size]) for i in range(0, len(picked), size)]
    timings: dict[bool, list[float]] = {True: [], False: []}
    with app.app_context():
        tenant_id = _tenant().id
    for n, numbers in enumerate(batches):
        with_rules = n % 2 == 0
        with app.app_context():
            records = (order_records if orders else batch_records)(shape, numbers, 100 + n)
            tenant = db.session.get(Tenant, tenant_id)
            assert tenant is not None
            original = upsert.evaluate_records
            if not with_rules:
                upsert.evaluate_records = lambda *args, **kwargs: None  # type: ignore[assignment]
            try:
                started = time.perf_counter()
                results = upsert_records(tenant, "customer", records)
                db.session.commit()
                elapsed = time.perf_counter() - started
            finally:
                upsert.evaluate_records = original  # type: ignore[assignment]
            bad = [r for r in results if not r.ok]
            if bad:
                raise BenchError(f"batch record refused: {bad[0].message}")
        if n >= 2:  # the first of each kind warms the caches
            timings[with_rules].append(elapsed)
    return {
        "size": size,
        "rounds": len(timings[True]),
        "with_s": statistics.median(timings[True]),
        "without_s": statistics.median(timings[False]),
        "with_all_s": timings[True],
        "without_all_s": timings[False],
    }


# -- (d) refresh ---------------------------------------------------------------------------------


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
