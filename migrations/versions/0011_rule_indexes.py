"""Rules: a GIN index of customer attributes on PostgreSQL (jsonb_path_ops), which serves the
containment (`attributes @> '{"key": value}'`) that rules compile equality, `in`, booleans and
tags to. Range comparisons get expression indexes per key when a rule that needs one is saved
(services/rules/indexes.py); SQLite gets only those.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 20:30:00

"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: also in models.POSTGRES_ONLY_INDEXES (left out of the schema comparison)
NAME = "ix_customer_attributes_gin"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX {NAME} ON customer USING gin (attributes jsonb_path_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {NAME}")
    # the attribute indexes rules made go with the rules' tables' schema (0008)
