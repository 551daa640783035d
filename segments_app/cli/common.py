"""What the command groups share."""

from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Tenant


def tenant_named(name: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        raise click.UsageError(f"No tenant named '{name}'. Create it with: tenants create.")
    return tenant


def running_app() -> Flask:
    """The app the command runs in: the object itself, which threads and servers outlive the
    app context with, not the context-bound proxy."""
    # current_app is typed as a Flask, which hides the proxy's own method
    return current_app._get_current_object()  # type: ignore[attr-defined]
