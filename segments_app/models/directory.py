"""Reference data a tenant's assignments point at: legal entities, customers, categories, products.

Links inside the directory (a customer's legal entities, a category's parent, a product's
categories) are kept as public ids, not foreign keys, because import files may name a record
before the record itself arrives.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import JSONDoc, UTCDateTime, utcnow


class _Record:
    """Columns every directory record has."""

    pk: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    id: Mapped[str] = mapped_column(sa.String(255))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LegalEntity(_Record, Model):
    __tablename__ = "legal_entity"

    name: Mapped[str | None] = mapped_column(sa.String(500))
    #: the tenant's own facts about the entity, for rules (see services.attributes)
    attributes: Mapped[dict | None] = mapped_column(JSONDoc)

    __table_args__ = (sa.UniqueConstraint("tenant_id", "id"),)


class Customer(_Record, Model):
    __tablename__ = "customer"

    first_name: Mapped[str | None] = mapped_column(sa.String(200))
    last_name: Mapped[str | None] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    #: lower-cased email: emails are unique per tenant regardless of case
    email_key: Mapped[str | None] = mapped_column(sa.String(320))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: the tenant's own facts about the customer, for rules (see services.attributes)
    attributes: Mapped[dict | None] = mapped_column(JSONDoc)

    legal_entity_links: Mapped[list[CustomerLegalEntity]] = relationship(
        cascade="all, delete-orphan", order_by="CustomerLegalEntity.position"
    )

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.UniqueConstraint("tenant_id", "email_key"),
    )

    @property
    def legal_entity_ids(self) -> list[str]:
        return [link.legal_entity_id for link in self.legal_entity_links]


class CustomerLegalEntity(Model):
    __tablename__ = "customer_legal_entity"

    customer_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("customer.pk", ondelete="CASCADE"), primary_key=True
    )
    legal_entity_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.Index(None, "tenant_id", "legal_entity_id"),)


class Category(_Record, Model):
    __tablename__ = "category"

    parent_id: Mapped[str | None] = mapped_column(sa.String(255))
    code: Mapped[str | None] = mapped_column(sa.String(255))
    name: Mapped[dict] = mapped_column(JSONDoc)
    localized_description: Mapped[dict | None] = mapped_column(JSONDoc)
    localized_slug: Mapped[dict | None] = mapped_column(JSONDoc)
    ecn: Mapped[list | None] = mapped_column(JSONDoc)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(default=0)
    published: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index(None, "tenant_id", "parent_id", "position"),
        sa.Index(None, "tenant_id", "code"),
    )


class Product(_Record, Model):
    __tablename__ = "product"

    code: Mapped[str | None] = mapped_column(sa.String(255))
    name: Mapped[dict] = mapped_column(JSONDoc)

    category_links: Mapped[list[ProductCategory]] = relationship(
        cascade="all, delete-orphan", order_by="ProductCategory.position"
    )

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "id"),
        sa.Index(None, "tenant_id", "code"),
    )

    @property
    def category_ids(self) -> list[str]:
        return [link.category_id for link in self.category_links]


class ProductCategory(Model):
    __tablename__ = "product_category"

    product_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("product.pk", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.Index(None, "tenant_id", "category_id", "product_pk"),)


#: GIN trigram indexes that serve the dashboard's substring searches (`ILIKE '%text%'`) on
#: PostgreSQL: migration 0004 makes them there only (SQLite has no such index), on the
#: expressions the searches use: customer_full_name(), email, id, code and name_text()
POSTGRES_TRIGRAM_INDEXES = frozenset(
    {
        "ix_customer_full_name_trgm",
        "ix_customer_email_trgm",
        "ix_customer_id_trgm",
        "ix_category_code_trgm",
        "ix_category_name_trgm",
        "ix_product_code_trgm",
        "ix_product_name_trgm",
    }
)


def customer_full_name(customer=Customer) -> sa.ColumnElement[str]:
    """'first last' of a customer, as the dashboard's search reads it (and its index holds)."""
    return (
        sa.func.coalesce(customer.first_name, "") + " " + sa.func.coalesce(customer.last_name, "")
    )


def name_text(model) -> sa.ColumnElement[str]:
    """A category's or product's localized names as one text (JSON), which a trigram index
    holds, so that a search by name can be narrowed before each language is checked."""
    return sa.cast(model.name, sa.Text)
