"""Member imports: a CSV file of customers applied to one segment, and what each one changed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .assignments import BigPK
from .segments import Segment
from .types import JSONDoc, UTCDateTime, utcnow

MODES = ("add", "remove", "replace")
#: queued and running imports hold their segment; `reverting` only ever exists inside the
#: revert's own transaction, so that a revert and a run of the same segment exclude each other
#: `discarded`: a preview (or failed run) put aside, its file removed, kept in History;
#: `unmapped`: an upload whose header names no known column, waiting for a person to pick them
STATUSES = (
    "queued",
    "running",
    "previewed",
    "applied",
    "failed",
    "reverting",
    "reverted",
    "discarded",
    "unmapped",
)
ACTIVE_STATUSES = ("queued", "running", "reverting")
PHASES = ("parsing", "validating", "applying")

_ACTIVE = sa.text("status IN ('queued', 'running', 'reverting')")


class MemberImport(Model):
    """One upload of a member list for a segment: its file, its run, its counts and problems."""

    __tablename__ = "member_import"

    pk: Mapped[int] = mapped_column(primary_key=True)
    #: the public id: 24 lowercase hex characters
    id: Mapped[str] = mapped_column(sa.String(24), unique=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    segment_pk: Mapped[int] = mapped_column(sa.ForeignKey("segment.pk", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(sa.String(7))
    dry_run: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(9), default="queued")
    phase: Mapped[str | None] = mapped_column(sa.String(10))

    file_name: Mapped[str] = mapped_column(sa.String(255))
    #: where the upload is kept, relative to IMPORT_DIR
    file_path: Mapped[str] = mapped_column(sa.String(255))
    file_size: Mapped[int] = mapped_column(sa.BigInteger)
    #: csv, gzip or zip
    file_format: Mapped[str] = mapped_column(sa.String(4))
    encoding: Mapped[str | None] = mapped_column(sa.String(20))
    encoding_certain: Mapped[bool] = mapped_column(default=False)
    #: the encoding the user chose over the detected one
    encoding_override: Mapped[str | None] = mapped_column(sa.String(20))
    delimiter: Mapped[str | None] = mapped_column(sa.String(1))

    created_by: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: renewed while a process works on the import; a stale one means that process died
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reverted_by: Mapped[str | None] = mapped_column(sa.String(320))

    rows_done: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_per_second: Mapped[float | None] = mapped_column(sa.Float)
    rows_estimated: Mapped[int | None] = mapped_column(sa.BigInteger)
    seconds_left: Mapped[float | None] = mapped_column(sa.Float)

    counts: Mapped[dict | None] = mapped_column(JSONDoc)
    columns: Mapped[dict | None] = mapped_column(JSONDoc)
    #: the first problems, in row order: [{row, column, reason}]
    problems: Mapped[list | None] = mapped_column(JSONDoc)
    error: Mapped[str | None] = mapped_column(sa.Text)

    segment: Mapped[Segment] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.Index(None, "segment_pk", "created_at"),
        # the overview's running and recent imports of a tenant
        sa.Index(None, "tenant_id", "created_at"),
        sa.Index(
            "uq_member_import_active",
            "segment_pk",
            unique=True,
            sqlite_where=_ACTIVE,
            postgresql_where=_ACTIVE,
        ),
    )

    def __repr__(self) -> str:
        return f"<MemberImport {self.id} {self.mode} {self.status}>"


class MemberImportRemoval(Model):
    """An assignment an applied import removed, with every column, so a revert can restore it.

    assignment_import_id has no foreign key: PostgreSQL checks one row by row, and an import
    that removes a million members should not pay a million checks for an archive column
    (revert keeps it only if that import still exists).
    """

    __tablename__ = "member_import_removal"

    pk: Mapped[int] = mapped_column(BigPK, primary_key=True)
    import_pk: Mapped[int] = mapped_column(sa.ForeignKey("member_import.pk", ondelete="CASCADE"))
    customer_pk: Mapped[int] = mapped_column(sa.ForeignKey("customer.pk", ondelete="CASCADE"))
    legal_entity_pk: Mapped[int | None] = mapped_column(
        sa.ForeignKey("legal_entity.pk", ondelete="CASCADE")
    )
    assignment_type: Mapped[str] = mapped_column(sa.String(9))
    mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    metadata_mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the removed assignment's own import_id (the import that had made it), if any
    assignment_import_id: Mapped[int | None]

    __table_args__ = (
        sa.Index(None, "import_pk"),
        sa.Index(None, "customer_pk"),
        sa.Index(None, "legal_entity_pk"),
    )


class MemberImportRejection(Model):
    """A row of the file that the last run of an import rejected, and why."""

    __tablename__ = "member_import_rejection"

    import_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("member_import.pk", ondelete="CASCADE"), primary_key=True
    )
    row_no: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    column_name: Mapped[str | None] = mapped_column(sa.String(255))
    #: what kind of problem: unknown_customer, duplicate, extra_fields, ...
    code: Mapped[str] = mapped_column(sa.String(24))
    reason: Mapped[str] = mapped_column(sa.Text)
