"""`flask customers ...`: storefront sign-in of the directory's customers."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..errors import AppError
from ..extensions import db
from ..services.directory import set_customer_password
from .common import tenant_named

customers_cli = AppGroup("customers", help="Storefront sign-in of the directory's customers.")


@customers_cli.command("set-password")
@click.option("--tenant", "tenant_name", required=True, help="The customer's tenant.")
@click.argument("customer_id")
def customers_set_password(tenant_name: str, customer_id: str) -> None:
    """Set CUSTOMER_ID's storefront password, read from standard input (one line), or asked
    for without echo on a terminal."""
    tenant = tenant_named(tenant_name)
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        set_customer_password(tenant, customer_id, password)
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Set the storefront password of customer {customer_id}.")
