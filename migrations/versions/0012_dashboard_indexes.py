"""Indexes for the dashboard's new orders: the segment list sorted by members or by items, and a
segment's members ordered or narrowed by since when.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:00:00.000000

"""

from alembic import op

revision = "0012"
# the lead renumbers at merge if another 0011/0012 lands first
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_segment_tenant_id_member_count_id"),
            ["tenant_id", "member_count", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_segment_tenant_id_item_count_id"),
            ["tenant_id", "item_count", "id"],
            unique=False,
        )

    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_assignment_segment_pk_created_at_pk"),
            ["segment_pk", "created_at", "pk"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_assignment_segment_pk_created_at_pk"))
    with op.batch_alter_table("segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_tenant_id_item_count_id"))
        batch_op.drop_index(batch_op.f("ix_segment_tenant_id_member_count_id"))
