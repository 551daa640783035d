"""A segment's own numbers on its page: its size over the last days and its overlap with
another segment the marketer picks."""

from __future__ import annotations

from flask import g, request

from ..query.i18n import text_in
from ..services import segment_stats
from ..services.segment_list import segment_choices
from ..services.segments import find_segment
from . import bp, can
from .htmx import render
from .segment_pages import load_segment

DAYS = 30


@bp.get("/segments/<segment_id>/numbers")
@can("read")
def segment_numbers(segment_id: str):
    """The numbers card (for htmx, which loads it into the members tab) or a page of its own."""
    segment, counts = load_segment(segment_id)
    lang = g.tenant.default_language
    other_id = request.args.get("with", "").strip()
    other = find_segment(g.tenant, other_id) if other_id and other_id != segment.id else None
    choices = [
        (choice_id, text_in(name, lang) or choice_id)
        for choice_id, name in segment_choices(g.tenant)
        if choice_id != segment.id
    ]
    return render(
        "segments/numbers.html",
        "segments/_numbers.html",
        segment=segment,
        counts=counts,
        tab_name=None,
        days=segment_stats.size_over_time(segment, DAYS),
        overlap=segment_stats.overlap(segment, other) if other is not None else None,
        other_name=text_in(other.name, lang) or other.id if other is not None else "",
        other_id=other_id,
        choices=choices,
    )
