"""Member imports: uploads of member lists, what their runs rejected and what they removed,
and the import that made each customer assignment.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:14:56.321744

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_import",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("segment_pk", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=7), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=9), nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_path", sa.String(length=255), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("file_format", sa.String(length=4), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=True),
        sa.Column("encoding_certain", sa.Boolean(), nullable=False),
        sa.Column("encoding_override", sa.String(length=20), nullable=True),
        sa.Column("delimiter", sa.String(length=1), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("reverted_at", sa.DateTime(), nullable=True),
        sa.Column("reverted_by", sa.String(length=320), nullable=True),
        sa.Column("rows_done", sa.BigInteger(), nullable=False),
        sa.Column("rows_per_second", sa.Float(), nullable=True),
        sa.Column("rows_estimated", sa.BigInteger(), nullable=True),
        sa.Column("seconds_left", sa.Float(), nullable=True),
        sa.Column("counts", JSONDoc, nullable=True),
        sa.Column("columns", JSONDoc, nullable=True),
        sa.Column("problems", JSONDoc, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_pk"],
            ["segment.pk"],
            name=op.f("fk_member_import_segment_pk_segment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_member_import_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_member_import")),
        sa.UniqueConstraint("id", name=op.f("uq_member_import_id")),
    )
    with op.batch_alter_table("member_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_import_segment_pk_created_at"),
            ["segment_pk", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_member_import_active",
            ["segment_pk"],
            unique=True,
            sqlite_where=sa.text("status IN ('queued', 'running', 'reverting')"),
            postgresql_where=sa.text("status IN ('queued', 'running', 'reverting')"),
        )

    op.create_table(
        "member_import_rejection",
        sa.Column("import_pk", sa.Integer(), nullable=False),
        sa.Column("row_no", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("column_name", sa.String(length=255), nullable=True),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_pk"],
            ["member_import.pk"],
            name=op.f("fk_member_import_rejection_import_pk_member_import"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_pk", "row_no", name=op.f("pk_member_import_rejection")),
    )
    op.create_table(
        "member_import_removal",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("import_pk", sa.Integer(), nullable=False),
        sa.Column("customer_pk", sa.Integer(), nullable=False),
        sa.Column("legal_entity_pk", sa.Integer(), nullable=True),
        sa.Column("assignment_type", sa.String(length=9), nullable=False),
        sa.Column("mixins", JSONDoc, nullable=True),
        sa.Column("metadata_mixins", JSONDoc, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.Column("assignment_import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_pk"],
            ["customer.pk"],
            name=op.f("fk_member_import_removal_customer_pk_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_pk"],
            ["member_import.pk"],
            name=op.f("fk_member_import_removal_import_pk_member_import"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["legal_entity_pk"],
            ["legal_entity.pk"],
            name=op.f("fk_member_import_removal_legal_entity_pk_legal_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_member_import_removal")),
    )
    with op.batch_alter_table("member_import_removal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_import_removal_customer_pk"), ["customer_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_member_import_removal_import_pk"), ["import_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_member_import_removal_legal_entity_pk"),
            ["legal_entity_pk"],
            unique=False,
        )

    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_customer_assignment_import_id",
            ["import_id"],
            unique=False,
            sqlite_where=sa.text("import_id IS NOT NULL"),
            postgresql_where=sa.text("import_id IS NOT NULL"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_customer_assignment_import_id_member_import"),
            "member_import",
            ["import_id"],
            ["pk"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_customer_assignment_import_id_member_import"), type_="foreignkey"
        )
        batch_op.drop_index(
            "ix_customer_assignment_import_id",
            sqlite_where=sa.text("import_id IS NOT NULL"),
            postgresql_where=sa.text("import_id IS NOT NULL"),
        )
        batch_op.drop_column("import_id")

    with op.batch_alter_table("member_import_removal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_import_removal_legal_entity_pk"))
        batch_op.drop_index(batch_op.f("ix_member_import_removal_import_pk"))
        batch_op.drop_index(batch_op.f("ix_member_import_removal_customer_pk"))

    op.drop_table("member_import_removal")
    op.drop_table("member_import_rejection")
    with op.batch_alter_table("member_import", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_member_import_active",
            sqlite_where=sa.text("status IN ('queued', 'running', 'reverting')"),
            postgresql_where=sa.text("status IN ('queued', 'running', 'reverting')"),
        )
        batch_op.drop_index(batch_op.f("ix_member_import_segment_pk_created_at"))

    op.drop_table("member_import")
