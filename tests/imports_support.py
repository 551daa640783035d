"""Fixtures and helpers the member-import tests share: the directory the files in
tests/data/imports are written against, running an import here and now, uploading a file through
the API or the dashboard and waiting for its run, and reading a segment's members.

tests/conftest.py registers this module as a plugin, so its fixtures serve every test."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask, current_app
from sqlalchemy import select

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import (
    Customer,
    CustomerAssignment,
    LegalEntity,
    MemberImport,
    Segment,
)
from segments_app.services import imports
from tests.factories import TENANT, add_customer, add_legal_entity, tenant_named
from tests.pages import page_text

#: the Redis of the machine, for the tests of imports on RQ workers (skipped without it)
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


DATA = Path(__file__).resolve().parent / "data" / "imports"
#: a segment's imports in the API, and its upload tab on the dashboard
IMPORTS = "/segments/gold/imports"
UPLOAD_TAB = "/segments/gold/upload"

#: the directory the corpus in tests/data/imports is written against (see its manifest.yml)
IMPORT_DIRECTORY = {
    "legal_entities": ("le1", "le2"),
    "customers": (
        ("c1", "jane@example.com", ("le1",)),
        ("c2", "john@example.com", ()),
        ("c3", "zoe@example.com", ()),
        ("c4", "c4@example.com", ("le1", "le2")),
        ("müller-01", "juergen@example.com", ()),
    ),
}


@pytest.fixture
def import_dir(app, tmp_path, monkeypatch) -> Path:
    """Uploads of this test go to a directory of its own."""
    path = tmp_path / "imports"
    monkeypatch.setitem(app.config, "IMPORT_DIR", str(path))
    return path


@pytest.fixture
def idle_runner(app) -> Iterator[None]:
    """Background imports of the test have finished before its data is cleared."""
    yield
    assert jobs.wait_idle(app, timeout=60), "background imports still running"


def seed_import_directory() -> None:
    """Segments 'gold' and 'silver' (empty) and IMPORT_DIRECTORY, committed; in an app context."""
    tenant_id = tenant_named().id
    for segment_id in ("gold", "silver"):
        db.session.add(
            Segment(tenant_id=tenant_id, id=segment_id, name={"en": segment_id}, site_code="main")
        )
    for entity in IMPORT_DIRECTORY["legal_entities"]:
        add_legal_entity(TENANT, entity)
    for customer_id, email, entities in IMPORT_DIRECTORY["customers"]:
        add_customer(TENANT, customer_id, email=email, legal_entity_ids=entities)
    db.session.commit()


@pytest.fixture
def directory(app, tenant, import_dir, idle_runner) -> Iterator[None]:
    """Tenant acme with IMPORT_DIRECTORY and segments 'gold' and 'silver' (empty), inside an
    app context."""
    with app.app_context():
        seed_import_directory()
        yield
        db.session.remove()


@pytest.fixture
def seeded_directory(app, tenant, import_dir, idle_runner) -> None:
    """The same as `directory` without keeping an app context open, so that every request of
    the test has an app context (and `g`, and a session) of its own."""
    with app.app_context():
        seed_import_directory()


def run_file(
    source: Path | bytes,
    mode: str = "add",
    dry_run: bool = True,
    encoding: str | None = None,
    segment_id: str = "gold",
    file_name: str | None = None,
) -> MemberImport:
    """Create an import of `source` (a path, or the bytes of a file) and run it here and now;
    returns the import as it ended."""
    stream: Path | io.BytesIO = io.BytesIO(source) if isinstance(source, bytes) else source
    name = file_name or (source.name if isinstance(source, Path) else "members.csv")
    created = imports.create_import(
        tenant_named(), segment_id, stream, name, mode, dry_run, encoding, enqueue=False
    )
    pk = created.pk
    db.session.commit()
    imports.run_import(pk)
    return reloaded(pk)


def wait_for_jobs(app: Flask | None = None) -> None:
    """Let the background runner (of `app`, or of the current app) finish what was handed to it."""
    app = app or current_app._get_current_object()
    assert jobs.wait_idle(app, timeout=60), "background imports still running"


def reloaded(pk: int) -> MemberImport:
    """The import as the database has it now (ending any snapshot the session holds)."""
    db.session.rollback()
    imp = db.session.get(MemberImport, pk)
    assert imp is not None
    db.session.refresh(imp)
    return imp


def membership(segment_id: str = "gold") -> set[tuple]:
    """Every assignment of the segment with all of its columns but the pk."""
    db.session.rollback()
    rows = db.session.execute(
        select(
            Customer.id,
            LegalEntity.id,
            CustomerAssignment.assignment_type,
            CustomerAssignment.mixins,
            CustomerAssignment.metadata_mixins,
            CustomerAssignment.version,
            CustomerAssignment.created_at,
            CustomerAssignment.modified_at,
            CustomerAssignment.import_id,
        )
        .join(Segment, Segment.pk == CustomerAssignment.segment_pk)
        .join(Customer, Customer.pk == CustomerAssignment.customer_pk)
        .outerjoin(LegalEntity, LegalEntity.pk == CustomerAssignment.legal_entity_pk)
        .where(Segment.id == segment_id)
    ).all()
    return {(*row[:3], _frozen(row[3]), _frozen(row[4]), *row[5:]) for row in rows}


def members(segment_id: str = "gold") -> set[tuple[str, str | None]]:
    """The segment's (customer id, legal entity id or None) memberships."""
    return {(row[0], row[1]) for row in membership(segment_id)}


def members_of(app: Flask, segment_id: str = "gold") -> set[tuple[str, str | None]]:
    """`members` from outside an app context."""
    with app.app_context():
        found = members(segment_id)
        db.session.remove()
        return found


def _frozen(value):
    return None if value is None else repr(sorted(value.items()))


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def api_upload(api, data: bytes, name: str = "members.csv", **params):
    """POST the file to gold's imports as the multipart field `file`, with `params` as query
    parameters."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return api.post(
        f"{IMPORTS}?{query}" if query else IMPORTS,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def finished(api, location: str, timeout: float = 30) -> dict:
    """Poll the import until its run has ended (the runner is a thread of this process)."""
    deadline = time.monotonic() + timeout
    while True:
        wait_for_jobs()
        doc = api.get(location.removeprefix(api.url(""))).get_json()
        if doc["status"] not in ("queued", "running"):
            return doc
        assert time.monotonic() < deadline, doc
        time.sleep(0.01)


def upload(browser, data: bytes, name: str = "members.csv", htmx: bool = False, **form):
    """Post the file to gold's upload tab as a dashboard user."""
    fields = {"mode": "add", "encoding": "", **form}
    if data is not None:
        fields["file"] = (io.BytesIO(data), name)
    return browser.post(UPLOAD_TAB, data=fields, content_type="multipart/form-data", htmx=htmx)


def uploaded(browser, data: bytes, name: str = "members.csv", **form) -> str:
    """Upload and wait for the preview; returns the import's page URL."""
    response = upload(browser, data, name, **form)
    assert response.status_code == 303, page_text(response)
    wait_for_jobs(browser.client.application)
    return response.headers["Location"]
