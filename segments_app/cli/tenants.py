"""`flask tenants ...`: the tenants (teams) the app serves."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import Tenant
from ..services.tenants import create_tenant

tenants_cli = AppGroup("tenants", help="Create and list tenants.")


@tenants_cli.command("create")
@click.argument("name")
@click.option("--languages", default="en", show_default=True, help="Comma-separated languages.")
@click.option("--default-language", default=None, help="Defaults to the first of --languages.")
def tenants_create(name: str, languages: str, default_language: str | None) -> None:
    """Create tenant NAME."""
    tenant = create_tenant(name, [lang.strip() for lang in languages.split(",")], default_language)
    db.session.commit()
    click.echo(
        f"Created tenant {tenant.name} (languages: {', '.join(tenant.languages)}; "
        f"default: {tenant.default_language})."
    )


@tenants_cli.command("list")
def tenants_list() -> None:
    """List tenants."""
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.name)):
        click.echo(f"{tenant.name}\t{','.join(tenant.languages)}\t{tenant.default_language}")
