"""Changing segments from their list: the status switched in place (and a switch that lost a
race), deleting after a confirmation that says what goes with the segment, and the writes that
viewers and requests without the CSRF token are refused."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import CustomerAssignment, ItemAssignment
from segments_app.services.segments import upsert_segment
from tests.factories import tenant_named
from tests.pages import hx_events, page_text
from tests.web.dashboard_support import NEW_SEGMENT as NEW
from tests.web.dashboard_support import stored_segment as _stored

# roles and CSRF


def test_viewer_sees_no_write_buttons_and_is_refused(viewer, app, seed):
    seed("gold")
    html = page_text(viewer.get("/segments"))
    assert "Gold" in html
    for word in ("New segment", "Deactivate", "/delete", "/edit"):
        assert word not in html
    version = _stored(app, "gold").version
    refused = [
        viewer.post("/segments/gold/status", data={"status": "INACTIVE", "version": version}),
        viewer.post("/segments/gold/delete"),
        viewer.get("/segments/gold/delete"),
        viewer.get(NEW),
        viewer.post(NEW, data={"language": "en", "name.en": "X", "siteCode": "main"}),
        viewer.get("/segments/gold/edit"),
        viewer.post("/segments/gold/edit", data={"version": version}),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert _stored(app, "gold").status == "ACTIVE"


def test_writes_without_csrf_token_are_refused(editor, app, seed):
    seed("gold")
    version = _stored(app, "gold").version
    responses = [
        editor.post(
            "/segments/gold/status", data={"status": "INACTIVE", "version": version}, csrf=False
        ),
        editor.post("/segments/gold/delete", csrf=False),
        editor.post(NEW, data={"language": "en", "name.en": "X", "siteCode": "m"}, csrf=False),
    ]
    assert [r.status_code for r in responses] == [400, 400, 400]
    assert _stored(app, "gold").status == "ACTIVE"


# activate and deactivate in place


def test_deactivate_in_place_swaps_the_row(editor, app, seed):
    seed("gold", members=2)
    version = _stored(app, "gold").version
    response = editor.post(
        "/segments/gold/status",
        data={"status": "INACTIVE", "version": version, "back": "/segments?q=go"},
        htmx=True,
    )
    assert response.status_code == 200
    html = page_text(response)
    assert html.lstrip().startswith('<tr id="segment-row-')
    assert "Inactive" in html
    assert re.search(r'aria-label="Activate Gold" data-autofocus>Activate</button>', html)
    assert '<input type="hidden" name="status" value="ACTIVE">' in html
    assert f'name="version" value="{version + 1}"' in html
    assert 'value="/segments?q=go"' in html
    assert hx_events(response)["notify"]["message"] == "“Gold” is now inactive."
    assert _stored(app, "gold").status == "INACTIVE"
    again = editor.post(
        "/segments/gold/status", data={"status": "ACTIVE", "version": version + 1}, htmx=True
    )
    assert ">Deactivate</button>" in page_text(again)
    assert '<input type="hidden" name="status" value="INACTIVE">' in page_text(again)
    assert _stored(app, "gold").status == "ACTIVE"


def test_status_without_javascript_redirects_back(editor, app, seed):
    seed("gold")
    response = editor.post(
        "/segments/gold/status",
        data={"status": "INACTIVE", "version": 1, "back": "/segments?site=main"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/segments?site=main"
    offsite = editor.post(
        "/segments/gold/status",
        data={"status": "ACTIVE", "version": 2, "back": "//evil.example/"},
    )
    assert offsite.headers["Location"] == "/segments"


def test_status_change_that_lost_a_race_says_so(editor, app, seed):
    seed("gold")
    with app.app_context():
        upsert_segment(
            tenant_named(),
            "gold",
            {"name": {"en": "Gold VIP"}, "siteCode": "main", "status": "ACTIVE"},
            "",
        )
        db.session.commit()
    response = editor.post(
        "/segments/gold/status", data={"status": "INACTIVE", "version": 1}, htmx=True
    )
    assert response.status_code == 200
    html = page_text(response)
    assert "Gold VIP" in html and 'name="version" value="2"' in html
    assert ">Deactivate</button>" in html
    notice = hx_events(response)["notify"]
    assert notice["level"] == "error" and "changed “Gold VIP” meanwhile" in notice["message"]
    assert _stored(app, "gold").status == "ACTIVE"


# delete


def test_delete_confirmation_says_what_goes_with_it(editor, seed):
    seed("gold", members=3, items=1)
    seed("empty")
    dialog = editor.get("/segments/gold/delete?back=/segments%3Fq%3Dg", htmx=True)
    assert dialog.status_code == 200
    html = page_text(dialog)
    assert "<html" not in html and "<dialog" in html
    assert "This deletes 3 members and 1 item too." in html
    assert 'name="back" value="/segments?q=g"' in html
    assert "data-modal" in html and "data-dialog-close" in html
    assert "It has no members and no items." in page_text(editor.get("/segments/empty/delete"))


def test_delete_confirmation_works_as_a_page(editor, seed):
    seed("gold", members=1)
    page = editor.get("/segments/gold/delete")
    html = page_text(page)
    assert "<html" in html and "This deletes 1 member too." in html
    assert "data-modal" not in html
    assert '<a class="btn" href="/segments" autofocus>Cancel</a>' in html


def test_delete_with_members_and_items(editor, app, seed):
    seed("gold", members=3, items=2)
    response = editor.post("/segments/gold/delete", data={"back": "/segments?q=g"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/segments?q=g"
    assert _stored(app, "gold") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CustomerAssignment)) == 0
        assert db.session.scalar(select(func.count()).select_from(ItemAssignment)) == 0
    assert "Deleted “Gold”." in page_text(editor.get("/segments"))


def test_delete_of_unknown_segment_is_404(editor, tenant):
    assert editor.get("/segments/nope/delete").status_code == 404
    assert editor.post("/segments/nope/delete").status_code == 404
