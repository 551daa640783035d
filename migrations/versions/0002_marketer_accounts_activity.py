"""Marketer accounts for the dashboard, and the activity log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:06:01.285144

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "marketer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("failed_since", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_marketer_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marketer")),
        sa.UniqueConstraint("email", name=op.f("uq_marketer_email")),
    )
    with op.batch_alter_table("marketer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketer_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "activity",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("segment_pk", sa.Integer(), nullable=True),
        sa.Column("segment_id", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("detail", JSONDoc, nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_pk"],
            ["segment.pk"],
            name=op.f("fk_activity_segment_pk_segment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_activity_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_segment_pk"), ["segment_pk"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_activity_tenant_id_at"), ["tenant_id", "at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_tenant_id_at"))
        batch_op.drop_index(batch_op.f("ix_activity_segment_pk"))

    op.drop_table("activity")
    with op.batch_alter_table("marketer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketer_tenant_id"))

    op.drop_table("marketer")
