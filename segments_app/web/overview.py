"""The overview: how big the segments are, how membership changed lately, and the imports
running now or finished lately."""

from __future__ import annotations

from flask import g, redirect, url_for

from ..query.i18n import text_in
from ..services import overview as service
from ..services import stats
from . import bp, can
from .htmx import render, wants_fragment

DAYS = 30
RECENT_IMPORTS = 8


@bp.get("/")
@can("read")
def overview():
    """Totals, the largest segments, membership changes over the last 30 days, and the
    imports running now or finished lately."""
    tenant = g.tenant
    language = tenant.default_language
    largest = [
        {
            "label": text_in(segment.name, language) or segment.id,
            "value": members,
            "url": url_for("web.segment_detail", segment_id=segment.id),
        }
        for segment, members in stats.largest_segments(tenant)
    ]
    return render(
        "overview/index.html",
        totals=stats.tenant_totals(tenant),
        largest=largest,
        changes=service.daily_changes(tenant, DAYS),
        imports=service.recent_imports(tenant, RECENT_IMPORTS),
    )


@bp.get("/overview/imports")
@can("read")
def overview_imports():
    """The overview's imports section alone: htmx polls it while an import runs."""
    if not wants_fragment():
        return redirect(url_for("web.overview"))
    return render(
        "overview/_imports.html", imports=service.recent_imports(g.tenant, RECENT_IMPORTS)
    )
