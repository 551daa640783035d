"""Fixtures and helpers the member-import tests share (this module holds no tests).

Other test modules import what they use from here; pytest then finds the fixtures there too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import current_app
from sqlalchemy import select

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import (
    Customer,
    CustomerAssignment,
    LegalEntity,
    MemberImport,
    Segment,
    Tenant,
)
from segments_app.services import imports
from tests.conftest import TENANT
from tests.factories import add_customer, add_legal_entity

#: the Redis of the machine, for the tests of imports on RQ workers (skipped without it)
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


DATA = Path(__file__).resolve().parent.parent / "data" / "imports"

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
    tenant_id = current_tenant().id
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


def current_tenant() -> Tenant:
    found = db.session.scalar(select(Tenant).where(Tenant.name == TENANT))
    assert found is not None
    return found


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
        current_tenant(), segment_id, stream, name, mode, dry_run, encoding, enqueue=False
    )
    pk = created.pk
    db.session.commit()
    imports.run_import(pk)
    return reloaded(pk)


def wait_for_jobs() -> None:
    """Let the background runner finish what was handed to it."""
    assert jobs.wait_idle(current_app._get_current_object(), timeout=60)


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


def _frozen(value):
    return None if value is None else repr(sorted(value.items()))


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()
