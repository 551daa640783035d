"""Customer assignments: the B2B unique index holds only B2B assignments.

A unique index never compared rows whose legal_entity_pk is NULL (NULLs are distinct), so for a
B2C assignment its entry only cost a write: every assignment a rule makes is B2C, and each wrote
six index entries where five do. B2C rows are kept unique by uq_customer_assignment_b2c, and a
lookup of one customer's row in a segment reads (customer_pk, segment_pk).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NAME = "uq_customer_assignment_b2b"
COLUMNS = ["segment_pk", "customer_pk", "legal_entity_pk"]


def upgrade():
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(
            NAME,
            COLUMNS,
            unique=True,
            sqlite_where=sa.text("legal_entity_pk IS NOT NULL"),
            postgresql_where=sa.text("legal_entity_pk IS NOT NULL"),
        )


def downgrade():
    with op.batch_alter_table("customer_assignment", schema=None) as batch_op:
        batch_op.drop_index(NAME)
        batch_op.create_index(NAME, COLUMNS, unique=True)
