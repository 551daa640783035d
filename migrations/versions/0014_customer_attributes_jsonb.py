"""SQLite: a binary (JSONB) copy of each customer's attributes, which rules read instead of the
text, and an index of (tenant_id, the copy) that a rule's scan of a tenant's customers reads
instead of the whole row (a third of its pages), parsing JSONB in less than half the time of text.

Triggers keep the copy in step on every write of `attributes`. Where SQLite has no jsonb() (older
than 3.45: Python's own sqlite3 on most systems; see README "Set up") the app's connections
define one that returns the text as it is, so the copy is the text and rules read it as before.
The attribute indexes rules made read the text column, so they go: the next evaluation of a rule
that wants one makes it again over the copy. PostgreSQL stores jsonb already.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:30:00.000000

"""

from alembic import op

revision = "0014"
# the lead re-chains at merge
down_revision = "0013"
branch_labels = None
depends_on = None

#: also in models (CUSTOMER_ATTRIBUTES_JSONB and its index, left out of the schema comparison)
COLUMN = "attributes_jsonb"
INDEX = "ix_customer_tenant_id_attributes_jsonb"
#: what the names of the indexes rules make start with (models.RULE_INDEX_PREFIX)
RULE_INDEXES = "ix_rule_customer_"
TRIGGERS = {
    "customer_attributes_jsonb_insert": "AFTER INSERT ON customer",
    "customer_attributes_jsonb_update": "AFTER UPDATE OF attributes ON customer",
}


def _drop_rule_indexes(bind) -> None:
    rows = bind.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customer'"
    ).scalars()
    for name in [n for n in rows if n.startswith(RULE_INDEXES)]:
        op.execute(f'DROP INDEX IF EXISTS "{name}"')


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _drop_rule_indexes(bind)
    op.execute(f"ALTER TABLE customer ADD COLUMN {COLUMN} BLOB")
    for name, when in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} BEGIN "
            f"UPDATE customer SET {COLUMN} = jsonb(NEW.attributes) WHERE pk = NEW.pk; END"
        )
    op.execute(f"UPDATE customer SET {COLUMN} = jsonb(attributes) WHERE attributes IS NOT NULL")
    op.execute(f"CREATE INDEX {INDEX} ON customer (tenant_id, {COLUMN})")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _drop_rule_indexes(bind)
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute(f"ALTER TABLE customer DROP COLUMN {COLUMN}")
