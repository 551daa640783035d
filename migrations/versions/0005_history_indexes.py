"""Indexes for the pages that read imports and activity: a segment's History tab groups its log
from one covering index (which also serves the foreign key, so the single-column index goes), and
the overview lists a tenant's recent imports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 22:05:00.000000

"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_segment_pk"))
        batch_op.create_index(
            batch_op.f("ix_activity_segment_pk_at_action_actor_count"),
            ["segment_pk", "at", "action", "actor", "count"],
            unique=False,
        )
    with op.batch_alter_table("member_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_member_import_tenant_id_created_at"),
            ["tenant_id", "created_at"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("member_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_import_tenant_id_created_at"))
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_segment_pk_at_action_actor_count"))
        batch_op.create_index(batch_op.f("ix_activity_segment_pk"), ["segment_pk"], unique=False)
