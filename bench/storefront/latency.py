"""The five storefront requests, and their latency measured one at a time through gunicorn."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from base64 import b64encode
from dataclasses import dataclass, field

from ..api_throughput.runner import BenchError
from .data import MAIN_SITE, SHOPPER_EMAIL, SHOPPER_PASSWORD, DataSet

#: every p99 should stay under this on PostgreSQL
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Probe:
    key: str
    label: str
    method: str
    path: str
    #: "customer": the shopper's storefront token; "service": the manage + read client's
    caller: str
    body: dict | None = None


@dataclass
class Timing:
    probe: Probe
    milliseconds: list[float]
    #: what the answer held, for the reader to judge the work done (e.g. "60 items")
    answer: str = ""
    verdict: str = field(init=False, default="")

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile of the measured latencies."""
        ordered = sorted(self.milliseconds)
        rank = max(1, round(share * len(ordered) + 0.5))
        return ordered[min(rank, len(ordered)) - 1]


def probes(tenant: str, data: DataSet) -> list[Probe]:
    base = f"/customer-segment/{tenant}/segments"
    match = {
        "site": MAIN_SITE,
        "segmentIds": data.match_segments,
        "items": [{"id": product_id} for product_id in data.match_products],
    }
    return [
        Probe("segments", "GET /segments (customer)", "GET", base, "customer"),
        Probe("items", "GET /segments/items (customer)", "GET", f"{base}/items", "customer"),
        Probe(
            "trees",
            "GET /segments/items/category-trees (customer)",
            "GET",
            f"{base}/items/category-trees",
            "customer",
        ),
        Probe(
            "match",
            f"POST /segments/match ({len(data.match_products)} products, "
            f"{len(data.match_segments)} segments)",
            "POST",
            f"{base}/match",
            "service",
            match,
        ),
        Probe(
            "deep-page",
            f"GET /segments/{{id}}/customers?pageNumber={data.deep_page}&pageSize=60",
            "GET",
            f"{base}/{data.big_segment}/customers?pageNumber={data.deep_page}&pageSize=60",
            "service",
        ),
    ]


def _host_port(base: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(base)
    return parsed.hostname or "127.0.0.1", parsed.port or 80


def send(base: str, method: str, path: str, headers: dict, body: bytes | None = None):
    """One request on a fresh connection (gunicorn's sync workers close each one);
    returns (status, body bytes, milliseconds)."""
    host, port = _host_port(base)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    return response.status, payload, (time.perf_counter() - started) * 1000


def token(base: str, client_id: str, secret: str, form: dict[str, str]) -> str:
    basic = b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = urllib.parse.urlencode(form).encode()
    status, payload, _ = send(base, "POST", "/oauth/token", headers, body)
    if status != 200:
        raise BenchError(f"POST /oauth/token ({form['grant_type']}) answered {status}: {payload!r}")
    return json.loads(payload)["access_token"]


def shopper_token(base: str, client_id: str, secret: str) -> str:
    form = {"grant_type": "password", "username": SHOPPER_EMAIL, "password": SHOPPER_PASSWORD}
    return token(base, client_id, secret, form)


def _request(probe: Probe, bearer: str) -> tuple[dict, bytes | None]:
    headers = {"Authorization": f"Bearer {bearer}", "Accept": "application/json"}
    if probe.body is None:
        return headers, None
    headers["Content-Type"] = "application/json"
    return headers, json.dumps(probe.body).encode()


def _describe(payload: bytes) -> str:
    body = json.loads(payload)
    if not isinstance(body, list):
        return type(body).__name__
    nodes, stack = 0, list(body)
    while stack:
        node = stack.pop()
        nodes += 1
        if isinstance(node, dict):
            stack.extend(node.get("subcategories", []))
    return f"{len(body)} top-level, {nodes} in all" if nodes != len(body) else f"{len(body)}"


def measure(base: str, probe: Probe, bearer: str, count: int, warmup: int) -> Timing:
    """`warmup` unmeasured requests, then `count` measured ones, one at a time."""
    headers, body = _request(probe, bearer)
    status, payload, _ = send(base, probe.method, probe.path, headers, body)
    if status != 200:
        raise BenchError(f"{probe.label} answered {status}: {payload[:300]!r}")
    answer = _describe(payload)
    if answer == "0":
        raise BenchError(f"{probe.label} answered an empty list: the data set is not as planned")
    for _ in range(warmup):
        send(base, probe.method, probe.path, headers, body)
    times = []
    for _ in range(count):
        status, payload, ms = send(base, probe.method, probe.path, headers, body)
        if status != 200:
            raise BenchError(
                f"{probe.label} answered {status} under measurement: {payload[:300]!r}"
            )
        times.append(ms)
    return Timing(probe, times, answer)
