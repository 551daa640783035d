"""Indexes for reading one segment's assignments in key order: a segment's customers page over
(segment_pk, pk) without reading the members before the page, and the storefront's items come
from its own segments instead of walking every item assignment. The unique indexes that also
lead with segment_pk go on to the customer or item, so they cannot give the key order.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 23:10:00.000000

"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_assignment_segment_pk_pk"), ["segment_pk", "pk"], unique=False
        )
    with op.batch_alter_table("item_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_assignment_segment_pk_pk"), ["segment_pk", "pk"], unique=False
        )


def downgrade():
    with op.batch_alter_table("item_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_assignment_segment_pk_pk"))
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_assignment_segment_pk_pk"))
