"""What every page of one segment needs: the segment itself and its counts for the frame, and
the frame's counts as fragments that reload themselves (`templates/segments/detail_base.html`)."""

from __future__ import annotations

from flask import Response, g, render_template, request

from ..models import Segment
from ..services import stats
from ..services.segments import get_segment
from ..services.stats import Counts
from . import bp, can
from .htmx import render


def load_segment(segment_id: str) -> tuple[Segment, Counts]:
    """The current tenant's segment `segment_id` and its member and item counts; a 404 page
    when there is none."""
    segment = get_segment(g.tenant, segment_id)
    return segment, stats.segment_counts([segment.pk])[segment.pk]


def render_tab(
    page: str,
    fragment: str | None,
    segment: Segment,
    counts: Counts,
    tab_name: str,
    *,
    status: int = 200,
    **context,
) -> Response:
    """The segment's tab `tab_name` as a whole page in the frame, or `fragment` for htmx."""
    return render(
        page, fragment, status=status, segment=segment, counts=counts, tab_name=tab_name, **context
    )


@bp.get("/segments/<segment_id>/facts")
@can("read")
def segment_facts(segment_id: str):
    """The line under a segment's name (site, members, items, validity): the frame reloads it
    when a tab changes the members or the items."""
    segment, counts = load_segment(segment_id)
    return render_template("segments/_facts.html", segment=segment, counts=counts)


@bp.get("/segments/<segment_id>/tabs")
@can("read")
def segment_tabs(segment_id: str):
    """The tabs of a segment's pages with their counts, `tab` the current one: the frame
    reloads them when a write moves a count."""
    segment, counts = load_segment(segment_id)
    tab = request.args.get("tab", "")
    return render_template("segments/_tabs.html", segment=segment, counts=counts, tab_name=tab)
