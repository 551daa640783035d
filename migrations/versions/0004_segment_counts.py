"""Stored member and item counts on each segment; an index the overview's chart of membership
changes reads alone; and, on PostgreSQL, trigram indexes for the dashboard's substring searches
of customers, categories and products.

The counts are filled from the assignments as they are now; from here on every write keeps
them (segments_app/services/counters.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 09:12:40.118204

"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: (name, table, expression) of the GIN trigram indexes (PostgreSQL only)
TRIGRAM_INDEXES = (
    (
        "ix_customer_full_name_trgm",
        "customer",
        "(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))",
    ),
    ("ix_customer_email_trgm", "customer", "email"),
    ("ix_customer_id_trgm", "customer", "id"),
    ("ix_category_code_trgm", "category", "code"),
    ("ix_category_name_trgm", "category", "CAST(name AS TEXT)"),
    ("ix_product_code_trgm", "product", "code"),
    ("ix_product_name_trgm", "product", "CAST(name AS TEXT)"),
)


def upgrade():
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("member_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("item_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE segment SET "
        "member_count = (SELECT count(*) FROM customer_assignment a WHERE a.segment_pk = segment.pk), "
        "item_count = (SELECT count(*) FROM item_assignment i WHERE i.segment_pk = segment.pk)"
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activity_tenant_id_action_at_count"),
            ["tenant_id", "action", "at", "count"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, expression in TRIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")
        # statistics of the indexed expressions, without which the planner cannot tell a rare
        # text (read through the index) from a common one (read in list order, stopping early)
        for table in sorted({table for _, table, _ in TRIGRAM_INDEXES}):
            op.execute(f"ANALYZE {table}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _, _ in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_tenant_id_action_at_count"))
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.drop_column("item_count")
        batch_op.drop_column("member_count")
