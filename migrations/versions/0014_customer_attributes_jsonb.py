"""SQLite: a binary (JSONB) copy of each customer's attributes, which rules read instead of the
text (a scan of a million customers parses JSONB in less than half the time it parses text).

Triggers keep the copy in step on every write of `attributes`, and are made only where SQLite has
jsonb() (3.45 and newer: the pysqlite3 driver, see README "Stack"); elsewhere the column stays
NULL and rules read the text (services/rules/sql.py reads the copy, else the text). The attribute
indexes rules made read the text, so they go: the next evaluation of a rule that wants one makes
it again over the copy. PostgreSQL keeps its jsonb column as it is.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05 23:30:00.000000

"""

from alembic import op

revision = "0014"
# the lead re-chains at merge
down_revision = "0012"
branch_labels = None
depends_on = None

#: also in models (CUSTOMER_ATTRIBUTES_JSONB, left out of the schema comparison)
COLUMN = "attributes_jsonb"
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
    version = bind.exec_driver_sql("SELECT sqlite_version()").scalar_one()
    if tuple(int(part) for part in version.split(".")) < (3, 45, 0):
        return
    for name, when in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {when} BEGIN "
            f"UPDATE customer SET {COLUMN} = jsonb(NEW.attributes) WHERE pk = NEW.pk; END"
        )
    op.execute(f"UPDATE customer SET {COLUMN} = jsonb(attributes) WHERE attributes IS NOT NULL")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _drop_rule_indexes(bind)
    op.execute(f"ALTER TABLE customer DROP COLUMN {COLUMN}")
