"""A segment's History tab: its imports (reverting an applied one, with a confirmation) and
its log of changes, each paged."""

from __future__ import annotations

import io
import json
import re

import pytest
from flask import Flask
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import MemberImport, Segment
from segments_app.models.types import utcnow
from segments_app.services import activity
from segments_app.services.history import Change
from segments_app.services.imports import create_import
from tests.factories import tenant_named
from tests.imports_support import csv_bytes, members_of, uploaded, wait_for_jobs
from tests.pages import GARBAGE, HUGE, page_text

pytestmark = pytest.mark.usefixtures("seeded_directory")

HISTORY = "/segments/gold/history"


def applied(app: Flask, browser, *customers: str, name: str = "members.csv") -> str:
    """Upload `customers` as `browser`, apply them and wait; returns the import's id."""
    url = uploaded(browser, csv_bytes("customerId", *customers), name)
    assert browser.post(f"{url}/apply").status_code == 303
    wait_for_jobs(app)
    return url.rsplit("/", 1)[1]


def made_imports(app: Flask, n: int, status: str = "previewed") -> list[str]:
    """`n` imports of gold in `status`, without running them; newest last."""
    ids = []
    with app.app_context():
        tenant = tenant_named()
        for number in range(n):
            imp = create_import(
                tenant,
                "gold",
                io.BytesIO(csv_bytes("customerId", "c1")),
                f"list-{number}.csv",
                enqueue=False,
            )
            imp.status = status
            imp.counts = {"membersToAdd": 1, "rejectedRows": 0}
            db.session.commit()
            ids.append(imp.id)
    return ids


def logged(app: Flask, *entries: tuple[str, str, int]) -> None:
    """Write (actor, action, count) lines to gold's log."""
    with app.app_context():
        segment = db.session.scalar(select(Segment).where(Segment.id == "gold"))
        for actor, action, count in entries:
            with activity.acting_as(actor):
                activity.record(segment, action, count)
        db.session.commit()


def status_of(app: Flask, import_id: str) -> str:
    with app.app_context():
        return db.session.scalar(select(MemberImport.status).where(MemberImport.id == import_id))


# the lists


def test_history_lists_imports_with_who_mode_file_and_result(app, editor, viewer):
    first = applied(app, editor, "c1", "c2", "nobody", name="spring.csv")
    uploaded(editor, csv_bytes("customerId", "c3"), "summer.csv", mode="replace")
    page = viewer.get(HISTORY)
    assert page.status_code == 200
    html = page_text(page)
    assert 'aria-current="page">History</a>' in html
    rows = re.findall(r'<tr id="import-row-([0-9a-f]{24})">(.*?)</tr>', html)
    assert len(rows) == 2
    (_, newest), (oldest_id, oldest) = rows
    assert oldest_id == first
    assert "editor@acme.example" in oldest and "spring.csv" in oldest and ">Add<" in oldest
    assert "Applied" in oldest and "2 added, 1 rejected" in oldest
    assert "summer.csv" in newest and ">Replace<" in newest and "Preview ready" in newest
    assert "Preview: 1 to add, 2 to remove" in newest
    assert f'href="/segments/gold/upload/{first}"' in oldest
    assert "Revert" not in html  # a viewer reads only


def test_history_lists_the_changes_with_who_and_what(app, editor):
    applied(app, editor, "c1", "c2")
    html = page_text(editor.get(HISTORY))
    changes = re.search(r'<div id="history-changes">(.*?)</table>', html).group(1)
    assert "Added 2 members" in changes and "Applied an import" in changes
    assert "editor@acme.example" in changes
    assert "<time datetime=" in changes


def test_a_log_line_says_what_happened_in_words():
    at = utcnow()
    assert Change("members.added", "a", at, at, 1).text == "Added a member"
    assert Change("members.removed", "a", at, at, 1200).text == "Removed 1,200 members"
    assert Change("something.new", "a", at, at, 1).text == "something.new"


def test_empty_history_says_what_to_do_next(editor, viewer):
    html = page_text(editor.get(HISTORY))
    assert "No imports yet" in html and 'href="/segments/gold/upload"' in html
    assert "No changes recorded yet" in page_text(viewer.get("/segments/silver/history"))


def test_imports_are_paged_and_a_page_swaps_alone(app, editor):
    ids = made_imports(app, 12)
    html = page_text(editor.get(HISTORY))
    assert len(re.findall(r'<tr id="import-row-', html)) == 10
    assert "Page 1 of 2 · 12 imports" in html
    assert 'href="/segments/gold/history?imports_page=2"' in html
    assert 'hx-get="/segments/gold/history?list=imports&amp;imports_page=2"' in html
    fragment = editor.get(f"{HISTORY}?list=imports&imports_page=2", htmx=True)
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    text = page_text(fragment)
    assert text.startswith('<div id="history-imports">') and "<html" not in text
    assert re.findall(r'<tr id="import-row-([0-9a-f]{24})">', text) == [ids[1], ids[0]]
    for beyond in ("9", "99999999999999999999"):
        past_the_end = editor.get(f"{HISTORY}?imports_page={beyond}")
        assert past_the_end.status_code == 200
        assert "Page 2 of 2 · 12 imports" in page_text(past_the_end)
        rows = re.findall(r'<tr id="import-row-([0-9a-f]{24})">', page_text(past_the_end))
        assert rows == [ids[1], ids[0]]
    assert "Page 1 of 2 · 12 imports" in page_text(editor.get(f"{HISTORY}?imports_page=-3"))


def test_changes_are_paged(app, editor):
    logged(app, *[(f"user{n}@acme.example", "segment.updated", 1) for n in range(30)])
    html = page_text(editor.get(HISTORY))
    assert html.count("Edited the segment") == 25
    assert "Page 1 of 2" in html
    page_two = page_text(editor.get(f"{HISTORY}?list=changes&changes_page=2", htmx=True))
    assert page_two.startswith('<div id="history-changes">')
    huge = editor.get(f"{HISTORY}?list=changes&changes_page=99999999999999999999", htmx=True)
    assert huge.status_code == 200 and page_text(huge) == page_two
    assert page_two.count("Edited the segment") == 5


def test_the_page_reads_a_fixed_number_of_queries(app, editor, count_queries):
    made_imports(app, 3)
    logged(app, *[(f"user{n}@acme.example", "segment.updated", 1) for n in range(3)])
    with count_queries() as few:
        assert editor.get(HISTORY).status_code == 200
    made_imports(app, 20, status="applied")
    logged(app, *[(f"other{n}@acme.example", "members.added", 2) for n in range(40)])
    with count_queries() as many:
        assert editor.get(HISTORY).status_code == 200
    # the second page reading adds the two counts that a short first page does without
    assert many() <= few() + 2


# reverting


def test_revert_restores_the_membership(app, editor):
    import_id = applied(app, editor, "c1", "c2")
    assert members_of(app) == {("c1", None), ("c2", None)}
    html = page_text(editor.get(HISTORY))
    assert f'hx-post="/segments/gold/history/{import_id}/revert"' in html
    assert "hx-confirm=" in html
    response = editor.post(f"{HISTORY}/{import_id}/revert", htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == HISTORY
    assert members_of(app) == set()
    assert status_of(app, import_id) == "reverted"
    html = page_text(editor.get(HISTORY))
    assert "Reverted" in html and "reverted by editor@acme.example" in html
    assert "Reverted an import" in html and "Removed 2 members" in html


def test_revert_without_javascript_asks_first(app, editor):
    import_id = applied(app, editor, "c1")
    confirm = editor.get(f"{HISTORY}/{import_id}/revert")
    assert confirm.status_code == 200
    html = page_text(confirm)
    assert "Revert the import of" in html and 'name="csrf_token"' in html
    assert f'action="/segments/gold/history/{import_id}/revert"' in html
    assert members_of(app) == {("c1", None)}
    done = editor.post(f"{HISTORY}/{import_id}/revert")
    assert done.status_code == 303 and done.headers["Location"] == HISTORY
    assert members_of(app) == set()


def test_revert_is_refused_while_a_later_import_is_applied(app, editor):
    first = applied(app, editor, "c1", name="first.csv")
    later = applied(app, editor, "c2", name="later.csv")
    refused = editor.post(f"{HISTORY}/{first}/revert", htmx=True)
    assert refused.status_code == 422
    html = page_text(refused)
    assert html.startswith('<div class="alert alert-error" role="alert"')
    assert f"Import {later} (later.csv" in html and "revert it first" in html
    page = editor.post(f"{HISTORY}/{first}/revert")
    assert page.status_code == 422
    assert "revert it first" in page_text(page) and "<html" in page_text(page)
    assert members_of(app) == {("c1", None), ("c2", None)}
    assert status_of(app, first) == "applied"
    assert editor.post(f"{HISTORY}/{later}/revert").status_code == 303
    assert editor.post(f"{HISTORY}/{first}/revert").status_code == 303
    assert members_of(app) == set()


def test_revert_needs_an_editor_and_the_csrf_token(app, editor, viewer):
    import_id = applied(app, editor, "c1")
    assert viewer.post(f"{HISTORY}/{import_id}/revert").status_code == 403
    assert viewer.get(f"{HISTORY}/{import_id}/revert").status_code == 403
    assert editor.post(f"{HISTORY}/{import_id}/revert", csrf=False).status_code == 400
    assert members_of(app) == {("c1", None)}


def test_an_import_not_applied_cannot_be_reverted(app, editor):
    (import_id,) = made_imports(app, 1)
    html = page_text(editor.get(f"{HISTORY}/{import_id}/revert"))
    assert "only an applied import can be reverted" in html
    refused = editor.post(f"{HISTORY}/{import_id}/revert", htmx=True)
    assert refused.status_code == 422
    assert "never applied" in page_text(refused)


def test_unknown_import_is_404(editor):
    assert editor.get(f"{HISTORY}/{'0' * 24}/revert").status_code == 404


def test_a_refusal_is_not_a_toast_only(app, editor):
    """htmx swaps the reason into the tab's message area, which announces it."""
    first = applied(app, editor, "c1")
    applied(app, editor, "c2")
    html = page_text(editor.get(HISTORY))
    assert '<div id="history-alerts" class="history-alerts" aria-live="polite">' in html
    refused = editor.post(f"{HISTORY}/{first}/revert", htmx=True)
    assert "notify" not in json.loads(refused.headers.get("HX-Trigger", "{}"))


def test_history_pages_past_the_end_show_the_last(app, editor):
    ids = made_imports(app, 12)
    logged(app, *[(f"user{n}@acme.example", "segment.updated", 1) for n in range(30)])
    html = page_text(editor.get(f"/segments/gold/history?imports_page={HUGE}&changes_page={HUGE}"))
    assert "Page 2 of 2 · 12 imports" in html
    assert re.findall(r'<tr id="import-row-([0-9a-f]{24})">', html) == [ids[1], ids[0]]
    assert html.count("Edited the segment") == 5
    for raw in GARBAGE:
        first = editor.get(f"/segments/gold/history?imports_page={raw}&changes_page={raw}")
        assert first.status_code == 200 and "Page 1 of 2 · 12 imports" in page_text(first), raw
