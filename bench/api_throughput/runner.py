"""The benchmark driver: seed a scratch database, serve it with gunicorn, load it with wrk.

Run from the project root: `.venv/bin/python -m bench.api_throughput --help`.

For each database it measures three endpoints, all with `Authorization: Bearer <token>`:

1. GET /healthz - no database work: the ceiling of this machine, gunicorn and Flask;
2. GET /customer-segment/{tenant}/segments/{id} - random ids out of every seeded segment;
3. GET /customer-segment/{tenant}/segments?q=siteCode:main&pageSize=60

and prints req/s, p50 and p99 latency, the non-2xx count and the ratio to the ceiling, with the
targets beside them. Missed targets are reported, not failed: the exit status is 0 unless the run
itself broke (setup failed, wrk failed, or any response was not 2xx).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from .load import Result, endpoints_for, get_json, get_token, measure, preflight
from .machine import ensure_wrk, machine_context, wait_quiet
from .report import _num, judge, print_summary, print_table
from .seed import MAIN_SITE, ROOT, seed
from .services import (
    DEFAULT_POSTGRES,
    BenchError,
    _log_tail,
    gunicorn,
    postgres_database,
    sqlite_database,
)

# --------------------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api_throughput",
        description="Throughput and latency of the segment API under gunicorn, measured with wrk.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds per endpoint")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure the endpoints this many times, interleaved, and keep each one's fastest "
        "round (on a shared machine, other load only ever slows a round down)",
    )
    parser.add_argument("--connections", type=int, default=16, help="open wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--segments", type=int, default=10_000, help="segments to seed")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing database to connect to for CREATE/DROP DATABASE of the scratch one "
        "(default: $BENCH_POSTGRES_URL or %(default)s)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="before measuring each database, wait up to this long for other processes to leave "
        "the CPUs "
        "idle (under 0.25 busy cores); default 0: do not wait",
    )
    parser.add_argument(
        "--no-install", action="store_true", help="do not try to apt-get install a missing wrk"
    )
    args = parser.parse_args(argv)
    if min(args.seconds, args.connections, args.threads, args.workers, args.rounds) < 1:
        parser.error("--seconds, --connections, --threads, --workers and --rounds must be >= 1")
    if args.threads > args.connections:
        parser.error("--threads cannot exceed --connections (wrk needs a connection per thread)")
    if args.segments < 3:
        parser.error("--segments must be at least 3")
    return args


# --------------------------------------------------------------------------- one database


def bench_database(
    label: str,
    database_url: str,
    db_version: str,
    wrk: str,
    workdir: Path,
    args: argparse.Namespace,
) -> list[Result]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SEGMENTS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PROXY_FIX_HOPS": "0",
    }
    print(f"\n== {label}: {db_version}", flush=True)
    started = time.perf_counter()
    seeded = seed(database_url, env, args.segments)
    print(
        f"seeded {len(seeded.segment_ids)} segments ({seeded.main_site_count} on site "
        f"{MAIN_SITE}) in {time.perf_counter() - started:.1f} s (migrations, tenant, "
        "client, bulk insert, ANALYZE)",
        flush=True,
    )
    endpoints = endpoints_for(seeded)
    with gunicorn(env, args.workers, workdir / f"gunicorn-{label}.log") as server:
        base = server.base
        token = get_token(base, seeded.client_id, seeded.client_secret)
        preflight(base, token, seeded, endpoints)
        wait_quiet(args.wait_quiet)
        print(
            f"gunicorn: {args.workers} sync workers on {base}; wrk: {args.threads} threads, "
            f"{args.connections} connections, {args.warmup} s warm-up + {args.seconds} s "
            f"per endpoint, {args.rounds} round(s)",
            flush=True,
        )
        fastest: dict[str, Result] = {}
        round_ceiling = 0.0
        for round_no in range(1, args.rounds + 1):
            for endpoint in endpoints:
                result = measure(wrk, server, token, endpoint, workdir, args)
                if result.non2xx or result.socket_errors:
                    status, body = get_json(base, endpoint.paths[0], token)
                    print_table(label, [*fastest.values(), result])
                    raise BenchError(
                        f"{endpoint.label}: {result.non2xx} non-2xx responses and "
                        f"{result.socket_errors} socket errors out of {result.requests} "
                        f"requests. A sample request now answers {status}: {str(body)[:300]}\n"
                        f"gunicorn log:\n{_log_tail(workdir / f'gunicorn-{label}.log')}"
                    )
                if endpoint.key == "healthz":
                    round_ceiling = result.rps
                if args.rounds > 1:
                    ratio = result.rps / round_ceiling if round_ceiling else 0.0
                    print(
                        f"  round {round_no}: {endpoint.label:<44} {result.rps:>7.0f} req/s  "
                        f"p99 {result.p99_ms:>6.1f} ms  /ceiling {ratio:.2f}  "
                        f"other {_num(result.other_cores, 2)}",
                        flush=True,
                    )
                best = fastest.get(endpoint.key)
                if best is None or result.rps > best.rps:
                    fastest[endpoint.key] = result
        results = list(fastest.values())
    judge(results, args.connections)
    print_table(label, results)
    return results


# --------------------------------------------------------------------------- main


def _terminated(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def interrupt_on_signals() -> None:
    """Ctrl-C raises KeyboardInterrupt even when started with SIGINT ignored (a background job),
    and SIGTERM takes the same way out, so servers and scratch data are always cleaned up."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminated)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    os.chdir(ROOT)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    report: dict = {"options": {k: str(v) for k, v in vars(args).items()}, "databases": {}}
    workdir = Path(tempfile.mkdtemp(prefix="segments-bench-"))
    failed = False
    try:
        wrk = ensure_wrk(args.no_install)
        context = machine_context(wrk)
        print("Machine context\n  " + "\n  ".join(context), flush=True)
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        if cpus and cpus < args.workers + args.threads + 2:
            print(
                f"  note: wrk ({args.threads} threads), {args.workers} gunicorn workers and the "
                f"database share {cpus} CPUs; figures are relative to this machine, compare "
                "ratios rather than absolute req/s",
                flush=True,
            )
        report["context"] = context
        for name in databases:
            opener = (
                sqlite_database(workdir)
                if name == "sqlite"
                else postgres_database(args.postgres_url)
            )
            try:
                with opener as (url, version):
                    results = bench_database(name, url, version, wrk, workdir, args)
                report["databases"][name] = {
                    "version": version,
                    "results": [asdict(r) for r in results],
                }
            except RuntimeError as exc:  # BenchError, or a seeding command that failed
                failed = True
                print(f"\nBENCHMARK BROKEN on {name}: {exc}", file=sys.stderr, flush=True)
        print_summary(report)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
            print(f"\nfigures written to {args.json}")
    except BenchError as exc:
        print(f"\nBENCHMARK BROKEN: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0
