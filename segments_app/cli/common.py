"""What the command groups share."""

from __future__ import annotations

import click
from sqlalchemy import select

from ..extensions import db
from ..models import Tenant


def tenant_named(name: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        raise click.UsageError(f"No tenant named '{name}'. Create it with: tenants create.")
    return tenant
