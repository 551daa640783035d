"""A segment's validity: the row badges (Python) and the 'valid now' filter and effective
segments (SQL) read one rule, so they agree at the edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import Segment, Tenant

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
SPANS = {
    "open": (None, None),
    "starts-now": (NOW, None),
    "ends-now": (None, NOW),
    "just-now": (NOW, NOW),
    "not-yet": (NOW + SECOND, None),
    "ended": (None, NOW - SECOND),
    "around": (NOW - SECOND, NOW + SECOND),
}


@pytest.mark.usefixtures("ctx")
def test_python_and_sql_agree_on_what_is_valid(tenant):
    tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.name == tenant))
    for segment_id, (start, end) in SPANS.items():
        db.session.add(
            Segment(
                tenant_id=tenant_id,
                id=segment_id,
                name={"en": segment_id},
                site_code="main",
                valid_from=start,
                valid_to=end,
            )
        )
    db.session.flush()
    in_sql = set(db.session.scalars(select(Segment.id).where(Segment.valid_at_sql(NOW))))
    assert in_sql == {"open", "starts-now", "ends-now", "just-now", "around"}
    segments = db.session.scalars(select(Segment)).all()
    assert {s.id for s in segments if s.valid_at(NOW)} == in_sql
    assert {s.id: s.validity_at(NOW) for s in segments if not s.valid_at(NOW)} == {
        "not-yet": "before",
        "ended": "after",
    }
