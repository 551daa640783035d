"""Marketer accounts for the dashboard, and the activity log the dashboard shows."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .assignments import BigPK
from .tenants import Tenant
from .types import JSONDoc, UTCDateTime, utcnow

ROLES = ("admin", "editor", "viewer")


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, Model):
    """A marketer: belongs to one tenant, logs in with the tenant's name, e-mail and password."""

    __tablename__ = "marketer"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True
    )
    #: lower-cased; unique within the tenant, so one person may hold accounts in several tenants
    email: Mapped[str] = mapped_column(sa.String(320))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: part of every session cookie of this user; a new one (at logout, password or role change)
    #: ends all of them, and a deleted user's cookies name a token no row has
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "email"),
        # ids are never handed out twice, even after the highest one is deleted
        {"sqlite_autoincrement": True},
    )

    tenant: Mapped[Tenant] = relationship(lazy="joined")

    def can(self, action: str) -> bool:
        """`read`, `edit` (segments, members, items, imports) or `admin` (users, clients)."""
        allowed = {
            "admin": {"read", "edit", "admin"},
            "editor": {"read", "edit"},
            "viewer": {"read"},
        }
        return action in allowed.get(self.role, set())

    def get_id(self) -> str:
        """What the session cookie keeps: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Every session cookie issued to this user so far stops working."""
        self.session_token = new_session_token()


class Activity(Model):
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


class LoginAttempt(Model):
    """Password attempts counted per key (an account, an address, or both) in a fixed window.

    The key is a digest, so the table keeps no e-mail addresses of people who mistyped theirs.
    """

    __tablename__ = "login_attempt"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column()
    #: the window ends here; then the key starts again from nothing
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
