"""`flask members import`: import a member list (CSV) into a segment, here and now."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import AppGroup

from ..errors import AppError
from ..extensions import db
from ..models import MemberImport
from ..models.imports import MODES
from ..services import imports
from ..services.imports.files import import_dir
from .common import tenant_named

members_cli = AppGroup("members", help="Import member lists (CSV) into segments.")


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
