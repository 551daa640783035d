"""The dashboard benchmark: `.venv/bin/python -m bench.dashboard --help`.

Per database, on a scratch database holding a tenant whose largest segment has a million
members (see data.py), a marketer (admin) signs in through the login form with Flask's test
client, and every dashboard page, fragment and htmx write (probes.py) is requested in rounds:
each round requests every probe once, so that other load on the machine spreads over all of
them. Prints per probe the median and p95 of the server time (the WSGI call, in-process: no
sockets, no HTTP parsing), SQL statements per request, time inside the database driver, and
the median's ratio to the bound of 100 ms; for a search that goes on in further requests (see
probes.py), of its slowest request, with the number of requests and their time together.
A MISS is reported, not failed; the exit status is non-zero only when the run itself broke
(a setup step, an unexpected status or answer).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from segments_app import create_app
from segments_app.extensions import db
from segments_app.models import Activity
from segments_app.services.accounts import create_user
from segments_app.services.counters import recount
from segments_app.services.tenants import create_tenant

from ..api_throughput.runner import DEFAULT_POSTGRES
from ..storefront.load import load
from . import data as dataset
from .probes import Probe, probes

#: every page and fragment answers within this many milliseconds of server time
BOUND_MS = 100.0
EMAIL = "marketer@benchco.example"
PASSWORD = "bench-marketer-password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class BenchError(RuntimeError):
    """The run itself broke: the figures would be meaningless."""


#: the URL a search that stopped early goes on from (a "Searching…" row, "Search further")
CONTINUATION = re.compile(
    r'hx-get="([^"]+)"[^>]*>\s*(?:<span[^>]*>)?\s*(?:Searching…|Search further)'
)


@dataclass
class Row:
    database: str
    probe: str
    median_ms: float
    p95_ms: float
    statements: int
    db_ms: float
    #: requests per search (1 for anything else), and the median time of all of them
    steps: int = 1
    all_ms: float = 0.0

    @property
    def ratio(self) -> float:
        return self.median_ms / BOUND_MS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard",
        description="Server time of every dashboard page, fragment and htmx write on a tenant "
        "with a segment of a million members.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--members", type=int, default=1_000_000, help="members of the largest segment"
    )
    parser.add_argument("--segments", type=int, default=1000, help="segments of the tenant")
    parser.add_argument("--runs", type=int, default=15, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured rounds first")
    parser.add_argument("--only", help="time only the probes whose label contains this text")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing database, used only to create and drop the scratch one "
        "(default: $BENCH_POSTGRES_URL or %(default)s)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the seeded database(s) and print their URLs"
    )
    parser.add_argument(
        "--reuse",
        metavar="URL",
        help="time a database an earlier --keep run seeded (same --members and --segments)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0 or args.members < 100 or args.segments < 12:
        parser.error("--runs >= 1, --warmup >= 0, --members >= 100 and --segments >= 12")
    if args.reuse and args.database == "both":
        args.database = "postgres" if args.reuse.startswith("postgres") else "sqlite"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"bench.dashboard: {args.members:,} members in the largest segment, {args.segments:,} "
        f"segments; {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        flush=True,
    )
    sizes = dataset.Sizes(args.members, args.segments)
    names = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    rows: list[Row] = []
    try:
        for name in names:
            if args.reuse:
                rows += bench_database(name, args.reuse, sizes, args, seeded=True)
                continue
            with scratch_database(name, args.postgres_url, args.keep) as url:
                rows += bench_database(name, url, sizes, args, seeded=False)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"\nBENCHMARK BROKEN: {exc}", file=sys.stderr, flush=True)
        return 1
    print()
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps([vars(row) for row in rows], indent=2) + "\n")
    return 0


@contextmanager
def scratch_database(kind: str, postgres_url: str, keep: bool) -> Iterator[str]:
    """A fresh empty database: a SQLite file in a temporary directory, or a PostgreSQL
    database next to `postgres_url`'s; both removed afterwards unless `keep`."""
    if kind == "sqlite":
        workdir = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
        url = f"sqlite:///{workdir / 'bench.db'}"
        try:
            yield url
        finally:
            if keep:
                print(f"[sqlite] kept: --reuse {url}")
            else:
                for path in workdir.iterdir():
                    path.unlink()
                workdir.rmdir()
        return
    name = f"segments_bench_dashboard_{secrets.token_hex(4)}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        raise BenchError(f"cannot create a scratch database next to {postgres_url}: {exc}") from exc
    url = sa.engine.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        if keep:
            print(f"[postgres] kept: --reuse {url}")
        else:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def step(database: str, what: str) -> None:
    print(f"[{database}] {what}", flush=True)


def bench_database(database: str, url: str, sizes: dataset.Sizes, args, seeded: bool) -> list[Row]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(16)})
    if seeded:
        with app.app_context():
            tenant_id = db.session.execute(
                sa.text("SELECT id FROM tenant WHERE name = :name"), {"name": dataset.TENANT}
            ).scalar_one()
        data = dataset.build(tenant_id, sizes)
    else:
        data = seed(app, database, url, sizes)
    client, csrf = sign_in(app)
    selected = [probe for probe in probes(app, data) if _chosen(probe, args.only)]
    step(database, f"timing {len(selected)} probes: {args.warmup} + {args.runs} rounds")
    with app.app_context():
        engine = db.engine
    totals = {"statements": 0, "seconds": 0.0}

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        totals["statements"] += 1
        started = conn.info.pop("bench_started", None)
        if started is not None:
            totals["seconds"] += time.perf_counter() - started

    for round_no in range(args.warmup + args.runs):
        measured = round_no >= args.warmup
        for probe in selected:
            for each in (probe, probe.then):
                if each is not None:
                    request(client, csrf, each, totals, measured)
    with app.app_context():
        db.engine.dispose()
    timed = [p for probe in selected for p in (probe, probe.then) if p is not None]
    return [
        Row(
            database,
            p.label,
            round(statistics.median(p.samples) * 1000, 1),
            round(percentile(p.samples, 0.95) * 1000, 1),
            round(statistics.median(p.statements)),
            round(statistics.median(p.db_seconds) * 1000, 1),
            round(statistics.median(p.steps)),
            round(statistics.median(p.totals) * 1000, 1),
        )
        for p in timed
    ]


def _chosen(probe: Probe, only: str | None) -> bool:
    labels = [probe.label] + ([probe.then.label] if probe.then else [])
    return not only or any(only in label for label in labels)


def seed(app: Flask, database: str, url: str, sizes: dataset.Sizes) -> dataset.DataSet:
    """Migrate, make the tenant and the marketer, write the data set and the counters."""
    step(database, "migrating")
    with app.app_context():
        upgrade()
        tenant = create_tenant(dataset.TENANT, list(dataset.LANGUAGES), "en")
        create_user(tenant, EMAIL, "admin", PASSWORD)
        db.session.commit()
        tenant_id = tenant.id
    step(database, "generating the data set")
    started = time.perf_counter()
    data = dataset.build(tenant_id, sizes)
    built = time.perf_counter() - started
    step(database, f"generated in {built:.0f} s; writing")
    seconds = load(url, data)
    with app.app_context():
        started = time.perf_counter()
        db.session.execute(sa.insert(Activity), data.activity)
        recount(db.session, tenant_id)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        seconds["activity, counters, ANALYZE"] = time.perf_counter() - started
    counts = ", ".join(f"{data.count(t):,} {t}" for t in data.rows)
    step(database, f"written in {sum(seconds.values()):.0f} s: {counts}")
    return data


def sign_in(app: Flask):
    """A test client signed in as the bench marketer, and the CSRF token htmx would send."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page)
    if token is None:
        raise BenchError("the login page has no CSRF token")
    response = client.post(
        "/login",
        data={
            "team": dataset.TENANT,
            "email": EMAIL,
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    if response.status_code != 303:
        raise BenchError(f"signing in answered {response.status_code}")
    page = client.get("/settings/languages").get_data(as_text=True)
    token = CSRF.search(page)
    if token is None:
        raise BenchError("the languages page has no CSRF token")
    return client, token.group(1)


def request(client, csrf: str, probe: Probe, totals: dict, measured: bool) -> None:
    """Send the probe (and the requests of a search that goes on, as the page would), and
    record the slowest request's time, its statements and driver time, and the chain's."""
    url, method, form = probe.url, probe.method, probe.form
    slowest, statements, db_seconds, total, steps, bodies = 0.0, 0, 0.0, 0.0, 0, []
    while url is not None:
        headers = {"HX-Request": "true"} if probe.htmx else {}
        if method != "GET":
            headers["X-CSRFToken"] = csrf
        totals["statements"], totals["seconds"] = 0, 0.0
        started = time.perf_counter()
        response = client.open(url, method=method, headers=headers, data=form)
        body = response.get_data()
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise BenchError(
                f"{probe.label}: {method} {url} answered {response.status_code}: {body[:300]!r}"
            )
        total += elapsed
        steps += 1
        bodies.append(body)
        if elapsed >= slowest:
            slowest, statements, db_seconds = elapsed, totals["statements"], totals["seconds"]
        further = CONTINUATION.search(body.decode())
        url = unescape(further.group(1)) if further else None
        method, form = "GET", None
        if steps > 1000:
            raise BenchError(f"{probe.label}: the search did not end after 1,000 requests")
    if probe.expect and not any(probe.expect.encode() in body for body in bodies):
        raise BenchError(f"{probe.label}: the answer lacks {probe.expect!r}")
    if measured:
        probe.samples.append(slowest)
        probe.statements.append(statements)
        probe.db_seconds.append(db_seconds)
        probe.steps.append(steps)
        probe.totals.append(total)


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(rows: list[Row]) -> None:
    width = max(len(row.probe) for row in rows)
    print(f"bound: {BOUND_MS:g} ms of server time per request; the verdict reads the median")
    print("(a search that goes on in further requests: its slowest request, steps = requests)")
    print(
        f"{'database':<9}{'request':<{width}}  {'median ms':>9}{'p95 ms':>8}{'x bound':>8}"
        f"{'sql':>5}{'db ms':>7}  verdict  steps (all ms)"
    )
    for row in rows:
        chain = f"{row.steps} ({row.all_ms:.0f})" if row.steps > 1 else ""
        print(
            f"{row.database:<9}{row.probe:<{width}}  {row.median_ms:>9.1f}{row.p95_ms:>8.1f}"
            f"{row.ratio:>8.2f}{row.statements:>5}{row.db_ms:>7.1f}  "
            f"{verdict(row.median_ms < BOUND_MS):<7}  {chain}"
        )
    missed = [row for row in rows if row.median_ms >= BOUND_MS]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} under {BOUND_MS:g} ms", end="")
    print(f"; MISS: {', '.join(f'{r.database} {r.probe}' for r in missed)}" if missed else "")
