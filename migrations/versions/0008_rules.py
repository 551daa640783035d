"""Rule-based segments: attributes on customers and legal entities, the attribute keys a tenant
uses with their inferred types, a segment's rule, and the evaluations of rules.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 19:41:27.252261

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BigPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNFINISHED = sa.text("state IN ('queued', 'running')")

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "attribute_key",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("examples", JSONDoc, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_attribute_key_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_attribute_key")),
        sa.UniqueConstraint(
            "tenant_id", "owner", "key", name=op.f("uq_attribute_key_tenant_id_owner_key")
        ),
    )
    op.create_table(
        "rule_evaluation",
        sa.Column("pk", BigPK, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("segment_pk", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=True),
        sa.Column("joined", sa.Integer(), nullable=False),
        sa.Column("left", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("detail", JSONDoc, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["segment_pk"],
            ["segment.pk"],
            name=op.f("fk_rule_evaluation_segment_pk_segment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
            name=op.f("fk_rule_evaluation_tenant_id_tenant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_rule_evaluation")),
    )
    with op.batch_alter_table("rule_evaluation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_evaluation_segment_pk_pk"), ["segment_pk", "pk"], unique=False
        )
        batch_op.create_index(
            "ix_rule_evaluation_unfinished",
            ["state"],
            unique=False,
            sqlite_where=UNFINISHED,
            postgresql_where=UNFINISHED,
        )

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attributes", JSONDoc, nullable=True))

    with op.batch_alter_table("legal_entity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attributes", JSONDoc, nullable=True))

    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule", JSONDoc, nullable=True))
        batch_op.add_column(
            sa.Column("rule_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("rule_evaluated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("rule_relative", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_segment_relative_rule",
            ["rule_relative"],
            unique=False,
            sqlite_where=sa.text("rule_relative"),
            postgresql_where=sa.text("rule_relative"),
        )


def downgrade():
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.drop_index("ix_segment_relative_rule")
        batch_op.drop_column("rule_relative")
        batch_op.drop_column("rule_evaluated_at")
        batch_op.drop_column("rule_version")
        batch_op.drop_column("rule")

    with op.batch_alter_table("legal_entity", schema=None) as batch_op:
        batch_op.drop_column("attributes")

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("attributes")

    op.drop_table("rule_evaluation")
    op.drop_table("attribute_key")
