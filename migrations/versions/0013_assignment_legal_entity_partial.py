"""Customer assignments: the index on legal_entity_pk holds only B2B assignments, so a rule's
evaluation, which writes B2C ones only, does not add an entry to it for every member.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 23:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
# the lead renumbers at merge if another 0013 lands first
down_revision = "0012"
branch_labels = None
depends_on = None

NAME = "ix_customer_assignment_legal_entity_pk"


def upgrade():
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(
            NAME,
            ["legal_entity_pk"],
            unique=False,
            sqlite_where=sa.text("legal_entity_pk IS NOT NULL"),
            postgresql_where=sa.text("legal_entity_pk IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(NAME, ["legal_entity_pk"], unique=False)
