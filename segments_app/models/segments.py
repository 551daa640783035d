"""Customer segments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JSONDoc, UTCDateTime, utcnow

STATUSES = ("ACTIVE", "INACTIVE")


class Segment(Model):
    __tablename__ = "segment"

    pk: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    #: the public id: custom (as given, case-sensitive) or generated (24 lowercase hex)
    id: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[dict] = mapped_column(JSONDoc)
    description: Mapped[dict | None] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(sa.String(16), default="INACTIVE")
    site_code: Mapped[str] = mapped_column(sa.String(255))
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    metadata_mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: how many customer and item assignments the segment has, kept by services.counters
    #: (counting a million assignments for every page would be too slow)
    member_count: Mapped[int] = mapped_column(default=0, server_default="0")
    item_count: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index(None, "tenant_id", "site_code", "status"),
        sa.Index(None, "tenant_id", "status", "valid_from", "valid_to"),
    )

    def __repr__(self) -> str:
        return f"<Segment {self.id}>"
