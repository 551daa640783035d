"""The rules benchmark: `.venv/bin/python -m bench.rules --help`.

Per database, on a scratch database holding one tenant with a million customers (6-10
attributes each, legal entities for a fifth of them) and 200 rule segments whose members were
made by evaluating their rules:

a. save: a three-condition rule matching about a tenth, evaluated in full (the work the job
   does after a save), beside the bound: a bare `SELECT count(*)` with the same conditions;
b. preview: count, joining, leaving and a sample of 20 of ~30 varied three-condition rules,
   p50 and p95;
c. directory batch: 1,000 changed customers through the directory upsert, with the rule work
   of 200 rules and without it;
d. refresh: the scheduled re-evaluation of the relative rules, in a process of its own, with
   its resident memory before and after.

Prints each figure beside its bound (PASS or MISS, a MISS does not fail the run) and the plans
of the main statements. The exit status is non-zero only when the run itself broke.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from segments_app import create_app
from segments_app.extensions import db

from . import catalogue, data, load, plans, steps

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SAVE_BOUND_S = 5.0
SAVE_BOUND_RATIO = 3.0
PREVIEW_P95_MS = 500.0
BATCH_RATIO = 1.5


class BenchError(RuntimeError):
    """The run itself broke: the figures would be meaningless."""


@dataclass
class Figures:
    database: str
    customers: int
    setup: dict[str, float] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)
    plans: list[dict] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rules", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=200, help="rule segments of the tenant")
    parser.add_argument("--relative", type=int, default=50, help="of which relative-date rules")
    parser.add_argument("--previews", type=int, default=30, help="rules previewed in (b)")
    # nine: with five, the medians moved by twenty points between runs
    parser.add_argument("--batches", type=int, default=9, help="batches of each kind in (c)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--orders",
        action="store_true",
        help="(c) also with batches of customers who just ordered (three attributes change)",
    )
    parser.add_argument(
        "--only", default="abcd", help="which figures: any of the letters a, b, c, d"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the loaded database for later runs (SQLite: a file in this folder; "
        "PostgreSQL: a template database) and start from it when it is there",
    )
    parser.add_argument("--no-plans", action="store_true")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing database, used only to create and drop the scratch one",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(
        f"bench.rules: {args.customers:,} customers, {args.rules} rules ({args.relative} "
        f"relative), {os.cpu_count()} CPUs",
        flush=True,
    )
    results = []
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="bench-rules-") as workdir:
            results.append(run_database(database, args, Path(workdir)))
    print()
    for result in results:
        print_figures(result)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2, default=str))
    return 0


def step(database: str, what: str) -> None:
    # the load average says whether other work shared the CPUs while a figure was measured
    load = os.getloadavg()[0]
    print(f"[{database}] {what} ... (load average {load:.1f}, {os.cpu_count()} CPUs)", flush=True)


def run_database(database: str, args, workdir: Path) -> Figures:
    result = Figures(database, args.customers)
    with prepared(database, args, workdir, result) as url:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-rules", "REDIS_URL": None}
        )
        # as wsgi.py does in production: the app's own objects out of the collector's sight,
        # so its full collections do not pause the figures at random
        gc.collect()
        gc.freeze()
        with app.app_context():
            engine = db.engine
        explained: list[plans.Explained] = []
        if "a" in args.only:
            step(database, "(a) save")
            with plans.recording(engine) as sent:
                bound, count = steps.bound_seconds(app, catalogue.SAVE_RULE)
            explained += plans.explain(engine, "bound", plans.interesting(sent, 1))
            save = {"bound_s": bound, "bound_count": count}
            with plans.recording(engine) as sent:
                save.update(attempt(database, steps.save_figure, app, catalogue.SAVE_RULE))
            result.figures["save"] = save
            explained += plans.explain(engine, "save", plans.interesting(sent))
        if "b" in args.only:
            step(database, f"(b) preview of {args.previews} rules")
            with plans.recording(engine) as sent:
                result.figures["preview"] = attempt(
                    database, steps.preview_figure, app, catalogue.preview_rules(args.previews)
                )
            explained += plans.explain(engine, "preview", plans.interesting(sent, 8)[:4])
        if "c" in args.only:
            step(database, f"(c) {args.batches} x 2 directory batches of {args.batch_size:,}")
            # the bound's batch (every attribute new); with --orders, customers who ordered too
            for name, orders in [("batch", False), ("orders", True)][: 1 + args.orders]:
                with plans.recording(engine) as sent:
                    result.figures[name] = attempt(
                        database,
                        steps.batch_figure,
                        app,
                        args.customers,
                        args.batches,
                        args.batch_size,
                        orders,
                    )
                if not orders:
                    explained += plans.explain(engine, "batch", plans.interesting(sent, 4))
        if "d" in args.only:
            step(database, "(d) refresh of the relative rules (own process)")
            result.figures["refresh"] = attempt(database, steps.refresh_figure, url)
        if not args.no_plans:
            result.plans = [asdict(e) for e in explained]
        with app.app_context():
            db.engine.dispose()
    return result


class prepared:
    """The loaded database's URL: cloned from the cache, or loaded (and cached)."""

    def __init__(self, database: str, args, workdir: Path, result: Figures) -> None:
        self.database, self.args, self.workdir, self.result = database, args, workdir, result
        self._scratch = None

    def __enter__(self) -> str:
        args, database = self.args, self.database
        kind = "postgresql" if database == "postgres" else "sqlite"
        head = steps.schema_head()
        name = load.cache_name(args.customers, head) + f"_{args.rules}_{args.relative}"
        template: str | None = None
        if args.cache:
            if kind == "sqlite" and (args.cache / f"{name}.db").exists():
                template = str(args.cache / f"{name}.db")
            elif kind == "postgresql" and load.postgres_database_exists(args.postgres_url, name):
                template = name
        started = time.perf_counter()
        self._scratch = load.scratch_database(kind, args.postgres_url, self.workdir, template)
        url = self._scratch.__enter__()
        if template:
            step(database, f"cloned the cached database {template}")
            self.result.setup["clone"] = time.perf_counter() - started
            return url
        self.result.setup.update(self._load(url))
        if args.cache:
            started = time.perf_counter()
            if kind == "sqlite":
                args.cache.mkdir(parents=True, exist_ok=True)
                load.sqlite_copy(self.workdir / "bench.db", args.cache / f"{name}.db")
            else:
                load.keep_as_template(args.postgres_url, url, name)
            self.result.setup["cache"] = time.perf_counter() - started
            step(database, f"kept as {name}")
        return url

    def _load(self, url: str) -> dict[str, float]:
        args, database = self.args, self.database
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-rules", "REDIS_URL": None}
        )
        step(database, "migrating")
        started = time.perf_counter()
        tenant_id = load.migrate_and_tenant(app)
        seconds = {"migrate": time.perf_counter() - started}
        shape = data.Shape(args.customers, load.now())
        rules = catalogue.stored_rules(args.rules, args.relative)
        step(database, f"loading {args.customers:,} customers")
        seconds.update(load.load(app, shape, tenant_id, rules))
        step(database, "the attribute indexes the rules use")
        started = time.perf_counter()
        made = steps.rule_indexes(app)
        with app.app_context():
            load.analyze()  # statistics of the new indexes, before the planner meets them
        seconds["rule indexes"] = time.perf_counter() - started
        step(database, f"  made {len(made)}: {', '.join(made)}")
        step(database, f"evaluating {len(rules)} rules for their members")
        started = time.perf_counter()
        members = steps.evaluate_all(app)
        seconds["evaluate rules"] = time.perf_counter() - started
        step(database, f"  {members:,} automatic members")
        with app.app_context():
            load.analyze()
            db.engine.dispose()
        for what, s in seconds.items():
            print(f"[{database}]   {what}: {s:.1f} s", flush=True)
        return seconds

    def __exit__(self, *exc) -> None:
        assert self._scratch is not None
        self._scratch.__exit__(*exc)


def attempt(database: str, function, *args) -> dict:
    """A figure, or a note that the service it measures is not there (yet)."""
    try:
        return function(*args)
    except (NotImplementedError, ImportError) as exc:
        print(f"[{database}]   not measured: {exc or type(exc).__name__}", flush=True)
        return {"missing": str(exc) or type(exc).__name__}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def print_figures(result: Figures) -> None:
    f = result.figures
    print(f"== {result.database}: {result.customers:,} customers")
    if "save" in f:
        s = f["save"]
        line = f"(a) bound: the bare count(*) {s['bound_s']:.2f} s ({s['bound_count']:,})"
        if "seconds" in s:
            ratio = s["seconds"] / s["bound_s"]
            line += (
                f"; save {s['seconds']:.2f} s, matched {s['matched']:,} (joined "
                f"{s['joined']:,}), x bound {ratio:.2f}  | < {SAVE_BOUND_S:g} s "
                f"{verdict(s['seconds'] < SAVE_BOUND_S)}, <= {SAVE_BOUND_RATIO:g}x "
                f"{verdict(ratio <= SAVE_BOUND_RATIO)}"
            )
        print(line)
    if "p95_ms" in f.get("preview", {}):
        p = f["preview"]
        print(
            f"(b) preview of {p['rules']} 3-condition rules: p50 {p['p50_ms']:.0f} ms, "
            f"p95 {p['p95_ms']:.0f} ms, max {p['max_ms']:.0f} ms (matched {p['matched_min']:,}"
            f"-{p['matched_max']:,})  | p95 < {PREVIEW_P95_MS:g} ms "
            f"{verdict(p['p95_ms'] < PREVIEW_P95_MS)}"
        )
    for name in ("batch", "orders"):
        if "with_s" not in f.get(name, {}):
            continue
        b = f[name]
        ratio = b["with_s"] / b["without_s"]
        bound = f"<= 50% {verdict(ratio <= BATCH_RATIO)}" if name == "batch" else "figures"
        what = " who just ordered (lastOrderAt, orders, lifetimeValue)" if name == "orders" else ""
        print(
            f"(c) directory batch of {b['size']:,} customers{what}, median of {b['rounds']}: "
            f"with rules {b['with_s'] * 1000:.0f} ms, without {b['without_s'] * 1000:.0f} ms, "
            f"rules add {100 * (ratio - 1):.0f}%  | {bound}"
        )
    if "seconds" in f.get("refresh", {}):
        r = f["refresh"]
        print(
            f"(d) refresh of {r['rules']} relative rules: {r['seconds']:.1f} s "
            f"({r['seconds'] / max(1, r['rules']) * 1000:.0f} ms a rule), joined {r['joined']:,}"
            f", left {r['left']:,}; resident memory {r['rss_before_mb']:.0f} MB before, peak "
            f"{r['peak_mb']:.0f} MB, {r['rss_after_mb']:.0f} MB after"
        )
    for name, figure in f.items():
        if "missing" in figure:
            print(f"({name}) not measured: {figure['missing']}")
    if result.plans:
        print("plans:")
        plans.print_plans([plans.Explained(**p) for p in result.plans])
    print(flush=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
