"""Operator commands: `flask --app wsgi <group> <command>`, one module per command group."""

from __future__ import annotations

from flask import Flask

from .clients import clients_cli
from .customers import customers_cli
from .directory import directory_cli
from .imports import imports_cli
from .members import members_cli
from .run import start
from .segments import segments_cli
from .tenants import tenants_cli
from .users import users_cli


def register_cli(app: Flask) -> None:
    """Add every command group, and `start`, to the app's `flask` command."""
    for group in (
        tenants_cli,
        clients_cli,
        users_cli,
        directory_cli,
        customers_cli,
        members_cli,
        imports_cli,
        segments_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(start)
