"""A heartbeat on rule evaluations, so one whose process stopped is found and marked failed.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05 20:05:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
# the lead renumbers at merge (h-attrs' 0009 comes between)
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rule_evaluation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("rule_evaluation", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
