"""Where a request's time goes: the bench endpoints through Flask's test client, in-process.

Run from the project root:

    .venv/bin/python -m bench.api_throughput.profile [--database sqlite|postgres]
        [--requests 2000] [--segments 10000] [--top 25]

It seeds a scratch database exactly like the throughput benchmark, then, without gunicorn or
sockets in the way, reports per endpoint the wall and CPU time per request, the SQL statements
per request and the time spent inside the database driver; and for the single-segment read a
cProfile breakdown by stage (token lookup, segment query, serialization, commit, ...) and the
functions with the most own time. Times under cProfile are inflated; read them as shares.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import secrets
import shutil
import tempfile
import time
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

from .runner import DEFAULT_POSTGRES, postgres_database, sqlite_database
from .seed import MAIN_SITE, seed

#: (label, file name ending, function name): stages of a request, matched in cProfile's stats;
#: a None function name matches the API blueprint's before_request hook (_authenticate...).
COMMON_STAGES = (
    ("whole request inside Flask (wsgi_app)", "flask/app.py", "wsgi_app"),
    ("  before_request: token + tenant check", "segments_app/api/__init__.py", None),
    ("    authenticate(): token lookup", "segments_app/auth/bearer.py", "authenticate"),
)
SEGMENT_STAGES = (
    ("  view: get_segment", "segments_app/api/segments.py", "get_segment"),
    (
        "    segment_json (the document's query)",
        "segments_app/services/segment_listing.py",
        "segment_json",
    ),
    ("    json_text_response", "segments_app/api/common.py", "json_text_response"),
)
LIST_STAGES = (
    ("  view: list_segments", "segments_app/api/segments.py", "list_segments"),
    (
        "    statements (built once per q and sort)",
        "segments_app/services/segment_listing.py",
        "segment_listing",
    ),
    ("      q= parsing and compiling", "segments_app/query/q.py", "compile_q"),
    ("    read_page (the page's keys and versions)", "segments_app/query/listing.py", "read_page"),
    (
        "    segment_texts (kept documents)",
        "segments_app/services/segment_listing.py",
        "segment_texts",
    ),
    ("    json_texts_response", "segments_app/api/common.py", "json_texts_response"),
)
TAIL_STAGES = (
    ("  after_request: commit", "segments_app/transaction.py", "_end_request"),
    ("  teardown: session remove", "flask_sqlalchemy/extension.py", "_teardown_session"),
    ("SQLAlchemy Session.execute (all)", "sqlalchemy/orm/session.py", "_execute_internal"),
    ("  statement cache key", "sqlalchemy/sql/cache_key.py", "_generate_cache_key"),
    ("  ORM row -> object loading", "sqlalchemy/orm/loading.py", "instances"),
    ("  pool checkout", "sqlalchemy/pool/base.py", "_checkout"),
    ("    ping of an idle connection", "segments_app/extensions.py", "_handed_out"),
    ("DBAPI cursor.execute (driver + database)", None, "execute"),
    ("statement building: select()", "sqlalchemy/sql/_selectable_constructors.py", "select"),
    ("statement building: column == value", "sqlalchemy/sql/operators.py", "__eq__"),
    ("statement building: .join()", "sqlalchemy/sql/selectable.py", "join"),
)


@dataclass
class Timing:
    wall_us: float
    cpu_us: float
    statements: float
    driver_us: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.api_throughput.profile")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time")
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="admin database for the scratch one (default as in bench.api_throughput)",
    )
    return parser.parse_args(argv)


def _driver_timer(engine):
    """Counts statements and the time spent in the DBAPI cursor (driver + database round trip)."""
    from sqlalchemy import event

    totals = {"statements": 0, "seconds": 0.0}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        totals["statements"] += 1
        totals["seconds"] += time.perf_counter() - conn.info.pop("bench_started")

    return totals


def _timed(
    client, paths: list[str], headers: dict, count: int, totals: dict, warm: int = 200
) -> Timing:
    rng = random.Random(7)
    for _ in range(warm):  # warm the statement cache and the connection pool
        client.get(rng.choice(paths), headers=headers)
    totals["statements"], totals["seconds"] = 0, 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        response = client.get(rng.choice(paths), headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {response.request.path} answered {response.status_code}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Timing(
        wall_us=wall / count * 1e6,
        cpu_us=cpu / count * 1e6,
        statements=totals["statements"] / count,
        driver_us=totals["seconds"] / count * 1e6,
    )


def _stage_times(stats: pstats.Stats, stages) -> dict[str, float]:
    """Cumulative seconds per stage; a function matched more than once is summed."""
    found: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():
        path = filename.replace("\\", "/")
        for label, ending, function in stages:
            if label.strip().startswith("DBAPI"):
                hit = name in (
                    "<method 'execute' of 'sqlite3.Cursor' objects>",
                    "<method 'execute' of 'sqlite3.Connection' objects>",
                ) or (path.endswith("psycopg/cursor.py") and name == "execute")
            elif function is None:
                hit = path.endswith(ending) and name.startswith("_authenticate")
            else:
                hit = path.endswith(ending) and name == function
            if hit:
                found[label] = found.get(label, 0.0) + cumulative
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="segments-profile-"))
    try:
        if args.database == "sqlite":
            opener = sqlite_database(workdir)
        else:
            opener = postgres_database(args.postgres_url or DEFAULT_POSTGRES)
        with opener as (url, version):
            return _profile(args, url, version)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _profile(args: argparse.Namespace, url: str, version: str) -> int:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_urlsafe(32)}
    seeded = seed(url, env, args.segments)

    from segments_app import create_app
    from segments_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    client = app.test_client()
    basic = b64encode(f"{seeded.client_id}:{seeded.client_secret}".encode()).decode()
    response = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    headers = {"Authorization": f"Bearer {response.json['access_token']}"}
    prefix = f"/customer-segment/{seeded.tenant}/segments"
    endpoints = {
        "GET /healthz": ["/healthz"],
        "GET /segments/{id}": [f"{prefix}/{sid}" for sid in seeded.segment_ids],
        "GET /segments?q=siteCode:main&pageSize=60": [
            f"{prefix}?q=siteCode:{MAIN_SITE}&pageSize=60"
        ],
    }
    with app.app_context():
        engine = db.engine
    totals = _driver_timer(engine)

    print(f"{version}; {args.requests} requests per endpoint through the Flask test client\n")
    print(f"{'endpoint':<44} {'wall us':>8} {'cpu us':>8} {'SQL/req':>8} {'driver us':>9}")
    for label, paths in endpoints.items():
        timing = _timed(client, paths, headers, args.requests, totals)
        print(
            f"{label:<44} {timing.wall_us:>8.0f} {timing.cpu_us:>8.0f} "
            f"{timing.statements:>8.1f} {timing.driver_us:>9.0f}"
        )

    profiled = (
        ("GET /segments/{id}", SEGMENT_STAGES),
        ("GET /segments?q=siteCode:main&pageSize=60", LIST_STAGES),
    )
    for label, specific in profiled:
        count = args.requests if "{id}" in label else max(50, args.requests // 4)
        profiler = cProfile.Profile()
        profiler.enable()
        _timed(client, endpoints[label], headers, count, totals, warm=0)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stages = (*COMMON_STAGES, *specific, *TAIL_STAGES)
        _print_stages(label, stats, stages, count)
        print(f"\nTop {args.top} functions by own time:")
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


def _print_stages(label: str, stats: pstats.Stats, stages, count: int) -> None:
    total = stats.total_tt
    found = _stage_times(stats, stages)
    print(
        f"\n{label} under cProfile, {count} requests: {total / count * 1e6:.0f} us/request "
        "(inflated by the profiler: read the shares; the test client is part of the whole)"
    )
    for stage, _ending, _function in stages:
        seconds = found.get(stage)
        if seconds is None:
            print(f"  {stage:<46} {'n/a':>7}")
        else:
            print(f"  {stage:<46} {seconds / total:>6.1%} {seconds / count * 1e6:>7.0f} us/request")


if __name__ == "__main__":
    raise SystemExit(main())
