"""Many segments at once from the list: the confirmation naming the count, activate and
deactivate with one undo, delete (no undo), all matching the filter, the CSV export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import Activity, CustomerAssignment, Segment
from segments_app.services.segments import create_segment
from tests.factories import add_assignment, add_customer, tenant_named
from tests.pages import hx_events, page_text


@pytest.fixture
def seed(app, tenant):
    def make(segment_id: str, status: str = "ACTIVE", members: int = 0, site="main") -> str:
        with app.app_context():
            body = {
                "id": segment_id,
                "name": {"en": segment_id.title()},
                "siteCode": site,
                "status": status,
            }
            segment = create_segment(tenant_named(), body, "")
            for n in range(members):
                customer = add_customer("acme", f"{segment_id}-c{n}")
                add_assignment(CustomerAssignment(segment_pk=segment.pk, customer_pk=customer.pk))
            db.session.commit()
            return segment.id

    return make


def _statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(select(Segment.id, Segment.status)).all())


def _undo_token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_list_offers_ticks_and_actions(editor, viewer, seed):
    seed("gold")
    html = page_text(editor.get("/segments"))
    assert 'form="segment-bulk" name="ids" value="gold"' in html
    assert "data-bulk-every" in html and "Deactivate…" in html and "Export CSV" in html
    assert "data-bulk-item" not in page_text(viewer.get("/segments"))


def test_confirmation_names_the_count(editor, seed):
    for n in range(3):
        seed(f"s{n}")
    answer = editor.get("/segments/bulk?action=deactivate&ids=s0&ids=s1", htmx=True)
    html = page_text(answer)
    assert answer.status_code == 200 and "<html" not in html
    assert "Deactivate 2 segments?" in html and "undo" in html
    page = page_text(editor.get("/segments/bulk?action=delete&ids=s0"))
    assert "<html" in page and "Delete 1 segment?" in page and "cannot be undone" in page


def test_deactivate_then_undo_restores_exactly(app, editor, seed):
    seed("a")
    seed("b")
    seed("c", status="INACTIVE")
    answer = editor.post(
        "/segments/bulk",
        htmx=True,
        data={"action": "deactivate", "ids": ["a", "b", "c"], "back": "/segments"},
    )
    assert answer.status_code == 200
    assert hx_events(answer)["notify"]["message"] == "Deactivated 2 segments."
    html = page_text(answer)
    assert 'id="segment-list" hx-swap-oob="true"' in html
    assert _statuses(app) == {"a": "INACTIVE", "b": "INACTIVE", "c": "INACTIVE"}
    with app.app_context():
        logged = db.session.scalar(
            select(func.count()).where(Activity.action == "segment.deactivated")
        )
        assert logged == 2  # once per changed segment
    undone = editor.post(
        "/segments/bulk/undo", htmx=True, data={"token": _undo_token(html), "back": "/segments"}
    )
    assert undone.status_code == 200
    # c was inactive before: it stays so
    assert _statuses(app) == {"a": "ACTIVE", "b": "ACTIVE", "c": "INACTIVE"}


def test_undo_leaves_a_segment_changed_since(app, editor, seed):
    seed("a")
    seed("b")
    answer = editor.post(
        "/segments/bulk",
        htmx=True,
        data={"action": "deactivate", "ids": ["a", "b"], "back": "/segments"},
    )
    token = _undo_token(page_text(answer))
    editor.post("/segments/bulk", htmx=True, data={"action": "activate", "ids": ["b"]})
    editor.post("/segments/bulk/undo", htmx=True, data={"token": token})
    assert _statuses(app) == {"a": "ACTIVE", "b": "ACTIVE"}


def test_without_htmx_the_undo_rides_in_the_url(app, editor, seed):
    seed("a")
    answer = editor.post("/segments/bulk", data={"action": "deactivate", "ids": ["a"]})
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert "undo=" in location
    page = page_text(editor.get(location))
    assert "Undo" in page and "Deactivated 1 segment." in page


def test_all_matching_applies_the_filter_on_the_server(app, editor, seed):
    for n in range(30):  # more than a page of 25
        seed(f"m{n:02d}", site="main")
    seed("other", site="eu")
    confirm = page_text(editor.get("/segments/bulk?action=deactivate&all=1&site=main", htmx=True))
    assert "Deactivate 30 segments?" in confirm
    editor.post(
        "/segments/bulk", htmx=True, data={"action": "deactivate", "all": "1", "site": "main"}
    )
    statuses = _statuses(app)
    assert statuses.pop("other") == "ACTIVE"
    assert set(statuses.values()) == {"INACTIVE"}


def test_delete_many_with_their_members(app, editor, seed):
    seed("a", members=2)
    seed("b")
    seed("keep", members=1)
    answer = editor.post("/segments/bulk", htmx=True, data={"action": "delete", "ids": ["a", "b"]})
    assert hx_events(answer)["notify"]["message"] == "Deleted 2 segments."
    assert "bulk/undo" not in page_text(answer)
    assert set(_statuses(app)) == {"keep"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CustomerAssignment)) == 1
        deleted = db.session.scalar(
            select(func.count()).where(Activity.action == "segment.deleted")
        )
        assert deleted == 2


def test_ids_of_another_tenant_are_not_touched(app, editor, seed, other_tenant):
    with app.app_context():
        create_segment(
            tenant_named(other_tenant),
            {"id": "theirs", "name": {"en": "T"}, "siteCode": "main", "status": "ACTIVE"},
            "",
        )
        db.session.commit()
    editor.post("/segments/bulk", htmx=True, data={"action": "deactivate", "ids": ["theirs"]})
    assert _statuses(app) == {"theirs": "ACTIVE"}


def test_nothing_ticked_is_a_bad_request(editor, seed):
    seed("a")
    assert editor.post("/segments/bulk", data={"action": "deactivate"}).status_code == 400
    assert editor.get("/segments/bulk?action=nuke&ids=a").status_code == 400


def test_viewer_cannot_act(viewer, seed):
    seed("a")
    assert viewer.post("/segments/bulk", data={"action": "delete", "ids": ["a"]}).status_code == 403


def test_export_is_spreadsheet_safe(editor, seed):
    seed("a", members=2)
    with editor.client.application.app_context():
        pass
    answer = editor.get("/segments/bulk.csv?ids=a")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0][:6] == ["id", "name", "siteCode", "status", "members", "items"]
    assert rows[1][:6] == ["a", "A", "main", "ACTIVE", "2", "0"]
    via_button = editor.get("/segments/bulk?action=export&ids=a")
    assert via_button.status_code == 302 and "/segments/bulk.csv" in via_button.headers["Location"]


def test_export_neutralises_formulas(app, editor, tenant):
    with app.app_context():
        create_segment(
            tenant_named(),
            {"id": "f", "name": {"en": "=HYPERLINK(1)"}, "siteCode": "main", "status": "ACTIVE"},
            "",
        )
        db.session.commit()
    rows = list(csv.reader(io.StringIO(editor.get("/segments/bulk.csv?ids=f").get_data(True))))
    assert rows[1][1] == "'=HYPERLINK(1)"


def test_sort_by_members_and_items(editor, seed):
    seed("few", members=1)
    seed("many", members=3)
    seed("none")
    html = page_text(editor.get("/segments?sort=members:desc"))
    ids = re.findall(r'<td class="mono">([^<]+)</td>', html)
    assert ids == ["many", "few", "none"]
    html = page_text(editor.get("/segments?sort=items"))
    assert 'aria-sort="ascending"' in html
