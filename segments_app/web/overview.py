"""The overview: how big the segments are and how membership changed lately."""

from __future__ import annotations

from datetime import date, timedelta

from flask import g, url_for

from ..extensions import db
from ..models.types import utcnow
from ..services import activity, stats
from . import bp, can
from .htmx import render

DAYS = 30


def _daily_changes(tenant_id: int) -> list[dict]:
    """One entry per day of the last 30, with members added and removed (zero-filled)."""
    today = utcnow().date()
    days = {today - timedelta(days=n): {"added": 0, "removed": 0} for n in range(DAYS)}
    for day, action, n in db.session.execute(activity.membership_changes(tenant_id, DAYS)):
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        if key in days:
            days[key]["added" if action == "members.added" else "removed"] += int(n or 0)
    return [{"day": d, **days[d]} for d in sorted(days)]


@bp.get("/")
@can("read")
def overview():
    """Totals, the largest segments and membership changes over the last 30 days."""
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
    )
