"""What the overview shows besides the totals: membership changes day by day, and the imports
running now or finished lately."""

from __future__ import annotations

from datetime import date, timedelta

from ..extensions import db
from ..models import MemberImport, Tenant
from ..models.types import utcnow
from . import activity
from .imports.queries import tenant_recent_imports


def daily_changes(tenant: Tenant, days: int) -> list[dict]:
    """One entry per day of the last `days`, with members added and removed (zero-filled)."""
    today = utcnow().date()
    counts = {today - timedelta(days=n): {"added": 0, "removed": 0} for n in range(days)}
    for day, action, n in db.session.execute(activity.membership_changes(tenant.id, days)):
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        if key in counts:
            counts[key]["added" if action == "members.added" else "removed"] += int(n or 0)
    return [{"day": d, **counts[d]} for d in sorted(counts)]


def recent_imports(tenant: Tenant, limit: int) -> list[MemberImport]:
    """The tenant's running imports, then its latest ones, with their segments (one query)."""
    return list(db.session.scalars(tenant_recent_imports(tenant, limit)))
