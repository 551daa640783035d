"""Operator commands: `flask --app wsgi <group> <command>`."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.serving import run_simple

from ..errors import AppError, Conflict
from ..extensions import db
from ..jobs import rq, uses_rq
from ..models import MemberImport, Tenant
from ..models.imports import MODES
from ..models.tenants import (
    ALL_SCOPES,
    GRANTS,
    SCOPE_MANAGE,
    SCOPE_READ,
)
from ..services import accounts, demo, imports
from ..services.directory import set_customer_password
from ..services.directory.importer import (
    BATCH_SIZE,
    ImportSummary,
    Rejection,
    Source,
    import_batch,
    open_source,
    read_batches,
)
from ..services.imports.files import import_dir
from ..services.tenants import create_tenant
from .common import tenant_named
from .users import users_cli

tenants_cli = AppGroup("tenants", help="Create and list tenants.")
clients_cli = AppGroup("api-clients", help="Create and revoke OAuth clients of the API.")
directory_cli = AppGroup(
    "directory", help="Load a tenant's customers, legal entities, categories and products."
)
customers_cli = AppGroup("customers", help="Storefront sign-in of the directory's customers.")
members_cli = AppGroup("members", help="Import member lists (CSV) into segments.")
imports_cli = AppGroup("imports", help="The background runner of member imports.")

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
    tenant = tenant_named(tenant_name)
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


#: exit codes of `members import`
EXIT_REJECTED_ROWS = 1
EXIT_REFUSED = 2
#: counts shown in the summary of `members import`, in this order
SUMMARY_COUNTS = (
    ("rowsRead", "rows read"),
    ("validRows", "valid rows"),
    ("membersToAdd", "members to add"),
    ("alreadyMembers", "already members"),
    ("membersToRemove", "members to remove"),
    ("notMembers", "listed but not members"),
    ("unknownCustomers", "unknown customers"),
    ("notInLegalEntity", "not in the legal entity"),
    ("malformedRows", "malformed rows"),
    ("duplicateRows", "duplicate rows"),
    ("blankRows", "blank rows (skipped)"),
    ("rejectedRows", "rejected rows"),
)


@members_cli.command("import")
@click.option("--tenant", "tenant_name", required=True, help="The segment's tenant.")
@click.option("--segment", "segment_id", required=True, help="The segment's id.")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="add",
    show_default=True,
    help="add the listed customers, remove them, or replace the members with them.",
)
@click.option("--dry-run", is_flag=True, help="Preview: count what would change, change nothing.")
@click.option(
    "--encoding", default=None, help="The file's encoding, when detecting it is not enough."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def members_import(
    ctx: click.Context,
    tenant_name: str,
    segment_id: str,
    mode: str,
    dry_run: bool,
    encoding: str | None,
    file: str,
) -> None:
    """Import the members listed in FILE (.csv, .csv.gz, or .zip with one CSV) into a segment.

    Runs here and now, with the same engine as the API. Exits 0 when every row was used,
    1 when rows were rejected (they are written to a CSV, with the reason for each),
    2 when nothing was imported (the file was refused or the import failed).
    """
    tenant = tenant_named(tenant_name)
    try:
        created = imports.create_import(
            tenant, segment_id, file, Path(file).name, mode, dry_run, encoding, enqueue=False
        )
        pk, size = created.pk, created.file_size
        db.session.commit()
    except AppError as exc:
        db.session.rollback()
        click.echo(f"Refused: {exc.message}", err=True)
        ctx.exit(EXIT_REFUSED)
    started = time.perf_counter()
    with _import_progress(size) as show:
        imports.run_import(pk, show)
    seconds = time.perf_counter() - started
    imp = db.session.get(MemberImport, pk)
    assert imp is not None
    if imp.status == "failed":
        click.echo(f"Failed: {imp.error}", err=True)
        ctx.exit(EXIT_REFUSED)
    _import_summary(imp, seconds)
    if imp.counts and imp.counts.get("rejectedRows"):
        ctx.exit(EXIT_REJECTED_ROWS)


@contextmanager
def _import_progress(size: int) -> Iterator[Callable[[imports.Progress], None]]:
    """A progress bar over the file while it is parsed, then the phases; on a terminal only."""
    if not sys.stderr.isatty():
        yield lambda progress: None
        return
    with click.progressbar(length=size, label="Parsing", file=sys.stderr) as bar:
        done = 0

        def show(progress: imports.Progress) -> None:
            nonlocal done
            if progress.phase == "parsing":
                bar.update(progress.position - done)
                done = progress.position
            else:
                bar.label = progress.phase.capitalize()
                bar.update(0)

        yield show


def _import_summary(imp: MemberImport, seconds: float) -> None:
    counts = imp.counts or {}
    what = "preview" if imp.dry_run else "import"
    rate = counts.get("rowsRead", 0) / seconds if seconds > 0 else 0.0
    click.echo(
        f"{imp.status.capitalize()}: {what} {imp.id} of {imp.file_name} into segment "
        f"{imp.segment.id} ({imp.mode}), {seconds:.1f} s, {rate:,.0f} rows/s."
    )
    encoding = imp.encoding_override or imp.encoding
    if not imp.encoding_certain:
        click.echo(f"Encoding: {encoding} (a guess; choose another with --encoding).")
    if imp.columns and imp.columns.get("ignored"):
        click.echo(f"Ignored columns: {', '.join(imp.columns['ignored'])}.")
    for key, label in SUMMARY_COUNTS:
        if key in counts and (counts[key] or key in ("rowsRead", "validRows", "rejectedRows")):
            click.echo(f"  {label:<26}{counts[key]:>12,}")
    if imp.problems:
        click.echo("First problems:")
        for problem in imp.problems:
            column = f" ({problem['column']})" if problem.get("column") else ""
            click.echo(f"  row {problem['row']}{column}: {problem['reason']}")
    if counts.get("rejectedRows"):
        target = import_dir() / f"{imp.id}-rejected.csv"
        with open(target, "w", encoding="utf-8", newline="") as out:
            for chunk in imports.rejected_rows_csv(imp):
                out.write(chunk)
        click.echo(f"Rejected rows, with the reason for each: {target}")


@imports_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def imports_worker(burst: bool) -> None:
    """Run the imports queued in Redis (REDIS_URL); run one or more of these in production.

    Marks failed the imports whose worker died while running them (their segments are
    untouched), first and then every IMPORT_HEARTBEAT_SECONDS, and works the queue until
    stopped (Ctrl-C or SIGTERM finish the current job).
    """
    app = current_app._get_current_object()
    if not uses_rq(app):
        raise click.UsageError(
            "REDIS_URL is not set: without it imports run inside the app process and need no "
            "worker."
        )
    recovered = imports.recover_interrupted()
    if recovered:
        click.echo(f"Marked {recovered} interrupted import(s) failed.")
    click.echo(f"Working the queue '{app.config['IMPORT_QUEUE']}' (Ctrl-C stops).")
    rq.work(app, burst=burst, recover=imports.recover_interrupted)


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
    imports.keep_recovering(current_app._get_current_object())
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


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


def register_cli(app: Flask) -> None:
    for group in (
        tenants_cli,
        clients_cli,
        users_cli,
        directory_cli,
        customers_cli,
        members_cli,
        imports_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(start)
