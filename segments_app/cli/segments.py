"""`flask segments refresh`: evaluate again the rules that compare with "now"."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..services.rules import runs
from .common import tenant_named

segments_cli = AppGroup("segments", help="Rule-based segments.")


@segments_cli.command("refresh")
@click.option("--tenant", "tenant_name", default=None, help="Only this tenant's rules.")
def refresh(tenant_name: str | None) -> None:
    """Evaluate again every rule with relative dates (within the last N days), one segment at a
    time; the embedded runner and the RQ worker do it every RULE_REFRESH_MINUTES anyway."""
    tenant_id = tenant_named(tenant_name).id if tenant_name else None
    recovered = runs.recover_interrupted()
    if recovered:
        click.echo(f"Marked {recovered} interrupted rule evaluation(s) failed.")
    for evaluation in runs.refresh(tenant_id):
        line = f"segment {evaluation.segment_pk}: {evaluation.state}"
        if evaluation.state == "done":
            line += (
                f", {evaluation.matched} match, {evaluation.joined} joined, {evaluation.left} left"
            )
        elif evaluation.error:
            line += f" ({evaluation.error})"
        click.echo(line)
