"""What the dashboard test modules share besides fixtures: the URLs of the segment form and of
segment 'gold' (the `gold` fixture of tests/web/conftest.py), and reading back what a page
changed."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import Segment, Tenant
from tests.factories import tenant_named

#: the form that creates a segment, and the members tab of segment 'gold'
NEW_SEGMENT = "/new-segment"
GOLD_MEMBERS = "/segments/gold"


def stored_segment(app, segment_id: str) -> Segment | None:
    """The segment as the database has it now, detached; None once it is gone."""
    with app.app_context():
        segment = db.session.scalar(select(Segment).where(Segment.id == segment_id))
        db.session.expunge_all()
        return segment


def next_batch(html: str) -> str | None:
    """The URL the last row of a search's batch fetches the next batch from."""
    found = re.search(r'hx-get="([^"]*after=[^"]*)"', html)
    return unescape(found.group(1)) if found else None


def tenant_now(app) -> Tenant:
    """Tenant acme as the database has it now, detached."""
    with app.app_context():
        tenant = tenant_named()
        db.session.expunge_all()
        return tenant
