"""The background runner (embedded threads, RQ on Redis) and the `members import` command."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import MemberImport, Segment
from segments_app.models.types import utcnow
from segments_app.services import imports
from segments_app.services.imports.engine import run_import
from tests.factories import TENANT, tenant_named
from tests.imports_support import (
    DATA,
    REDIS_URL,
    csv_bytes,
    members,
    redis_up,
    reloaded,
    wait_for_jobs,
)

pytestmark = pytest.mark.usefixtures("directory")


def test_an_import_runs_in_the_background_once_its_creation_commits():
    imp = imports.create_import(
        tenant_named(), "gold", io.BytesIO(csv_bytes("customerId", "c1")), "a.csv"
    )
    pk = imp.pk
    assert imp.status == "queued"
    db.session.commit()
    wait_for_jobs()
    assert reloaded(pk).status == "previewed"


def test_nothing_runs_when_the_creation_rolls_back():
    imp = imports.create_import(
        tenant_named(), "gold", io.BytesIO(csv_bytes("customerId", "c1")), "a.csv"
    )
    pk = imp.pk
    db.session.rollback()
    db.session.commit()
    wait_for_jobs()
    assert db.session.get(MemberImport, pk) is None


def test_the_embedded_runner_recovers_interrupted_imports_when_it_starts(app):
    stale = imports.create_import(
        tenant_named(),
        "silver",
        io.BytesIO(csv_bytes("customerId", "c1")),
        "a.csv",
        enqueue=False,
    )
    stale.status = "running"
    stale.heartbeat_at = utcnow() - timedelta(hours=1)
    stale_pk = stale.pk
    db.session.commit()
    jobs.shutdown(app)  # the next job starts a runner anew
    fresh = imports.create_import(
        tenant_named(), "gold", io.BytesIO(csv_bytes("customerId", "c1")), "b.csv", dry_run=False
    )
    fresh_pk = fresh.pk
    db.session.commit()
    wait_for_jobs()
    assert reloaded(stale_pk).status == "failed"
    assert reloaded(fresh_pk).status == "applied"


@pytest.mark.skipif(not redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_with_redis_the_import_waits_for_a_worker(app, monkeypatch):
    queue_name = f"imports-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "IMPORT_QUEUE", queue_name)
    queue = jobs.rq.queue(app)
    try:
        imp = imports.create_import(
            tenant_named(),
            "gold",
            io.BytesIO(csv_bytes("customerId", "c1")),
            "a.csv",
            dry_run=False,
        )
        pk = imp.pk
        db.session.commit()
        assert queue.count == 1
        assert reloaded(pk).status == "queued"
        jobs.rq.work(app, burst=True)
        assert reloaded(pk).status == "applied"
        assert members() == {("c1", None)}
    finally:
        queue.delete(delete_jobs=True)


def test_with_redis_recovery_leaves_queued_imports_to_the_queue(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    waiting = imports.create_import(
        tenant_named(),
        "gold",
        io.BytesIO(csv_bytes("customerId", "c1")),
        "a.csv",
        enqueue=False,
    )
    waiting.heartbeat_at = utcnow() - timedelta(hours=1)
    pk = waiting.pk
    db.session.commit()
    imports.recover_interrupted()
    assert reloaded(pk).status == "queued"
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    imports.recover_interrupted()  # (or the embedded runner's timer, meanwhile)
    assert reloaded(pk).status == "failed"


def test_a_job_for_an_import_that_is_not_queued_does_nothing():
    imp = imports.create_import(
        tenant_named(),
        "gold",
        io.BytesIO(csv_bytes("customerId", "c1")),
        "a.csv",
        enqueue=False,
    )
    pk = imp.pk
    imp.status = "failed"
    db.session.commit()
    run_import(pk)
    assert reloaded(pk).status == "failed"


# -- flask members import ----------------------------------------------------------------------


def _import(cli, *args: str):
    return cli.invoke(args=["members", "import", "--tenant", TENANT, "--segment", "gold", *args])


def test_cli_import_with_every_row_used_exits_0(cli, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes("customerId", "c1", "c2"))
    result = _import(cli, str(path))
    assert result.exit_code == 0, result.output
    assert "Applied: import" in result.output
    assert "members to add" in result.output and "2" in result.output
    assert members() == {("c1", None), ("c2", None)}


def test_cli_dry_run_with_rejected_rows_exits_1_and_writes_them(cli):
    result = _import(cli, "--dry-run", str(DATA / "unknown_ids.csv"))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Previewed: preview")
    assert "row 3 (customerId): Customer x-404 is not in the directory." in result.output
    written = result.output.split("Rejected rows, with the reason for each: ")[1].strip()
    with open(written, encoding="utf-8-sig", newline="") as rejected:
        rows = list(csv.reader(rejected))
    assert [row[-2] for row in rows[1:]] == ["3", "5"]
    assert members() == set()


def test_cli_refused_file_exits_2_and_says_why(cli):
    result = _import(cli, str(DATA / "two_files.zip"))
    assert result.exit_code == 2
    assert "Refused: The zip file holds 2 files" in result.output


def test_cli_failed_import_exits_2(cli, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes("customerId", "nobody"))
    result = _import(cli, "--mode", "replace", str(path))
    assert result.exit_code == 2
    assert "Failed:" in result.output and "would remove them all" in result.output


def test_cli_reports_an_unsure_encoding(cli):
    result = _import(cli, "--dry-run", str(DATA / "windows1252.csv"))
    assert result.exit_code == 0, result.output
    assert "Encoding: windows-1252 (a guess; choose another with --encoding)." in result.output
    assert "Ignored columns: Name, City." in result.output


def test_cli_unknown_segment_is_refused(cli, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes("customerId", "c1"))
    result = cli.invoke(
        args=["members", "import", "--tenant", TENANT, "--segment", "nope", str(path)]
    )
    assert result.exit_code == 2
    assert "nope" in result.output


def test_worker_needs_redis(cli, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = cli.invoke(args=["imports", "worker", "--burst"])
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output


def test_cli_imports_are_in_the_segments_history(cli, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(csv_bytes("customerId", "c1"))
    _import(cli, "--dry-run", str(path))
    _import(cli, str(path))
    db.session.rollback()
    history = db.session.scalars(imports.segment_imports_query(_gold())).all()
    assert [(imp.dry_run, imp.status, imp.file_name) for imp in history] == [
        (False, "applied", "members.csv"),
        (True, "previewed", "members.csv"),
    ]


def _gold() -> Segment:
    return db.session.scalar(select(Segment).where(Segment.id == "gold"))
