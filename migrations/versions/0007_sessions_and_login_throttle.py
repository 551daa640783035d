"""Marketer sessions bound to a per-user token; logins unique per tenant; one throttle table for
password attempts, replacing the failure counter on the marketer row.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 10:20:00.000000

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("marketer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
    marketer = sa.table("marketer", sa.column("id", sa.Integer), sa.column("session_token"))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(marketer.c.id)).all():
        conn.execute(
            marketer.update()
            .where(marketer.c.id == user_id)
            .values(session_token=secrets.token_hex(16))
        )
    # recreate on SQLite: AUTOINCREMENT (ids never reused) is a property of the table itself
    with op.batch_alter_table(
        "marketer", schema=None, recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_marketer_email"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_marketer_tenant_id_email"), ["tenant_id", "email"]
        )
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("failed_since")
        batch_op.drop_column("locked_until")

    op.create_table(
        "login_attempt",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_attempt")),
    )
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_attempt_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    op.drop_table("login_attempt")
    with op.batch_alter_table("marketer", schema=None, recreate="always") as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed_since", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.drop_constraint(batch_op.f("uq_marketer_tenant_id_email"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_marketer_email"), ["email"])
        batch_op.drop_column("session_token")
