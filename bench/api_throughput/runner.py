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
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from .seed import MAIN_SITE, ROOT, Seeded, seed

LUA_SCRIPT = Path(__file__).with_name("paths.lua")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: the single-segment read should reach at least this share of the /healthz ceiling
TARGET_RATIO = 0.5
#: p99 latency bound of the API reads at the default 16 connections, in milliseconds
TARGET_P99_MS = 25.0


class BenchError(RuntimeError):
    """The run itself broke: the figures would be meaningless."""


@dataclass
class Endpoint:
    key: str
    label: str
    paths: list[str]
    #: targets that apply to this endpoint
    ratio_target: float | None = None
    p99_target_ms: float | None = None


@dataclass
class Result:
    key: str
    label: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    #: CPU time of the gunicorn processes (master and workers) per request, in milliseconds
    server_cpu_ms: float | None = None
    #: average cores busy outside gunicorn and wrk: the database server and anything else
    other_cores: float | None = None
    ratio_target: float | None = None
    p99_target_ms: float | None = None
    ratio: float | None = None
    verdicts: list[str] = field(default_factory=list)


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


# --------------------------------------------------------------------------- tools and context


def ensure_wrk(no_install: bool) -> str:
    """The path of wrk; installs it with apt-get when missing and allowed (root on Debian)."""
    found = shutil.which("wrk")
    if found:
        return found
    how = (
        "wrk is not installed. Install it with `sudo apt-get install -y wrk` (Debian/Ubuntu), "
        "`brew install wrk` (macOS), or build it from https://github.com/wg/wrk."
    )
    can_install = os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get")
    if no_install or not can_install:
        raise BenchError(how)
    print("wrk is missing; installing it with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        subprocess.run(install, env=env, check=False)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("apt-get could not install wrk. " + how)
    return found


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_context(wrk: str) -> list[str]:
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    wrk_line = (wrk_version.stdout or wrk_version.stderr).splitlines()[0:1] or ["wrk ?"]
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    lines = [
        f"CPU: {os.cpu_count()} logical ({usable} usable by this process), {_cpu_model()}",
        f"OS: {platform.platform()}",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
        "Packages: "
        + ", ".join(
            f"{name} {_version(name)}"
            for name in ("flask", "sqlalchemy", "gunicorn", "psycopg", "authlib")
        ),
        f"SQLite: {sqlite3.sqlite_version}",
        f"Load generator: {wrk_line[0].split(' Copyright')[0].strip()}",
    ]
    if hasattr(os, "getloadavg"):
        lines.append("Load average before the run: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return lines


# --------------------------------------------------------------------------- databases


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[tuple[str, str]]:
    """A fresh SQLite file in the run's temporary directory (removed with it)."""
    path = workdir / "segments.db"
    yield f"sqlite:///{path}", f"SQLite {sqlite3.sqlite_version} (file, WAL)"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[tuple[str, str]]:
    """A scratch PostgreSQL database next to `admin_url`'s, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    if admin.drivername in ("postgres", "postgresql"):
        admin = admin.set(drivername="postgresql+psycopg")
    name = f"segments_bench_{os.getpid()}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        engine.dispose()
        raise BenchError(
            f"Cannot create a scratch database through {admin.render_as_string()}: {exc}\n"
            "Start PostgreSQL or pass --postgres-url (or run with --database sqlite)."
        ) from exc
    try:
        scratch = admin.set(database=name).render_as_string(hide_password=False)
        yield scratch, f"PostgreSQL {version} (scratch database {name})"
    finally:
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            engine.dispose()


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str
    #: process group id of gunicorn's master and workers
    pgid: int


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log_path: Path) -> Iterator[Server]:
    """Serve wsgi:app on a free loopback port; yields the server; always stops it.

    gunicorn runs in its own session (process group), and the whole group is terminated on the
    way out, also when the benchmark fails or is interrupted.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, log_path)
        yield Server(base, process.pid)
    finally:
        _stop_group(process)


def _stop_group(process: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            # The master is gone; make sure no worker outlived it.
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            break
        except subprocess.TimeoutExpired:
            continue
        break


def _log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_healthy(base: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(
                f"gunicorn exited with status {process.returncode}:\n{_log_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer /healthz within 60 s:\n{_log_tail(log_path)}")


# --------------------------------------------------------------------------- HTTP helpers


def get_token(base: str, client_id: str, client_secret: str) -> str:
    basic = b64encode(f"{client_id}:{client_secret}".encode()).decode()
    request = urllib.request.Request(
        base + "/oauth/token",
        data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        raise BenchError(f"POST /oauth/token answered {exc.code}: {exc.read()[:500]!r}") from exc
    token = body.get("access_token")
    if not token:
        raise BenchError(f"POST /oauth/token returned no access_token: {body}")
    return token


def get_json(base: str, path: str, token: str) -> tuple[int, object]:
    request = urllib.request.Request(
        base + path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:500].decode(errors="replace")


def preflight(base: str, token: str, seeded: Seeded, endpoints: list[Endpoint]) -> None:
    """One request per endpoint, checked for shape, so wrk measures working responses."""
    for endpoint in endpoints:
        path = endpoint.paths[len(endpoint.paths) // 2]
        status, body = get_json(base, path, token)
        if status != 200:
            raise BenchError(f"GET {path} answered {status} before the load started: {body}")
        if endpoint.key == "segment" and not (isinstance(body, dict) and body.get("id")):
            raise BenchError(f"GET {path} did not return a segment: {str(body)[:300]}")
        if endpoint.key == "list":
            expected = min(60, seeded.main_site_count)
            if not isinstance(body, list) or len(body) != expected:
                size = len(body) if isinstance(body, list) else type(body).__name__
                raise BenchError(f"GET {path} returned {size} segments, expected {expected}")
            if any(item.get("siteCode") != MAIN_SITE for item in body):
                raise BenchError(f"GET {path} returned segments of other sites")


# --------------------------------------------------------------------------- wrk

RESULT_LINE = re.compile(r"^BENCH_RESULT (.*)$", re.MULTILINE)


def run_wrk(
    wrk: str,
    base: str,
    paths_file: Path,
    token: str,
    seconds: int,
    connections: int,
    threads: int,
) -> dict[str, int]:
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        base,
        "--",
        str(paths_file),
        token,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    match = RESULT_LINE.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return {key: int(value) for key, value in (p.split("=") for p in match.group(1).split())}


def group_cpu_seconds(pgid: int) -> float | None:
    """User + system CPU seconds of every live process in group `pgid` (Linux /proc only)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt
        # cmajflt utime stime ...
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal: everything but idle and iowait is busy
    values = [int(v) for v in first[1:9]]
    busy = sum(values) - values[3] - values[4]
    return busy / os.sysconf("SC_CLK_TCK")


def wait_quiet(limit: int) -> None:
    """Wait up to `limit` seconds until the machine is nearly idle, sampled over 2 s windows."""
    if limit <= 0 or busy_cpu_seconds() is None:
        return
    deadline = time.monotonic() + limit
    busy = 0.0
    while True:
        first = busy_cpu_seconds()
        time.sleep(2)
        busy = (busy_cpu_seconds() - first) / 2
        if busy < 0.25:
            print(f"machine quiet ({busy:.2f} busy cores); starting", flush=True)
            return
        if time.monotonic() >= deadline:
            print(f"machine still busy ({busy:.2f} cores) after {limit} s; going ahead", flush=True)
            return


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    wrk: str, server: Server, token: str, endpoint: Endpoint, workdir: Path, args
) -> Result:
    paths_file = workdir / f"paths-{endpoint.key}.txt"
    paths_file.write_text("\n".join(endpoint.paths) + "\n")
    if args.warmup > 0:
        run_wrk(wrk, server.base, paths_file, token, args.warmup, args.connections, args.threads)
    before = (group_cpu_seconds(server.pgid), busy_cpu_seconds(), children_cpu_seconds())
    raw = run_wrk(wrk, server.base, paths_file, token, args.seconds, args.connections, args.threads)
    after = (group_cpu_seconds(server.pgid), busy_cpu_seconds(), children_cpu_seconds())
    seconds = raw["duration_us"] / 1e6
    server_cpu = other_cores = None
    if before[0] is not None and after[0] is not None and raw["requests"]:
        server_cpu = after[0] - before[0]
        if before[1] is not None and after[1] is not None and seconds:
            wrk_cpu = after[2] - before[2]
            other_cores = max(0.0, (after[1] - before[1] - server_cpu - wrk_cpu) / seconds)
    return Result(
        key=endpoint.key,
        label=endpoint.label,
        requests=raw["requests"],
        seconds=seconds,
        rps=raw["requests"] / seconds if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        non2xx=raw["non2xx"],
        socket_errors=raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"],
        ratio_target=endpoint.ratio_target,
        p99_target_ms=endpoint.p99_target_ms,
        server_cpu_ms=server_cpu * 1000 / raw["requests"] if server_cpu is not None else None,
        other_cores=other_cores,
    )


# --------------------------------------------------------------------------- one database


def endpoints_for(seeded: Seeded) -> list[Endpoint]:
    prefix = f"/customer-segment/{seeded.tenant}/segments"
    return [
        Endpoint("healthz", "GET /healthz (ceiling)", ["/healthz"]),
        Endpoint(
            "segment",
            f"GET /segments/{{id}} ({len(seeded.segment_ids)} ids)",
            [f"{prefix}/{urllib.parse.quote(sid, safe='')}" for sid in seeded.segment_ids],
            ratio_target=TARGET_RATIO,
            p99_target_ms=TARGET_P99_MS,
        ),
        Endpoint(
            "list",
            "GET /segments?q=siteCode:main&pageSize=60",
            [f"{prefix}?q=siteCode:{MAIN_SITE}&pageSize=60"],
            p99_target_ms=TARGET_P99_MS,
        ),
    ]


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


def judge(results: list[Result], connections: int) -> None:
    ceiling = next((r.rps for r in results if r.key == "healthz"), 0.0)
    for result in results:
        result.ratio = result.rps / ceiling if ceiling else None
        if result.ratio_target is not None and result.ratio is not None:
            verdict = "PASS" if result.ratio >= result.ratio_target else "MISS"
            result.verdicts.append(f"ratio >= {result.ratio_target:.2f}: {verdict}")
        if result.p99_target_ms is not None:
            verdict = "PASS" if result.p99_ms < result.p99_target_ms else "MISS"
            result.verdicts.append(
                f"p99 < {result.p99_target_ms:.0f} ms @ {connections} conn: {verdict}"
            )


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(label: str, results: list[Result]) -> None:
    header = (
        f"{'endpoint':<44} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} "
        f"{'/ceiling':>8} {'cpu ms/req':>10} {'other':>5}  targets"
    )
    print(f"\n{label}:\n{header}\n{'-' * len(header)}")
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        verdicts = "; ".join(r.verdicts) or "-"
        print(
            f"{r.label:<44} {r.rps:>7.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} "
            f"{r.non2xx:>7d} {ratio:>8} {_num(r.server_cpu_ms, 2):>10} "
            f"{_num(r.other_cores, 2):>5}  {verdicts}"
        )
    sys.stdout.flush()


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


def print_summary(report: dict) -> None:
    lines = []
    for name, data in report["databases"].items():
        for r in data["results"]:
            if r["verdicts"]:
                lines.append(f"  {name:<8} {r['label']:<44} " + "; ".join(r["verdicts"]))
    if lines:
        print("\nTargets (printed for information; a MISS does not fail the run):")
        print("\n".join(lines))
