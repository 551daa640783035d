"""`flask --app wsgi directory import` of a generated file of customers: speed and memory."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..api_throughput.runner import BenchError
from ..api_throughput.seed import ROOT, run_cli

IMPORT_TENANT = "benchimport"

# The importer's peak memory is read by a small launcher process: a child forked or spawned
# from this process inherits the high-water mark of this process's memory (the generated data
# set) in ru_maxrss, a grandchild spawned by a small process does not.
_LAUNCHER = """
import json, os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_maxrss], out)
"""


@dataclass(frozen=True)
class ImportFigures:
    rows: int
    seconds: float
    #: the importer's own figure, from its summary line
    reported_rate: float | None
    #: peak resident memory of the importing process (ru_maxrss), in MiB
    peak_mib: float
    file_mib: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def write_customers(path: Path, count: int) -> None:
    """`count` customer lines, as a CRM export would give them."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(1, count + 1):
            record = {
                "kind": "customer",
                "id": f"imp{n:07d}",
                "firstName": "Ada",
                "lastName": f"Lovelace {n}",
                "email": f"imp{n:07d}@import.example",
            }
            out.write(json.dumps(record) + "\n")


def run_import(env: dict[str, str], path: Path, rows: int) -> ImportFigures:
    """Import `path` into a fresh tenant in a child process; time it and read its peak memory."""
    run_cli(env, "tenants", "create", IMPORT_TENANT, "--languages", "en")
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "directory",
        "import",
        "--tenant",
        IMPORT_TENANT,
        str(path),
    ]
    log, result = path.with_suffix(".log"), path.with_suffix(".rusage")
    started = time.perf_counter()
    with log.open("w") as out:
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, str(result), *command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.perf_counter() - started
    returncode, maxrss_kib = json.loads(result.read_text())
    output = log.read_text(errors="replace")
    if returncode != 0:
        raise BenchError(f"directory import exited {returncode}:\n{output[-2000:]}")
    reported = re.search(r"\(([\d,]+) rows/s\)", output)
    return ImportFigures(
        rows=rows,
        seconds=seconds,
        reported_rate=float(reported.group(1).replace(",", "")) if reported else None,
        # Linux reports ru_maxrss in KiB
        peak_mib=maxrss_kib / 1024,
        file_mib=path.stat().st_size / 2**20,
    )
