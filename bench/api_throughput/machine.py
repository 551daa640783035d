"""The machine under the benchmark: the wrk binary, the context lines printed before a run,
and the CPU accounting (per process group, machine-wide, children) that measurements use.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import time
from importlib import metadata
from pathlib import Path

from .services import BenchError

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
