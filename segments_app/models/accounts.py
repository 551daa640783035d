"""Marketer accounts for the dashboard, and the activity log the dashboard shows."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .assignments import BigPK
from .tenants import Tenant
from .types import JSONDoc, UTCDateTime, utcnow

ROLES = ("admin", "editor", "viewer")


class User(UserMixin, db.Model):
    """A marketer: belongs to one tenant, logs in with email and password."""

    __tablename__ = "marketer"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True
    )
    #: lower-cased; unique across tenants so the login form needs only email and password
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: failed logins since `failed_since`; 5 within a minute lock the account for a minute
    failed_logins: Mapped[int] = mapped_column(default=0)
    failed_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship(lazy="joined")

    def can(self, action: str) -> bool:
        """`read`, `edit` (segments, members, items, imports) or `admin` (users, clients)."""
        allowed = {
            "admin": {"read", "edit", "admin"},
            "editor": {"read", "edit"},
            "viewer": {"read"},
        }
        return action in allowed.get(self.role, set())


class Activity(db.Model):
    """Who changed what and when: segment edits, membership and item changes, imports."""

    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(BigPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    segment_pk: Mapped[int | None] = mapped_column(sa.ForeignKey("segment.pk", ondelete="SET NULL"))
    #: kept as text so the log still names a segment after it is deleted
    segment_id: Mapped[str | None] = mapped_column(sa.String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(320))
    action: Mapped[str] = mapped_column(sa.String(40))
    count: Mapped[int] = mapped_column(default=1)
    detail: Mapped[dict | None] = mapped_column(JSONDoc)

    __table_args__ = (
        sa.Index(None, "tenant_id", "at"),
        # the overview's chart of members added and removed per day reads only this index
        sa.Index(None, "tenant_id", "action", "at", "count"),
        # a segment's History tab groups its log from this index alone
        sa.Index(None, "segment_pk", "at", "action", "actor", "count"),
    )
