"""Operator commands: `flask --app wsgi <group> <command>`."""

from __future__ import annotations

import gc
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from .errors import AppError, Conflict
from .extensions import db
from .models import ApiClient, Tenant
from .models.tenants import (
    ALL_SCOPES,
    GRANTS,
    SCOPE_MANAGE,
    SCOPE_READ,
    SCOPE_READ_OWN,
    secret_digest,
)
from .models.types import utcnow
from .services import demo
from .services.directory import set_customer_password
from .services.directory.importer import (
    BATCH_SIZE,
    ImportSummary,
    Rejection,
    Source,
    import_batch,
    open_source,
    read_batches,
)
from .services.tenants import create_tenant

tenants_cli = AppGroup("tenants", help="Create and list tenants.")
clients_cli = AppGroup("api-clients", help="Create and revoke OAuth clients of the API.")
directory_cli = AppGroup(
    "directory", help="Load a tenant's customers, legal entities, categories and products."
)
customers_cli = AppGroup("customers", help="Storefront sign-in of the directory's customers.")

#: rejected lines shown one by one; beyond this only their number is told
SHOWN_REJECTIONS = 100


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
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        raise click.UsageError(f"No tenant named '{tenant_name}'. Create it with: tenants create.")
    grants = tuple(dict.fromkeys(grants or ("client_credentials",)))
    scopes = tuple(dict.fromkeys(scopes))
    if "password" in grants and SCOPE_READ_OWN not in scopes:
        raise click.UsageError(
            "A client with the password grant issues customer tokens: "
            f"add --scope {SCOPE_READ_OWN}."
        )
    if SCOPE_READ_OWN in scopes and "password" not in grants:
        raise click.UsageError(
            f"{SCOPE_READ_OWN} belongs to customer tokens only: add --grant password."
        )
    client_id = secrets.token_urlsafe(18)
    client_secret = secrets.token_urlsafe(32)
    db.session.add(
        ApiClient(
            client_id=client_id,
            secret_hash=secret_digest(client_secret),
            tenant_id=tenant.id,
            name=name,
            scope=" ".join(scopes),
            grants=" ".join(grants),
        )
    )
    db.session.commit()
    click.echo(
        json.dumps(
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "tenant": tenant.name,
                "scopes": list(scopes),
                "grants": list(grants),
            }
        )
    )


@clients_cli.command("revoke")
@click.argument("client_id")
def clients_revoke(client_id: str) -> None:
    """Revoke CLIENT_ID: it can get no new tokens and its tokens stop working at once."""
    client = db.session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None:
        raise click.UsageError(f"No client with id '{client_id}'.")
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        db.session.commit()
    click.echo(f"Revoked client {client_id}.")


def _tenant_named(name: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        raise click.UsageError(f"No tenant named '{name}'. Create it with: tenants create.")
    return tenant


@directory_cli.command("import")
@click.option("--tenant", "tenant_name", required=True, help="The tenant whose directory to load.")
@click.option(
    "--batch-size",
    default=BATCH_SIZE,
    show_default=True,
    type=click.IntRange(1, 50_000),
    help="Lines written (and committed) together.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.pass_context
def directory_import(ctx: click.Context, tenant_name: str, batch_size: int, file: str) -> None:
    """Import FILE: JSON Lines, one record a line with its kind (customer, legalEntity,
    category, product); plain or gzip; '-' reads standard input.

    Records are created or replaced by id, in any order. Each batch is committed on its own:
    loading reference data again converges on the same state, so a run that stops halfway is
    repaired by running it again. Exits 1 when any line was rejected.
    """
    tenant = _tenant_named(tenant_name)
    summary = ImportSummary()
    shown = 0
    stdin = sys.stdin.buffer if file == "-" else None
    started = time.perf_counter()
    with open_source(file, stdin) as source, _progress(source) as show, _fewer_collections():
        try:
            for batch in read_batches(source.lines, batch_size):
                counts, rejections = _import_batch_once_more_on_conflict(tenant, batch)
                db.session.commit()
                summary.add(counts)
                for rejection in rejections[: max(0, SHOWN_REJECTIONS - shown)]:
                    click.echo(f"line {rejection.line}: {rejection.reason}", err=True)
                shown = min(SHOWN_REJECTIONS, shown + len(rejections))
                show(source.position)
        except (OSError, EOFError) as exc:
            raise click.ClickException(
                f"{file} cannot be read after line {summary.lines}: {exc}. "
                "The lines before it are imported; fix the file and run the import again."
            ) from None
    _report(summary, time.perf_counter() - started, shown)
    if summary.rejected:
        ctx.exit(1)


def _import_batch_once_more_on_conflict(
    tenant: Tenant, batch: list[tuple[int, bytes]]
) -> tuple[ImportSummary, list[Rejection]]:
    try:
        return import_batch(tenant, batch)
    except Conflict:
        # another writer changed the same records meanwhile; the second pass sees its changes
        db.session.rollback()
        return import_batch(tenant, batch)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Let the garbage collector run rarely while a batch's many small objects come and go.

    Each full collection scans every object the app holds, and with the default thresholds
    that costs about a fifth of the import's time. Objects from before the import are frozen
    out of the scans; cycles made during it are still collected, only less often.
    """
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


@contextmanager
def _progress(source: Source) -> Iterator[Callable[[int], None]]:
    """A progress bar over the bytes of the file, on a terminal only."""
    if not source.size or not sys.stderr.isatty():
        yield lambda position: None
        return
    with click.progressbar(length=source.size, label="Importing", file=sys.stderr) as bar:
        done = 0

        def show(position: int) -> None:
            nonlocal done
            bar.update(position - done)
            done = position

        yield show


def _report(summary: ImportSummary, seconds: float, shown: int) -> None:
    if summary.rejected > shown:
        click.echo(f"... and {summary.rejected - shown} more rejected lines.", err=True)
    rate = summary.lines / seconds if seconds > 0 else 0.0
    click.echo(f"Read {summary.lines} lines in {seconds:.1f} s ({rate:,.0f} rows/s).")
    click.echo(f"{'kind':<12}{'created':>10}{'updated':>10}{'unchanged':>11}{'rejected':>10}")
    for name, counts in summary.kinds.items():
        click.echo(
            f"{name:<12}{counts.created:>10}{counts.updated:>10}{counts.unchanged:>11}"
            f"{counts.rejected:>10}"
        )
    if summary.blank:
        click.echo(f"Skipped {summary.blank} blank lines.")
    if summary.unreadable:
        click.echo(f"{summary.unreadable} lines were not records of a known kind.")
    click.echo(f"Rejected {summary.rejected} lines in all.")


@customers_cli.command("set-password")
@click.option("--tenant", "tenant_name", required=True, help="The customer's tenant.")
@click.argument("customer_id")
def customers_set_password(tenant_name: str, customer_id: str) -> None:
    """Set CUSTOMER_ID's storefront password, read from standard input (one line), or asked
    for without echo on a terminal."""
    tenant = _tenant_named(tenant_name)
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


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--demo/--no-demo", "with_demo", default=True, help="Load demo data on first run.")
@with_appcontext
def start(host: str, port: int, with_demo: bool) -> None:
    """Migrate the database, load demo data on first run, and serve the app."""
    upgrade()
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
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


def _banner(base: str, has_demo: bool) -> str:
    lines = [
        "",
        f"Segments is running on {base}",
        f"  API reference   {base}/docs",
        f"  Health          {base}/healthz",
        "",
        "Call the API: create a client, then ask for a token with its id and secret:",
        f"  .venv/bin/flask --app wsgi api-clients create --tenant {demo.DEMO_TENANT} "
        f"--scope {SCOPE_MANAGE} --scope {SCOPE_READ}",
        f"  curl -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials {base}/oauth/token",
    ]
    if has_demo:
        lines += [
            "",
            "Storefront login (password grant) for the demo customer: "
            f"{demo.DEMO_CUSTOMER_EMAIL} / {demo.DEMO_CUSTOMER_PASSWORD}",
        ]
    return "\n".join(lines) + "\n"


def register_cli(app: Flask) -> None:
    for group in (tenants_cli, clients_cli, directory_cli, customers_cli):
        app.cli.add_command(group)
    app.cli.add_command(start)
