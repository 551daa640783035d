"""`flask api-clients ...`: OAuth clients of the API."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from ..errors import AppError
from ..extensions import db
from ..models.tenants import (
    ALL_SCOPES,
    GRANTS,
)
from ..services import accounts
from .common import tenant_named

clients_cli = AppGroup("api-clients", help="Create and revoke OAuth clients of the API.")


@clients_cli.command("create")
@click.option("--tenant", "tenant_name", required=True, help="The tenant the client belongs to.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(ALL_SCOPES),
    help="A scope the client may ask for; repeat for several.",
)
@click.option(
    "--grant",
    "grants",
    multiple=True,
    type=click.Choice(GRANTS),
    help="client_credentials (default) for services, password for storefront customer logins.",
)
@click.option("--name", default=None, help="A label to recognise the client by.")
def clients_create(tenant_name: str, scopes: tuple[str, ...], grants: tuple[str, ...], name):
    """Create a client and print its credentials (the secret is shown only this once)."""
    tenant = tenant_named(tenant_name)
    try:
        created = accounts.create_api_client(tenant, list(scopes), list(grants), name)
    except AppError as exc:
        raise click.UsageError(exc.message) from None
    db.session.commit()
    client = created.client
    click.echo(
        json.dumps(
            {
                "client_id": client.client_id,
                "client_secret": created.secret,
                "tenant": tenant.name,
                "scopes": client.scope.split(),
                "grants": client.grants.split(),
            }
        )
    )


@clients_cli.command("revoke")
@click.argument("client_id")
def clients_revoke(client_id: str) -> None:
    """Revoke CLIENT_ID: it can get no new tokens and its tokens stop working at once."""
    try:
        accounts.revoke_api_client(client_id)
    except AppError as exc:
        raise click.UsageError(exc.message) from None
    db.session.commit()
    click.echo(f"Revoked client {client_id}.")
