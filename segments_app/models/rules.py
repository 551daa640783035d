"""What rule-based segments keep besides the segment's own rule: the attribute keys a tenant's
records use (with the type inferred for each), and the evaluations of rules."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .assignments import BigPK
from .types import JSONDoc, UTCDateTime, utcnow

#: whose attributes a key belongs to
ATTRIBUTE_OWNERS = ("customer", "legalEntity")
#: the types an attribute key can hold; a key keeps the type it was first seen with
ATTRIBUTE_TYPES = ("string", "number", "boolean", "date", "datetime", "tags")
#: why a rule was evaluated
EVALUATION_REASONS = ("saved", "directory", "schedule", "dependency")
#: an evaluation's life: queued, then running, then done or failed
EVALUATION_STATES = ("queued", "running", "done", "failed")


class AttributeKey(Model):
    """One attribute key of a tenant's customers or legal entities, with its inferred type and a
    few example values (for the rule editor)."""

    __tablename__ = "attribute_key"

    pk: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(sa.String(16))
    key: Mapped[str] = mapped_column(sa.String(64))
    type: Mapped[str] = mapped_column(sa.String(16))
    #: up to a handful of distinct values seen for the key
    examples: Mapped[list | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "owner", "key"),)


class RuleEvaluation(Model):
    """One evaluation of a segment's rule: why, how far it got, and what it changed."""

    __tablename__ = "rule_evaluation"

    pk: Mapped[int] = mapped_column(BigPK, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    segment_pk: Mapped[int] = mapped_column(sa.ForeignKey("segment.pk", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(16))
    state: Mapped[str] = mapped_column(sa.String(16), default="queued")
    #: who caused it (as in the activity log)
    actor: Mapped[str] = mapped_column(sa.String(320))
    #: customers the rule selected, customers who joined and who left
    matched: Mapped[int | None] = mapped_column()
    joined: Mapped[int] = mapped_column(default=0)
    left: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict | None] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: renewed while the evaluation waits or runs; one silent too long was interrupted
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index(None, "segment_pk", "pk"),
        # the runner's sweep finds unfinished evaluations without reading finished ones
        sa.Index(
            "ix_rule_evaluation_unfinished",
            "state",
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        ),
    )
