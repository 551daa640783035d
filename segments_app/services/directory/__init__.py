"""The tenant's directory: customers, legal entities, categories and products (reference data).

Segment assignments point at these records; they arrive through the directory API and the
import command, both of which write through `upsert_records`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...extensions import db
from ...models import Tenant
from .kinds import (
    COLLECTIONS,
    KINDS,
    DirectoryKind,
    customer_document,
    get_record,
    kind_named,
    records_query,
)
from .removal import assignment_count, delete_record, set_customer_password
from .upsert import RecordResult, upsert_records


def find_record(model: Any, tenant: Tenant, record_id: str) -> Any:
    """One directory record by its public id, or None."""
    return db.session.scalar(
        select(model).where(model.tenant_id == tenant.id, model.id == record_id)
    )


__all__ = [
    "COLLECTIONS",
    "KINDS",
    "DirectoryKind",
    "RecordResult",
    "assignment_count",
    "customer_document",
    "delete_record",
    "find_record",
    "get_record",
    "kind_named",
    "records_query",
    "set_customer_password",
    "upsert_records",
]
