"""Who is in a segment (customer assignments) and what it sees (item assignments)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JSONDoc, UTCDateTime, utcnow

BigPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ASSIGNMENT_TYPES = ("MANUAL", "AUTOMATIC")
ITEM_TYPES = ("PRODUCT", "CATEGORY")


class CustomerAssignment(Model):
    """A customer in a segment: B2C when legal_entity_pk is empty, B2B for that legal entity."""

    __tablename__ = "customer_assignment"

    pk: Mapped[int] = mapped_column(BigPK, primary_key=True)
    segment_pk: Mapped[int] = mapped_column(sa.ForeignKey("segment.pk", ondelete="CASCADE"))
    customer_pk: Mapped[int] = mapped_column(sa.ForeignKey("customer.pk", ondelete="CASCADE"))
    legal_entity_pk: Mapped[int | None] = mapped_column(
        sa.ForeignKey("legal_entity.pk", ondelete="CASCADE")
    )
    assignment_type: Mapped[str] = mapped_column(sa.String(9), default="MANUAL")
    mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    metadata_mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: member_import.pk of the import that made this assignment (None: made by hand or the API)
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("member_import.pk", ondelete="SET NULL")
    )

    __table_args__ = (
        # partial, as a unique index never compares rows whose legal_entity_pk is NULL: a B2C
        # assignment (every one a rule makes) writes no entry here
        sa.Index(
            "uq_customer_assignment_b2b",
            "segment_pk",
            "customer_pk",
            "legal_entity_pk",
            unique=True,
            sqlite_where=sa.text("legal_entity_pk IS NOT NULL"),
            postgresql_where=sa.text("legal_entity_pk IS NOT NULL"),
        ),
        sa.Index(
            "uq_customer_assignment_b2c",
            "segment_pk",
            "customer_pk",
            unique=True,
            sqlite_where=sa.text("legal_entity_pk IS NULL"),
            postgresql_where=sa.text("legal_entity_pk IS NULL"),
        ),
        # a segment's members in key order: the listing pages over this index alone
        sa.Index(None, "segment_pk", "pk"),
        # the members list ordered or narrowed by since when (services.member_filters)
        sa.Index(None, "segment_pk", "created_at", "pk"),
        sa.Index(None, "customer_pk", "segment_pk"),
        # partial: the foreign key's ON DELETE CASCADE looks for one legal entity's rows, and
        # a rule's evaluation (B2C rows only) then writes no entry here
        sa.Index(
            "ix_customer_assignment_legal_entity_pk",
            "legal_entity_pk",
            sqlite_where=sa.text("legal_entity_pk IS NOT NULL"),
            postgresql_where=sa.text("legal_entity_pk IS NOT NULL"),
        ),
        # partial: most assignments are made by hand, and revert and ON DELETE SET NULL
        # only ever look for one import's rows
        sa.Index(
            "ix_customer_assignment_import_id",
            "import_id",
            sqlite_where=sa.text("import_id IS NOT NULL"),
            postgresql_where=sa.text("import_id IS NOT NULL"),
        ),
    )


class ItemAssignment(Model):
    """A product or a category assigned to a segment."""

    __tablename__ = "item_assignment"

    pk: Mapped[int] = mapped_column(BigPK, primary_key=True)
    segment_pk: Mapped[int] = mapped_column(sa.ForeignKey("segment.pk", ondelete="CASCADE"))
    item_type: Mapped[str] = mapped_column(sa.String(8))
    product_pk: Mapped[int | None] = mapped_column(sa.ForeignKey("product.pk", ondelete="CASCADE"))
    category_pk: Mapped[int | None] = mapped_column(
        sa.ForeignKey("category.pk", ondelete="CASCADE")
    )
    mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    metadata_mixins: Mapped[dict | None] = mapped_column(JSONDoc)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "(item_type = 'PRODUCT' AND product_pk IS NOT NULL AND category_pk IS NULL)"
            " OR (item_type = 'CATEGORY' AND category_pk IS NOT NULL AND product_pk IS NULL)",
            name="one_item",
        ),
        sa.Index(
            "uq_item_assignment_product",
            "segment_pk",
            "product_pk",
            unique=True,
            sqlite_where=sa.text("product_pk IS NOT NULL"),
            postgresql_where=sa.text("product_pk IS NOT NULL"),
        ),
        sa.Index(
            "uq_item_assignment_category",
            "segment_pk",
            "category_pk",
            unique=True,
            sqlite_where=sa.text("category_pk IS NOT NULL"),
            postgresql_where=sa.text("category_pk IS NOT NULL"),
        ),
        # a segment's items in key order (listings, and the storefront's own segments)
        sa.Index(None, "segment_pk", "pk"),
        sa.Index(None, "product_pk"),
        sa.Index(None, "category_pk"),
    )
