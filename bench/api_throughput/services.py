"""What a run stands up and tears down: the scratch databases and the gunicorn server.

Also home of BenchError, raised whenever the run itself breaks (here, and in the other modules of
the package), as opposed to a target being missed.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .seed import ROOT

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class BenchError(RuntimeError):
    """The run itself broke: the figures would be meaningless."""


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
