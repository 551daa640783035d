"""What every page of one segment needs: the segment itself and its counts for the frame
(`templates/segments/detail_base.html`)."""

from __future__ import annotations

from flask import g, render_template

from ..models import Segment
from ..services import stats
from ..services.segments import get_segment
from ..services.stats import Counts
from . import bp, can


def load_segment(segment_id: str) -> tuple[Segment, Counts]:
    """The current tenant's segment `segment_id` and its member and item counts; a 404 page
    when there is none."""
    segment = get_segment(g.tenant, segment_id)
    return segment, stats.segment_counts([segment.pk])[segment.pk]


@bp.get("/segments/<segment_id>/facts")
@can("read")
def segment_facts(segment_id: str):
    """The line under a segment's name (site, members, items, validity): the frame reloads it
    when a tab changes the members or the items."""
    segment, counts = load_segment(segment_id)
    return render_template("segments/_facts.html", segment=segment, counts=counts)
