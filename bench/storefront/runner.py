"""The storefront benchmark driver: seed, serve with gunicorn, time, explain, import.

Run from the project root: `.venv/bin/python -m bench.storefront --help`; bench/README.md says
what it measures and how to read it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from ..api_throughput.runner import (
    DEFAULT_POSTGRES,
    BenchError,
    gunicorn,
    interrupt_on_signals,
    postgres_database,
    sqlite_database,
)
from ..api_throughput.seed import ROOT, run_cli
from . import data as dataset
from .importer import run_import, write_customers
from .latency import TARGET_P99_MS, Timing, measure, probes, shopper_token, token
from .load import load
from .plans import capture, explain

SCOPE_READ = "customersegment.segment_read"
SCOPE_MANAGE = "customersegment.segment_manage"
SCOPE_READ_OWN = "customersegment.segment_read_own"


@dataclass(frozen=True)
class Clients:
    service: tuple[str, str]
    storefront: tuple[str, str]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.storefront",
        description="Storefront reads over a million customer assignments: p50/p99 through "
        "gunicorn, query plans, and a directory import of a million customers.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per probe")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per probe")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every row count (0.1 for a quick run)"
    )
    parser.add_argument(
        "--import-rows", type=int, default=1_000_000, help="customers in the import file (0: skip)"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing database used to CREATE/DROP the scratch one (default: "
        "$BENCH_POSTGRES_URL or %(default)s)",
    )
    parser.add_argument("--no-plans", action="store_true", help="skip the query plans")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.warmup < 0 or args.workers < 1 or args.scale <= 0:
        parser.error("--requests and --workers must be >= 1, --warmup >= 0, --scale > 0")
    return args


# --------------------------------------------------------------------------- setup


def _client(env: dict[str, str], name: str, *options: str) -> dict:
    """An API client of the bench tenant, made with `api-clients create`."""
    created = run_cli(
        env, "api-clients", "create", "--tenant", dataset.TENANT, "--name", name, *options
    )
    return json.loads(created)


def prepare(url: str, env: dict[str, str], scale: float) -> tuple[dataset.DataSet, Clients]:
    """Migrate, make the tenant and its two clients through the CLI, then write the data."""
    run_cli(env, "db", "upgrade")
    run_cli(env, "tenants", "create", dataset.TENANT, "--languages", ",".join(dataset.LANGUAGES))
    service = _client(env, "bench-service", "--scope", SCOPE_READ, "--scope", SCOPE_MANAGE)
    storefront = _client(env, "bench-storefront", "--scope", SCOPE_READ_OWN, "--grant", "password")
    engine = create_engine(url)
    with engine.connect() as conn:
        tenant_id = conn.execute(
            text("SELECT id FROM tenant WHERE name = :name"), {"name": dataset.TENANT}
        ).scalar_one()
    engine.dispose()

    started = time.perf_counter()
    data = dataset.build(tenant_id, scale)
    built = time.perf_counter() - started
    seconds = load(url, data)
    written = sum(seconds.values())
    counts = ", ".join(f"{data.count(t):,} {t}" for t in dataset.TABLES)
    print(f"generated in {built:.1f} s; written in {written:.1f} s: {counts}", flush=True)
    print("  seconds per table: " + ", ".join(f"{t} {s:.1f}" for t, s in seconds.items()))

    shopper = data.rows["customer"][0][2]
    command = ["customers", "set-password", "--tenant", dataset.TENANT, shopper]
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *command],
        cwd=ROOT,
        env=env,
        input=dataset.SHOPPER_PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"customers set-password failed: {done.stderr or done.stdout}")
    return data, Clients(
        (service["client_id"], service["client_secret"]),
        (storefront["client_id"], storefront["client_secret"]),
    )


# --------------------------------------------------------------------------- one database


def bench_database(
    name: str, url: str, version: str, workdir: Path, args: argparse.Namespace
) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SEGMENTS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PROXY_FIX_HOPS": "0",
    }
    print(f"\n== {name}: {version}", flush=True)
    data, clients = prepare(url, env, args.scale)
    planned = probes(dataset.TENANT, data)
    del data  # a million rows of tuples: the measurements need only the ids kept in `planned`

    with gunicorn(env, args.workers, workdir / f"gunicorn-{name}.log") as server:
        bearer = {
            "service": token(server.base, *clients.service, {"grant_type": "client_credentials"}),
            "customer": shopper_token(server.base, *clients.storefront),
        }
        print(
            f"gunicorn: {args.workers} sync workers on {server.base}; {args.warmup} warm-up + "
            f"{args.requests} measured requests per probe, one at a time",
            flush=True,
        )
        timings = [
            measure(server.base, probe, bearer[probe.caller], args.requests, args.warmup)
            for probe in planned
        ]
    print_timings(name, timings, judged=name == "postgres")

    report: dict = {"version": version, "timings": [_timing_json(t) for t in timings]}
    if not args.no_plans:
        report["plans"] = print_plans(url, planned, bearer)
    if args.import_rows > 0:
        path = workdir / "customers.jsonl"
        write_customers(path, args.import_rows)
        figures = run_import(env, path, args.import_rows)
        path.unlink()
        print(
            f"\ndirectory import of {figures.rows:,} customers ({figures.file_mib:.0f} MiB of "
            f"JSON Lines): {figures.seconds:.1f} s, {figures.rate:,.0f} rows/s "
            f"(the importer reports {figures.reported_rate or 0:,.0f} rows/s), "
            f"peak memory {figures.peak_mib:.0f} MiB",
            flush=True,
        )
        report["import"] = {
            "rows": figures.rows,
            "seconds": figures.seconds,
            "rows_per_second": figures.rate,
            "peak_mib": figures.peak_mib,
        }
    return report


def _timing_json(timing: Timing) -> dict:
    return {
        "probe": timing.probe.label,
        "p50_ms": timing.percentile(0.50),
        "p99_ms": timing.percentile(0.99),
        "answer": timing.answer,
        "verdict": timing.verdict,
    }


def print_timings(name: str, timings: list[Timing], judged: bool) -> None:
    header = f"{'request':<58} {'p50 ms':>7} {'p99 ms':>7}  {'answer':<26} target"
    print(f"\n{name}:\n{header}\n{'-' * len(header)}")
    for timing in timings:
        p50, p99 = timing.percentile(0.50), timing.percentile(0.99)
        verdict = "PASS" if p99 < TARGET_P99_MS else "MISS"
        timing.verdict = verdict if judged else f"({verdict})"
        print(
            f"{timing.probe.label:<58} {p50:>7.1f} {p99:>7.1f}  {timing.answer:<26} "
            f"p99 < {TARGET_P99_MS:.0f} ms: {timing.verdict}"
        )
    if not judged:
        print("(the target applies to PostgreSQL; SQLite's verdicts are shown in parentheses)")
    sys.stdout.flush()


def print_plans(url: str, planned, bearer: dict[str, str]) -> dict:
    print("\nQuery plans of the statements each request sends:")
    out: dict = {}
    for probe in planned:
        statements = capture(url, probe, bearer[probe.caller])
        explained = explain(url, statements)
        flagged = sorted({flag for e in explained for flag in e.flags})
        walked = sorted({walk for e in explained for walk in e.walks})
        status = "SCANS A WHOLE TABLE: " + "; ".join(flagged) if flagged else "no full scans"
        if walked:
            status += "; walks a whole index: " + "; ".join(walked)
        print(f"\n--- {probe.label}: {len(statements)} statements; {status}")
        for n, item in enumerate(explained, start=1):
            marks = item.flags + item.walks
            mark = "  <-- " + "; ".join(marks) if marks else ""
            print(f"[{n}] {_compact(item.statement)}{mark}")
            for line in item.plan:
                print(f"      {line}")
        out[probe.key] = [
            {"statement": e.statement, "plan": e.plan, "flags": e.flags, "walks": e.walks}
            for e in explained
        ]
    sys.stdout.flush()
    return out


_PLACEHOLDER = r"(?:\?|%\([a-z0-9_]+\)s)"
_PLACEHOLDER_RUN = re.compile(rf"{_PLACEHOLDER}(?:, {_PLACEHOLDER}){{9,}}")


def _compact(statement: str) -> str:
    """The statement on one line, long runs of bind parameters shown as their count."""
    flat = " ".join(statement.split())
    return _PLACEHOLDER_RUN.sub(lambda m: f"<{m.group(0).count(',') + 1} parameters>", flat)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    os.chdir(ROOT)
    print(
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        flush=True,
    )
    names = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    workdir = Path(tempfile.mkdtemp(prefix="segments-storefront-"))
    report: dict = {"options": {k: str(v) for k, v in vars(args).items()}, "databases": {}}
    failed = False
    try:
        for name in names:
            opener = (
                sqlite_database(workdir)
                if name == "sqlite"
                else postgres_database(args.postgres_url)
            )
            try:
                with opener as (url, version):
                    report["databases"][name] = bench_database(name, url, version, workdir, args)
            except RuntimeError as exc:  # BenchError, or a CLI step that failed
                failed = True
                print(f"\nBENCHMARK BROKEN on {name}: {exc}", file=sys.stderr, flush=True)
        print_summary(report)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
            print(f"\nfigures written to {args.json}")
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


def print_summary(report: dict) -> None:
    print("\nSummary (a MISS is reported, not failed):")
    for name, figures in report["databases"].items():
        for timing in figures["timings"]:
            print(
                f"  {name:<8} {timing['probe']:<58} p50 {timing['p50_ms']:>6.1f}  "
                f"p99 {timing['p99_ms']:>6.1f}  {timing['verdict']}"
            )
        flagged = {
            key: sorted({flag for e in explained for flag in e["flags"]})
            for key, explained in figures.get("plans", {}).items()
        }
        for key, flags in flagged.items():
            if flags:
                print(f"  {name:<8} plan of {key} scans: {'; '.join(flags)}")
        for key, explained in figures.get("plans", {}).items():
            walks = sorted({walk for e in explained for walk in e["walks"]})
            if walks:
                print(f"  {name:<8} plan of {key} walks: {'; '.join(walks)}")
        if "import" in figures:
            imp = figures["import"]
            print(
                f"  {name:<8} directory import: {imp['rows_per_second']:,.0f} rows/s, "
                f"peak {imp['peak_mib']:.0f} MiB"
            )
