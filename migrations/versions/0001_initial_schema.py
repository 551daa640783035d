"""Initial schema: tenants, API clients and tokens, segments, the directory, assignments.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 17:38:32.891265

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tenant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("default_language", sa.String(length=35), nullable=False),
        sa.Column("languages", JSONDoc, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("name", name=op.f("uq_tenant_name")),
    )
    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("grants", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_api_client_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_api_client_client_id")),
    )
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_client_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "category",
        sa.Column("parent_id", sa.String(length=255), nullable=True),
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("name", JSONDoc, nullable=False),
        sa.Column("localized_description", JSONDoc, nullable=True),
        sa.Column("localized_slug", JSONDoc, nullable=True),
        sa.Column("ecn", JSONDoc, nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("valid_to", sa.DateTime(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_category_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_category")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_category_tenant_id_id")),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_category_tenant_id_code"), ["tenant_id", "code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_category_tenant_id_parent_id_position"),
            ["tenant_id", "parent_id", "position"],
            unique=False,
        )

    op.create_table(
        "customer",
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_key", sa.String(length=320), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_customer_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_customer")),
        sa.UniqueConstraint("tenant_id", "email_key", name=op.f("uq_customer_tenant_id_email_key")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_customer_tenant_id_id")),
    )
    op.create_table(
        "legal_entity",
        sa.Column("name", sa.String(length=500), nullable=True),
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_legal_entity_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_legal_entity")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_legal_entity_tenant_id_id")),
    )
    op.create_table(
        "product",
        sa.Column("code", sa.String(length=255), nullable=True),
        sa.Column("name", JSONDoc, nullable=False),
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_product_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_product")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_product_tenant_id_id")),
    )
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_tenant_id_code"), ["tenant_id", "code"], unique=False
        )

    op.create_table(
        "segment",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("name", JSONDoc, nullable=False),
        sa.Column("description", JSONDoc, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("site_code", sa.String(length=255), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=True),
        sa.Column("valid_to", sa.DateTime(), nullable=True),
        sa.Column("mixins", JSONDoc, nullable=True),
        sa.Column("metadata_mixins", JSONDoc, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_segment_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_segment")),
        sa.UniqueConstraint("tenant_id", "id", name=op.f("uq_segment_tenant_id_id")),
    )
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_segment_tenant_id_site_code_status"),
            ["tenant_id", "site_code", "status"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_segment_tenant_id_status_valid_from_valid_to"),
            ["tenant_id", "status", "valid_from", "valid_to"],
            unique=False,
        )

    op.create_table(
        "access_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("customer_pk", sa.Integer(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["api_client.id"],
            name=op.f("fk_access_token_client_pk_api_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_pk"],
            ["customer.pk"],
            name=op.f("fk_access_token_customer_pk_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_access_token_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_token_token_hash")),
    )
    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_token_client_pk"), ["client_pk"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_access_token_customer_pk"), ["customer_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_token_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "customer_assignment",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("segment_pk", sa.Integer(), nullable=False),
        sa.Column("customer_pk", sa.Integer(), nullable=False),
        sa.Column("legal_entity_pk", sa.Integer(), nullable=True),
        sa.Column("assignment_type", sa.String(length=9), nullable=False),
        sa.Column("mixins", JSONDoc, nullable=True),
        sa.Column("metadata_mixins", JSONDoc, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_pk"],
            ["customer.pk"],
            name=op.f("fk_customer_assignment_customer_pk_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["legal_entity_pk"],
            ["legal_entity.pk"],
            name=op.f("fk_customer_assignment_legal_entity_pk_legal_entity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_pk"],
            ["segment.pk"],
            name=op.f("fk_customer_assignment_segment_pk_segment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_customer_assignment")),
    )
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_assignment_customer_pk_segment_pk"),
            ["customer_pk", "segment_pk"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_customer_assignment_legal_entity_pk"), ["legal_entity_pk"], unique=False
        )
        batch_op.create_index(
            "uq_customer_assignment_b2b",
            ["segment_pk", "customer_pk", "legal_entity_pk"],
            unique=True,
        )
        batch_op.create_index(
            "uq_customer_assignment_b2c",
            ["segment_pk", "customer_pk"],
            unique=True,
            sqlite_where=sa.text("legal_entity_pk IS NULL"),
            postgresql_where=sa.text("legal_entity_pk IS NULL"),
        )

    op.create_table(
        "customer_legal_entity",
        sa.Column("customer_pk", sa.Integer(), nullable=False),
        sa.Column("legal_entity_id", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_pk"],
            ["customer.pk"],
            name=op.f("fk_customer_legal_entity_customer_pk_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_customer_legal_entity_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_pk", "legal_entity_id", name=op.f("pk_customer_legal_entity")
        ),
    )
    with op.batch_alter_table("customer_legal_entity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_legal_entity_tenant_id_legal_entity_id"),
            ["tenant_id", "legal_entity_id"],
            unique=False,
        )

    op.create_table(
        "item_assignment",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("segment_pk", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=8), nullable=False),
        sa.Column("product_pk", sa.Integer(), nullable=True),
        sa.Column("category_pk", sa.Integer(), nullable=True),
        sa.Column("mixins", JSONDoc, nullable=True),
        sa.Column("metadata_mixins", JSONDoc, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(item_type = 'PRODUCT' AND product_pk IS NOT NULL AND category_pk IS NULL) OR (item_type = 'CATEGORY' AND category_pk IS NOT NULL AND product_pk IS NULL)",
            name=op.f("ck_item_assignment_one_item"),
        ),
        sa.ForeignKeyConstraint(
            ["category_pk"],
            ["category.pk"],
            name=op.f("fk_item_assignment_category_pk_category"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_pk"],
            ["product.pk"],
            name=op.f("fk_item_assignment_product_pk_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["segment_pk"],
            ["segment.pk"],
            name=op.f("fk_item_assignment_segment_pk_segment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_item_assignment")),
    )
    with op.batch_alter_table("item_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_assignment_category_pk"), ["category_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_item_assignment_product_pk"), ["product_pk"], unique=False
        )
        batch_op.create_index(
            "uq_item_assignment_category",
            ["segment_pk", "category_pk"],
            unique=True,
            sqlite_where=sa.text("category_pk IS NOT NULL"),
            postgresql_where=sa.text("category_pk IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_item_assignment_product",
            ["segment_pk", "product_pk"],
            unique=True,
            sqlite_where=sa.text("product_pk IS NOT NULL"),
            postgresql_where=sa.text("product_pk IS NOT NULL"),
        )

    op.create_table(
        "product_category",
        sa.Column("product_pk", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.String(length=255), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_pk"],
            ["product.pk"],
            name=op.f("fk_product_category_product_pk_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_product_category_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_pk", "category_id", name=op.f("pk_product_category")),
    )
    with op.batch_alter_table("product_category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_product_category_tenant_id_category_id_product_pk"),
            ["tenant_id", "category_id", "product_pk"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("product_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_category_tenant_id_category_id_product_pk"))

    op.drop_table("product_category")
    with op.batch_alter_table("item_assignment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_item_assignment_product",
            sqlite_where=sa.text("product_pk IS NOT NULL"),
            postgresql_where=sa.text("product_pk IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_item_assignment_category",
            sqlite_where=sa.text("category_pk IS NOT NULL"),
            postgresql_where=sa.text("category_pk IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_item_assignment_product_pk"))
        batch_op.drop_index(batch_op.f("ix_item_assignment_category_pk"))

    op.drop_table("item_assignment")
    with op.batch_alter_table("customer_legal_entity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_legal_entity_tenant_id_legal_entity_id"))

    op.drop_table("customer_legal_entity")
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_customer_assignment_b2c",
            sqlite_where=sa.text("legal_entity_pk IS NULL"),
            postgresql_where=sa.text("legal_entity_pk IS NULL"),
        )
        batch_op.drop_index("uq_customer_assignment_b2b")
        batch_op.drop_index(batch_op.f("ix_customer_assignment_legal_entity_pk"))
        batch_op.drop_index(batch_op.f("ix_customer_assignment_customer_pk_segment_pk"))

    op.drop_table("customer_assignment")
    with op.batch_alter_table("access_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_token_expires_at"))
        batch_op.drop_index(batch_op.f("ix_access_token_customer_pk"))
        batch_op.drop_index(batch_op.f("ix_access_token_client_pk"))

    op.drop_table("access_token")
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_tenant_id_status_valid_from_valid_to"))
        batch_op.drop_index(batch_op.f("ix_segment_tenant_id_site_code_status"))

    op.drop_table("segment")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_tenant_id_code"))

    op.drop_table("product")
    op.drop_table("legal_entity")
    op.drop_table("customer")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_tenant_id_parent_id_position"))
        batch_op.drop_index(batch_op.f("ix_category_tenant_id_code"))

    op.drop_table("category")
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_client_tenant_id"))

    op.drop_table("api_client")
    op.drop_table("tenant")
