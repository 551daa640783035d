"""Customer segments."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JSONDoc, UTCDateTime, utcnow

#: a segment's statuses; the pages show each as its title-cased word
STATUSES = ("ACTIVE", "INACTIVE")
STATUS_CHOICES = tuple((status, status.title()) for status in STATUSES)
#: where a moment lies against a segment's validity (see Segment.validity_at)
BEFORE, INSIDE, AFTER = "before", "inside", "after"


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
    #: the rule that selects the segment's AUTOMATIC members (None: a list kept by hand); the
    #: tree services.rules checks and compiles
    rule: Mapped[dict | None] = mapped_column(JSONDoc)
    #: grows with every saved or removed rule, so an evaluation can tell it is out of date
    rule_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: when the rule was last evaluated to the end (None: never)
    rule_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: whether the rule compares with "now" (within the last N days): the schedule re-evaluates
    #: only these
    rule_relative: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index(None, "tenant_id", "site_code", "status"),
        sa.Index(None, "tenant_id", "status", "valid_from", "valid_to"),
        # the list sorted by its members or items column reads a page of an index
        sa.Index(None, "tenant_id", "member_count", "id"),
        sa.Index(None, "tenant_id", "item_count", "id"),
        # the schedule's refresh finds the rules that compare with "now"
        sa.Index(
            "ix_segment_relative_rule",
            "rule_relative",
            sqlite_where=sa.text("rule_relative"),
            postgresql_where=sa.text("rule_relative"),
        ),
    )

    def validity_at(self, moment: datetime) -> str:
        """BEFORE its validity starts, INSIDE it or AFTER it ended: an open end never passes, and
        both ends belong to the validity."""
        if self.valid_from is not None and moment < self.valid_from:
            return BEFORE
        if self.valid_to is not None and moment > self.valid_to:
            return AFTER
        return INSIDE

    def valid_at(self, moment: datetime) -> bool:
        """Whether `moment` lies inside the segment's validity, whatever its status."""
        return self.validity_at(moment) == INSIDE

    @classmethod
    def valid_at_sql(cls, moment: datetime) -> sa.ColumnElement[bool]:
        """SQL: valid_at(moment) of each row."""
        return sa.and_(
            sa.or_(cls.valid_from.is_(None), cls.valid_from <= moment),
            sa.or_(cls.valid_to.is_(None), cls.valid_to >= moment),
        )

    def __repr__(self) -> str:
        return f"<Segment {self.id}>"
