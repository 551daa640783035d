"""The segment list's total follows a status change or a bulk action (the `counts-changed`
event), and with a status filter on, a row that no longer matches leaves the table."""

from __future__ import annotations

import re

from segments_app.extensions import db
from segments_app.services.segments import create_segment
from tests.factories import tenant_named
from tests.pages import hx_events, page_text


def _segments(app, *ids: str) -> dict[str, int]:
    with app.app_context():
        made = {
            segment_id: create_segment(
                tenant_named(),
                {
                    "id": segment_id,
                    "name": {"en": segment_id},
                    "siteCode": "main",
                    "status": "ACTIVE",
                },
                "",
            )
            for segment_id in ids
        }
        db.session.commit()
        return {segment_id: (segment.pk, segment.version) for segment_id, segment in made.items()}


def test_the_total_and_the_rows_follow_a_status_change_under_a_status_filter(editor, app, tenant):
    made = _segments(app, "gold", "silver")
    listed = page_text(editor.get("/segments?status=ACTIVE", htmx=True))
    assert re.search(r'id="segment-total"[^>]*hx-trigger="counts-changed from:body"', listed)
    assert "2 segments match" in listed
    total_url = re.search(r'id="segment-total"[^>]*hx-get="([^"]+)"', listed).group(1)
    assert total_url == "/segments/total?status=ACTIVE"
    pk, version = made["gold"]
    changed = editor.post(
        "/segments/gold/status",
        data={"status": "INACTIVE", "version": version, "back": "/segments?status=ACTIVE"},
        htmx=True,
    )
    assert "counts-changed" in hx_events(changed)
    shown = ",".join(str(pk) for pk, _ in made.values())
    total = page_text(editor.get(f"{total_url}&shown={shown}", htmx=True))
    assert "1 segment matches" in total
    assert f'<tr id="segment-row-{pk}" hx-swap-oob="delete"></tr>' in total
    assert f"segment-row-{made['silver'][0]}" not in total


def test_a_bulk_action_moves_the_total(editor, app, tenant):
    _segments(app, "gold", "silver")
    done = editor.post(
        "/segments/bulk",
        data={"action": "deactivate", "ids": ["gold"], "back": "/segments?status=ACTIVE"},
        htmx=True,
    )
    assert done.status_code == 200
    assert "counts-changed" in hx_events(done)
    assert "1 segment matches" in page_text(editor.get("/segments/total?status=ACTIVE", htmx=True))
