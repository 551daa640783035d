"""The load: the endpoints wrk is pointed at, their preflight check, and one measured wrk run.

Holds the targets, the Endpoint and Result records, the token and JSON requests made with
urllib, and `measure`, which turns a wrk run plus CPU samples into a Result.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

from .machine import busy_cpu_seconds, children_cpu_seconds, group_cpu_seconds
from .seed import MAIN_SITE, Seeded
from .services import BenchError, Server

LUA_SCRIPT = Path(__file__).with_name("paths.lua")

#: the single-segment read should reach at least this share of the /healthz ceiling
TARGET_RATIO = 0.5
#: p99 latency bound of the API reads at the default 16 connections, in milliseconds
TARGET_P99_MS = 25.0


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
