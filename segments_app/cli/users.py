"""`flask users ...`: marketer accounts of the dashboard."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..errors import AppError
from ..extensions import db
from ..models import Tenant
from ..models.accounts import ROLES
from ..services import accounts
from .common import tenant_named

users_cli = AppGroup("users", help="Marketer accounts of the dashboard.")


@users_cli.command("create")
@click.option("--tenant", "tenant_name", required=True, help="The tenant the marketer works for.")
@click.option("--email", required=True, help="The marketer's email; they sign in with it.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="editor",
    show_default=True,
    help="admin: everything, plus users and API clients; editor: segments, members, items and "
    "imports; viewer: reads only.",
)
def users_create(tenant_name: str, email: str, role: str) -> None:
    """Create a dashboard login. The password is read from standard input when one is piped
    in; otherwise one is generated and printed, only this once."""
    tenant = tenant_named(tenant_name)
    password, generated = _new_password()
    try:
        user = accounts.create_user(tenant, email, role, password)
    except AppError as exc:
        raise click.UsageError(exc.message) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} of tenant {tenant.name}.")
    _show_login(tenant, password if generated else None)


@users_cli.command("set-password")
@click.option("--tenant", "tenant_name", required=True, help="The tenant the marketer works for.")
@click.option("--email", required=True, help="The marketer's email.")
def users_set_password(tenant_name: str, email: str) -> None:
    """Give a marketer a new password (read from standard input when piped in, else generated
    and printed once); every session of theirs ends."""
    tenant = tenant_named(tenant_name)
    password, generated = _new_password()
    try:
        user = accounts.find_user(tenant, email)
        accounts.set_password(user, password)
    except AppError as exc:
        raise click.UsageError(exc.message) from None
    db.session.commit()
    click.echo(f"New password set for {user.email} of tenant {tenant.name}; logged out everywhere.")
    _show_login(tenant, password if generated else None)


def _new_password() -> tuple[str, bool]:
    """A password piped in on standard input, or a generated one; and whether it was made."""
    if not (sys.stdin.isatty() or sys.stdin.closed):
        typed = sys.stdin.readline().rstrip("\r\n")
        if typed:
            return typed, False
    return accounts.generate_password(), True


def _show_login(tenant: Tenant, generated_password: str | None) -> None:
    click.echo(
        f"They log in with team {tenant.name} (a link that fills it in: /login?team={tenant.name})."
    )
    if generated_password:
        click.echo(f"Password (shown only this once): {generated_password}")


@users_cli.command("list")
@click.option("--tenant", "tenant_name", required=True, help="The tenant whose users to list.")
def users_list(tenant_name: str) -> None:
    """The tenant's marketers: email and role, one per line."""
    tenant = tenant_named(tenant_name)
    for user in db.session.scalars(accounts.users_query(tenant)):
        click.echo(f"{user.email}\t{user.role}")
