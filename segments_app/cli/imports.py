"""`flask imports worker`: the background runner of member imports."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..jobs import rq, uses_rq
from ..services import imports
from ..services.rules import runs
from .common import running_app

imports_cli = AppGroup("imports", help="The background runner of member imports.")


@imports_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
def imports_worker(burst: bool) -> None:
    """Run the imports queued in Redis (REDIS_URL); run one or more of these in production.

    Marks failed the imports whose worker died while running them (their segments are
    untouched), first and then every IMPORT_HEARTBEAT_SECONDS, evaluates the rules with
    relative dates every RULE_REFRESH_MINUTES, and works the queue until stopped (Ctrl-C or
    SIGTERM finish the current job). Rule evaluations go to the same queue.
    """
    app = running_app()
    if not uses_rq(app):
        raise click.UsageError(
            "REDIS_URL is not set: without it imports run inside the app process and need no "
            "worker."
        )
    recovered = imports.recover_interrupted()
    if recovered:
        click.echo(f"Marked {recovered} interrupted import(s) failed.")
    click.echo(f"Working the queue '{app.config['IMPORT_QUEUE']}' (Ctrl-C stops).")
    rq.work(app, burst=burst, recover=_sweep)


def _sweep() -> None:
    """The worker's timer: interrupted imports and rule evaluations, and the rules' refresh."""
    imports.recover_interrupted()
    runs.sweep()
