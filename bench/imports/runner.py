"""The member-import benchmark: `.venv/bin/python -m bench.imports --help`.

Per database, on a scratch database with ROWS + ROWS/10 customers in the directory:

1. bound: the same (segment, customer) pairs written into a copy of customer_assignment
   (its keys, indexes and constraints) the cheapest way the database offers;
2. add: ROWS customers (a shuffled list) added to an empty segment, end to end: store the
   file, parse, stage, validate, apply;
3. preview: the same file as a dry run on another empty segment;
4. replace: a segment of ROWS members replaced by a list that differs by 10%;
5. memory: a 2*ROWS-row import in a process of its own, its peak resident memory.

Prints the figures and the targets beside them. A missed target is reported as MISS; the exit
status is non-zero only when the run itself broke.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask_migrate import upgrade

from segments_app import create_app
from segments_app.extensions import db
from segments_app.models import MemberImport, Tenant
from segments_app.services.imports import Progress, create_import, run_import

from . import seed
from .bound import bound_seconds

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: rows per second each database must reach end to end, and the most times slower than the
#: bound it may be
TARGET_RATE = {"sqlite": 300_000, "postgres": 120_000}
TARGET_BOUND_RATIO = 3.0
TARGET_PREVIEW_SECONDS = 5.0
TARGET_PEAK_MB = 250.0


class BenchError(RuntimeError):
    """The run itself broke: the figures would be meaningless."""


@dataclass
class Figure:
    database: str
    case: str
    rows: int
    seconds: float
    bound_seconds: float | None = None
    phases: dict[str, float] = field(default_factory=dict)
    peak_mb: float | None = None
    baseline_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def times_bound(self) -> float | None:
        return self.seconds / self.bound_seconds if self.bound_seconds else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.imports", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the import files")
    parser.add_argument(
        "--memory-rows", type=int, default=None, help="rows of the memory run (2 x --rows)"
    )
    parser.add_argument("--skip-memory", action="store_true", help="leave out the memory run")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="an existing database, used only to create and drop the scratch one",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    memory_rows = args.memory_rows or 2 * args.rows
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    figures: list[Figure] = []
    print(f"bench.imports: {args.rows:,} rows per file, {os.cpu_count()} CPUs", flush=True)
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="bench-imports-") as workdir:
            figures += run_database(database, args, memory_rows, Path(workdir))
    print()
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figures], indent=2))
    return 0


def run_database(database: str, args, memory_rows: int, workdir: Path) -> list[Figure]:
    kind = "postgresql" if database == "postgres" else "sqlite"
    rows = args.rows
    with seed.scratch_database(kind, args.postgres_url, workdir) as url:
        import_dir = workdir / "imports"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "IMPORT_DIR": str(import_dir),
                "IMPORT_MAX_ROWS": 10 * memory_rows,
                "IMPORT_MAX_BYTES": 4 << 30,
            }
        )
        step(database, "migrating")
        with app.app_context():
            upgrade()
        segments = seed.tenant_and_segments(app, ["add", "preview", "replace", "memory"])
        extra = rows // 10
        step(database, f"seeding {rows + extra:,} customers")
        seed.customers(app, 1, rows + extra)
        add_file = workdir / "add.csv"
        add_order = seed.member_file(add_file, list(range(1, rows + 1)), seed=1)
        replace_file = workdir / "replace.csv"
        seed.member_file(replace_file, list(range(extra + 1, rows + extra + 1)), seed=2)
        step(database, "bound")
        bound = bound_seconds(app, segments["add"], add_order)
        figures = [Figure(database, "bound", rows, bound)]
        step(database, "add")
        figures.append(timed_import(app, database, "add", add_file, "add", False, bound))
        step(database, "preview")
        figures.append(timed_import(app, database, "preview", add_file, "add", True, None))
        step(database, f"seeding {rows:,} members")
        seed.members(app, segments["replace"], 1, rows)
        step(database, "replace")
        figures.append(
            timed_import(app, database, "replace", replace_file, "replace", False, bound)
        )
        if not args.skip_memory:
            if memory_rows > rows + extra:
                step(database, f"seeding customers up to {memory_rows:,}")
                seed.customers(app, rows + extra + 1, memory_rows)
            memory_file = workdir / "memory.csv"
            seed.member_file(memory_file, list(range(1, memory_rows + 1)), seed=3)
            step(database, f"memory ({memory_rows:,} rows, own process)")
            figures.append(memory_run(database, url, import_dir, memory_file))
        with app.app_context():
            db.engine.dispose()
        return figures


def step(database: str, what: str) -> None:
    print(f"[{database}] {what} ...", flush=True)


def timed_import(
    app, database: str, segment: str, path: Path, mode: str, dry_run: bool, bound: float | None
) -> Figure:
    marks: dict[str, float] = {}

    def on_progress(progress: Progress) -> None:
        marks.setdefault(progress.phase, time.perf_counter())

    with app.app_context():
        tenant = db.session.query(Tenant).filter_by(name=seed.TENANT).one()
        started = time.perf_counter()
        imp = create_import(tenant, segment, path, path.name, mode, dry_run, enqueue=False)
        pk = imp.pk
        db.session.commit()
        marks["parsing"] = time.perf_counter()
        run_import(pk, on_progress)
        ended = time.perf_counter()
        imp = db.session.get(MemberImport, pk)
        assert imp is not None
        if imp.status not in ("previewed", "applied"):
            raise BenchError(f"{segment} import ended {imp.status}: {imp.error}")
        counts = imp.counts or {}
        print(
            f"[{database}]   {imp.status}: read {counts.get('rowsRead'):,}, "
            f"+{counts.get('membersToAdd'):,} -{counts.get('membersToRemove'):,}, "
            f"rejected {counts.get('rejectedRows'):,}",
            flush=True,
        )
    order = ["parsing", "validating", "applying"]
    times = [started, *(marks[p] for p in order if p in marks), ended]
    names = ["store", *(p for p in order if p in marks)]
    phases = {name: round(b - a, 3) for name, a, b in zip(names, times, times[1:], strict=False)}
    return Figure(database, segment, counts.get("rowsRead", 0), ended - started, bound, phases)


def memory_run(database: str, url: str, import_dir: Path, path: Path) -> Figure:
    result = subprocess.run(
        [sys.executable, "-m", "bench.imports.memory", url, str(import_dir), "memory", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(f"memory run failed:\n{result.stdout}\n{result.stderr}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if data["status"] != "applied":
        raise BenchError(f"memory import ended {data['status']}: {data['error']}")
    return Figure(
        database,
        "memory",
        data["rows"],
        data["seconds"],
        peak_mb=data["peak_mb"],
        baseline_mb=data["baseline_mb"],
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_table(figures: list[Figure]) -> None:
    print(
        f"{'database':<9}{'case':<9}{'rows':>11}{'seconds':>9}{'rows/s':>10}{'x bound':>9}  "
        "phases (s) / memory / targets"
    )
    for f in figures:
        line = f"{f.database:<9}{f.case:<9}{f.rows:>11,}{f.seconds:>9.2f}{f.rate:>10,.0f}"
        ratio = f.times_bound
        line += f"{ratio:>9.2f}" if ratio is not None else f"{'':>9}"
        notes = ""
        if f.phases:
            notes += " ".join(f"{name} {seconds:.2f}" for name, seconds in f.phases.items())
        if f.case in ("add", "replace"):
            target = TARGET_RATE[f.database]
            notes += (
                f" | >= {target:,} rows/s {verdict(f.rate >= target)}, "
                f"<= {TARGET_BOUND_RATIO:g}x bound {verdict((ratio or 0) <= TARGET_BOUND_RATIO)}"
            )
        elif f.case == "preview":
            notes += (
                f" | < {TARGET_PREVIEW_SECONDS:g} s {verdict(f.seconds < TARGET_PREVIEW_SECONDS)}"
            )
        elif f.case == "memory":
            assert f.peak_mb is not None
            notes += (
                f"peak {f.peak_mb:.0f} MB (before the import {f.baseline_mb:.0f} MB) | "
                f"< {TARGET_PEAK_MB:g} MB {verdict(f.peak_mb < TARGET_PEAK_MB)}"
            )
        print(f"{line}  {notes}")
