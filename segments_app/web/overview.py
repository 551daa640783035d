"""The overview: how big the segments are, how membership changed lately, and the imports
running now or finished lately."""

from __future__ import annotations

from datetime import date, timedelta

from flask import g, redirect, url_for

from ..extensions import db
from ..models import MemberImport
from ..models.types import utcnow
from ..services import activity, stats
from ..services.imports.queries import tenant_recent_imports
from . import bp, can
from .htmx import render, wants_fragment

DAYS = 30
RECENT_IMPORTS = 8


def _daily_changes(tenant_id: int) -> list[dict]:
    """One entry per day of the last 30, with members added and removed (zero-filled)."""
    today = utcnow().date()
    days = {today - timedelta(days=n): {"added": 0, "removed": 0} for n in range(DAYS)}
    for day, action, n in db.session.execute(activity.membership_changes(tenant_id, DAYS)):
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        if key in days:
            days[key]["added" if action == "members.added" else "removed"] += int(n or 0)
    return [{"day": d, **days[d]} for d in sorted(days)]


def _recent_imports() -> list[MemberImport]:
    """The tenant's running imports, then its latest ones, with their segments (one query)."""
    return list(db.session.scalars(tenant_recent_imports(g.tenant, RECENT_IMPORTS)))


@bp.get("/")
@can("read")
def overview():
    """Totals, the largest segments, membership changes over the last 30 days, and the
    imports running now or finished lately."""
    tenant = g.tenant
    language = tenant.default_language
    largest = [
        {
            "label": segment.name.get(language) or next(iter(segment.name.values()), segment.id),
            "value": members,
            "url": url_for("web.segment_detail", segment_id=segment.id),
        }
        for segment, members in stats.largest_segments(tenant)
    ]
    return render(
        "overview/index.html",
        totals=stats.tenant_totals(tenant),
        largest=largest,
        changes=_daily_changes(tenant.id),
        imports=_recent_imports(),
    )


@bp.get("/overview/imports")
@can("read")
def overview_imports():
    """The overview's imports section alone: htmx polls it while an import runs."""
    if not wants_fragment():
        return redirect(url_for("web.overview"))
    return render("overview/_imports.html", imports=_recent_imports())
