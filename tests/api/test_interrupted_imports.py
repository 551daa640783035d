"""An import whose process stopped (killed in the middle of an apply) no longer holds its
segment: the next upload finds it silent and marks it failed, and so do the runners' timers (in
every serving process) on their own, without a restart. An import whose heartbeat is alive is
never touched."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from segments_app import jobs
from segments_app.extensions import db
from segments_app.jobs.embedded import EmbeddedRunner
from segments_app.jobs.heartbeat import Heartbeat
from segments_app.models.types import utcnow
from segments_app.services import imports
from tests.factories import tenant_named
from tests.imports_support import (
    IMPORTS,
    REDIS_URL,
    api_upload,
    csv_bytes,
    finished,
    membership,
    redis_up,
    reloaded,
    run_file,
)

pytestmark = pytest.mark.usefixtures("directory")


def _crashed_apply(segment_id: str, silent_for: float) -> int:
    """An apply of `segment_id` whose process died `silent_for` seconds after its last
    heartbeat (as a kill -9 in the middle of the apply leaves it); returns its pk."""
    imp = imports.create_import(
        tenant_named(),
        segment_id,
        io.BytesIO(csv_bytes("customerId", "c3")),
        "crashed.csv",
        dry_run=False,
        enqueue=False,
    )
    imp.status, imp.phase = "running", "applying"
    imp.heartbeat_at = utcnow() - timedelta(seconds=silent_for)
    pk = imp.pk
    db.session.commit()
    return pk


def test_a_crashed_apply_lets_the_next_upload_in_without_a_restart(api, app):
    assert run_file(csv_bytes("customerId", "c1", "c2"), dry_run=False).status == "applied"
    before = membership()
    crashed = _crashed_apply("gold", app.config["IMPORT_STALE_SECONDS"] + 1)
    live = _crashed_apply("silver", 5)  # silent for less than IMPORT_STALE_SECONDS: alive

    created = api_upload(api, csv_bytes("customerId", "c4"), dryRun="false")
    assert created.status_code == 202, created.get_json()
    stopped = reloaded(crashed)
    assert stopped.status == "failed"
    assert stopped.error.startswith("Interrupted: the process running it stopped.")
    assert stopped.finished_at is not None
    assert membership() == before, "the crashed apply changed nothing"
    assert finished(api, created.headers["Location"])["status"] == "applied"

    refused = api.post(
        "/segments/silver/imports",
        data={"file": (io.BytesIO(csv_bytes("customerId", "c1")), "m.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 409
    assert reloaded(live).status == "running"


def test_applying_a_preview_frees_a_segment_held_by_a_crashed_import(api, app):
    preview = run_file(csv_bytes("customerId", "c1"))
    assert preview.status == "previewed"
    crashed = _crashed_apply("gold", app.config["IMPORT_STALE_SECONDS"] + 1)
    applied = api.post(f"{IMPORTS}/{preview.id}/apply")
    assert applied.status_code == 202, applied.get_json()
    assert reloaded(crashed).status == "failed"


def _wait_for(check, seconds: float) -> float:
    """Poll `check` until it holds; returns how long that took (fails after `seconds`)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, "not in time"
        time.sleep(0.05)
    return time.monotonic() - start


def test_the_embedded_runner_fails_a_crashed_import_on_its_own(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_STALE_SECONDS", 1)
    crashed = _crashed_apply("gold", 0)
    alive = _crashed_apply("silver", 0)
    heartbeat = Heartbeat(app, 0.2)
    heartbeat.add(alive)
    runner = EmbeddedRunner(app, imports.recover_interrupted)
    try:
        assert reloaded(crashed).status == "running", "not stale yet when the runner starts"
        # stale after 1 s, found within a quarter of that: well within 3 s
        _wait_for(lambda: reloaded(crashed).status == "failed", 3)
        assert reloaded(alive).status == "running"
    finally:
        runner.shutdown()
        heartbeat.stop()


@pytest.mark.e2e
def test_a_gunicorn_worker_fails_a_crashed_import_without_running_one(database_url):
    """A worker that never ran an import still looks for interrupted ones, on its timer."""
    crashed = _crashed_apply("gold", 0)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "SECRET_KEY": "k" * 40,
        "IMPORT_STALE_SECONDS": "2",
        "IMPORT_HEARTBEAT_SECONDS": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "--workers", "1", "wsgi:app"],
        cwd=Path(__file__).parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert reloaded(crashed).status == "running"
        _wait_for(lambda: reloaded(crashed).status == "failed", 30)
    finally:
        server.terminate()
        server.wait(timeout=30)


def sleep_a_while(seconds: float) -> None:
    """An RQ job that keeps the worker busy."""
    time.sleep(seconds)


@pytest.mark.skipif(not redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_the_rq_worker_fails_a_crashed_import_while_it_works(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "IMPORT_QUEUE", f"imports-test-{uuid.uuid4().hex[:8]}")
    monkeypatch.setitem(app.config, "IMPORT_STALE_SECONDS", 1)
    queue = jobs.rq.queue(app)
    try:
        crashed = _crashed_apply("gold", 0)
        queue.enqueue(sleep_a_while, 2.5)
        jobs.rq.work(app, burst=True, recover=imports.recover_interrupted)
        assert reloaded(crashed).status == "failed"
    finally:
        queue.delete(delete_jobs=True)
