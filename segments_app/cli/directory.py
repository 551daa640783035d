"""`flask directory import`: load a directory file (JSON lines) into a tenant."""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from flask.cli import AppGroup

from ..errors import Conflict
from ..extensions import db
from ..models import Tenant
from ..services.directory.importer import (
    BATCH_SIZE,
    ImportSummary,
    Rejection,
    Source,
    import_batch,
    open_source,
    read_batches,
)
from .common import tenant_named

directory_cli = AppGroup(
    "directory", help="Load a tenant's customers, legal entities, categories and products."
)

#: rejected lines shown one by one; beyond this only their number is told
SHOWN_REJECTIONS = 100


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
