"""`flask start`: migrate, load the demo on first run, and serve the app."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from ..extensions import db
from ..models.tenants import (
    SCOPE_MANAGE,
    SCOPE_READ,
)
from ..services import demo, imports
from ..services.rules import runs
from .common import running_app


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo/--no-demo", "with_demo", default=True, help="Load demo data on first run.")
@with_appcontext
def start(host: str, port: int, with_demo: bool) -> None:
    """Migrate the database, load demo data on first run, and serve the app."""
    upgrade()
    recovered = imports.recover_interrupted()
    if recovered:
        click.echo(
            f"Marked {recovered} interrupted import(s) failed; their segments are untouched."
        )
    if with_demo and not demo.demo_present():
        click.echo("First run: loading demo data ...")
        summary = demo.load_demo()
        db.session.commit()
        click.echo(
            f"  tenant '{summary.tenant}': {summary.segments} segments, "
            f"{summary.customers} customers, {summary.categories} categories, "
            f"{summary.products} products, {summary.memberships} memberships."
        )
    base = f"http://{host}:{port}"
    click.echo(_banner(base, demo.demo_present()))
    # requests have sessions of their own; this one must not stay in a transaction while the
    # server runs
    db.session.remove()
    app = running_app()
    imports.keep_recovering(app)
    runs.keep_sweeping(app)
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _banner(base: str, has_demo: bool) -> str:
    lines = [
        "",
        f"Segments is running on {base}",
        f"  Dashboard       {base}/",
        f"  API reference   {base}/docs",
        f"  Health          {base}/healthz",
        "",
        "Call the API: create a client, then ask for a token with its id and secret:",
        f"  .venv/bin/flask --app wsgi api-clients create --tenant {demo.DEMO_TENANT} "
        f"--scope {SCOPE_MANAGE} --scope {SCOPE_READ}",
        f"  curl -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials {base}/oauth/token",
    ]
    if has_demo:
        admin = next(email for email, role in demo.DEMO_MARKETERS if role == "admin")
        lines[6:6] = [
            f"Log in to the dashboard at {base}/login?team={demo.DEMO_TENANT}",
            f"  team {demo.DEMO_TENANT}, e-mail {admin}, password {demo.DEMO_MARKETER_PASSWORD}",
            "  (also "
            + ", ".join(
                f"{email} ({role})" for email, role in demo.DEMO_MARKETERS if role != "admin"
            )
            + ", same password)",
            "",
        ]
        lines += [
            "",
            "Storefront login (password grant, the e-mail as username) for the demo customer: "
            f"{demo.DEMO_CUSTOMER_EMAIL} / {demo.DEMO_CUSTOMER_PASSWORD}",
        ]
    return "\n".join(lines) + "\n"
