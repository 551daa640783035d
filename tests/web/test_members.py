"""A segment's members tab, reading: the frame and its counts, the paged list, searching it
(in batches, with or without an index), what the page costs in queries, and the streamed CSV
export."""

from __future__ import annotations

import csv
import io
import re
from types import SimpleNamespace

from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import CustomerAssignment
from segments_app.services import segment_search, substring
from segments_app.services.members import how_added
from tests.pages import GARBAGE, HUGE, hx_events, page_text
from tests.web.dashboard_support import GOLD_MEMBERS as URL
from tests.web.dashboard_support import next_batch as _next_batch


def _row_customers(html: str) -> list[str]:
    return re.findall(r'name="customer_id" value="([^"]+)"', html)


# the tab and its list


def test_members_tab_page_and_fragment(editor, member):
    member("c1", "Anna", "Berg", "anna@example.com", entities=("acme-le",), entity="acme-le")
    member("c2", "Bob", "Stone", "bob@example.com")
    page = editor.get(URL)
    assert page.status_code == 200
    html = page_text(page)
    assert (
        "<html" in html
        and '<a href="/segments/gold" aria-current="page">Members <span class="tab-count"' in html
    )
    assert "2 members" in html
    assert "Anna Berg" in html and "anna@example.com" in html and "Acme-Le GmbH" in html
    assert "B2C" in html and "Manual" in html
    assert 'id="member-candidates"' in html  # the editor can add
    fragment = editor.get(URL, htmx=True)
    body = page_text(fragment)
    assert "<html" not in body and body.startswith('<div id="member-list"')
    assert 'hx-trigger="counts-changed from:body"' in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_unknown_segment_is_404(editor, tenant):
    assert editor.get("/segments/nope").status_code == 404
    assert editor.get("/segments/nope/members.csv").status_code == 404


def test_empty_state_says_what_to_do(editor, viewer, gold):
    assert "Use the finder under “Add a member” to add customers" in page_text(editor.get(URL))
    html = page_text(viewer.get(URL))
    assert "An editor of your team adds members" in html


def test_search_by_name_email_or_id(editor, member):
    member("c1", "Anna", "Berg", "anna@example.com")
    member("c2", "Bob", "Stone", "bob@shop.example")
    member("x-99", "Carl", "Ray", "carl@example.com")
    assert _row_customers(page_text(editor.get(f"{URL}?q=anna+berg", htmx=True))) == ["c1"]
    assert _row_customers(page_text(editor.get(f"{URL}?q=SHOP", htmx=True))) == ["c2"]
    assert _row_customers(page_text(editor.get(f"{URL}?q=x-9", htmx=True))) == ["x-99"]
    none = page_text(editor.get(f"{URL}?q=zed", htmx=True))
    assert "No member matches “zed”" in none


def test_search_input_updates_the_list_and_the_url(editor, gold):
    html = page_text(editor.get(URL))
    search = re.search(r'<input id="member-q"[^>]*>', html).group(0)
    assert 'hx-trigger="input changed delay:300ms, search"' in search
    assert 'hx-target="#member-list"' in search and 'hx-push-url="true"' in search


def test_paging(editor, member):
    for n in range(55):
        member(f"c{n:02d}", join=True)
    first = page_text(editor.get(URL, htmx=True))
    assert len(_row_customers(first)) == 50
    assert "page 1 of 2" in first
    assert 'href="/segments/gold?page=2"' in first and "Previous" not in first
    second = page_text(editor.get(f"{URL}?page=2", htmx=True))
    assert len(_row_customers(second)) == 5 and "Next" not in second
    assert 'href="/segments/gold"' in second
    beyond = editor.get(f"{URL}?page=99999999999999999999")
    assert beyond.status_code == 200
    assert _row_customers(page_text(beyond)) == _row_customers(second)
    assert "page 1 of 2" in page_text(editor.get(f"{URL}?page=x", htmx=True))


def test_search_results_come_in_batches(editor, member):
    for n in range(55):
        member(f"c{n:02d}", join=True)
    first = page_text(editor.get(f"{URL}?q=example", htmx=True))
    assert len(_row_customers(first)) == 50 and "Next" not in first and "page" not in first
    more = _next_batch(first)
    assert "More matches" in first and 'hx-trigger="revealed"' in first
    rest = page_text(editor.get(more, htmx=True))
    assert "<html" not in rest and 'id="member-list"' not in rest
    assert _row_customers(rest) == [f"c{n}" for n in range(50, 55)]
    assert _next_batch(rest) is None
    # without script the next batch is a page, which leads back to the first matches
    page = page_text(editor.get(more))
    assert _row_customers(page) == [f"c{n}" for n in range(50, 55)]
    assert 'href="/segments/gold?q=example"' in page


def test_a_search_without_an_index_reads_the_members_a_stretch_at_a_time(
    editor, member, monkeypatch
):
    monkeypatch.setattr(segment_search, "STRETCH", 10)
    monkeypatch.setattr(substring, "BUDGET_SECONDS", 0)
    for n in range(55):
        member(f"c{n:02d}", join=True)
    html = page_text(editor.get(f"{URL}?q=c5", htmx=True))  # too short for a trigram index
    assert _row_customers(html) == [] and "Searching… 10 of 55 members looked at" in html
    found, batches = [], 1
    while (url := _next_batch(html)) is not None:
        html = page_text(editor.get(url, htmx=True))
        found += _row_customers(html)
        batches += 1
    assert found == ["c50", "c51", "c52", "c53", "c54"]
    assert batches == 6
    html = page_text(editor.get(f"{URL}?q=zz", htmx=True))
    while (url := _next_batch(html)) is not None:
        html = page_text(editor.get(url, htmx=True))
    assert "No member matches “zz”" in html


def test_members_page_costs_the_same_queries_for_5_and_40_members(editor, member, count_queries):
    for n in range(5):
        member(f"few{n}", entities=("le-a",), entity="le-a")
        member(f"pick{n}", "Pick", entities=("le-a", "le-b"), join=False)
    page = f"{URL}?find=pick"
    editor.get(page)
    with count_queries() as few:
        assert editor.get(page).status_code == 200
    for n in range(35):
        member(f"many{n}", entities=("le-b",), entity="le-b")
    with count_queries() as many:
        assert editor.get(page).status_code == 200
    assert few() == many()


def test_how_added_names_imports():
    assert how_added(SimpleNamespace(assignment_type="MANUAL")) == "Manual"
    assert how_added(SimpleNamespace(assignment_type="AUTOMATIC", import_id=None)) == "Automatic"
    assert how_added(SimpleNamespace(assignment_type="MANUAL", import_id=7)) == "Manual · import"


def test_the_frame_counts_reload_after_a_member_leaves(editor, member):
    """Removing a member answers with an event the frame's counts listen for, and the counts
    fragment then tells the new number."""
    member("c1")
    member("c2")
    page = page_text(editor.get(URL))
    assert 'id="segment-facts"' in page and "counts-changed from:body" in page
    assert "2 members" in page
    removed = editor.post(f"{URL}/members/remove", data={"customer_id": "c1"}, htmx=True)
    assert removed.status_code == 200
    assert hx_events(removed)["counts-changed"] is True
    facts = page_text(editor.get(f"{URL}/facts", htmx=True))
    assert "1 member ·" in facts and "0 items" in facts


def test_members_page_past_the_end_shows_the_last(editor, member):
    for n in range(55):
        member(f"c{n:02d}")
    last = editor.get(f"/segments/gold?page={HUGE}", htmx=True)
    assert last.status_code == 200
    assert "page 2 of 2" in page_text(last)
    assert _row_customers(page_text(last)) == [f"c{n}" for n in range(50, 55)]
    for raw in GARBAGE:
        first = editor.get(f"/segments/gold?page={raw}", htmx=True)
        assert first.status_code == 200 and "page 1 of 2" in page_text(first), raw
    # numbers that a search's batches carry are bounded too
    batch = editor.get(f"/segments/gold?q=c0&after={HUGE}&read={HUGE}&shown={HUGE}")
    assert batch.status_code == 200


# CSV export


def test_csv_export_streams_the_whole_membership(editor, app, member):
    member("c1", "Anna", "Berg", "anna@example.com", entities=("le-1",), entity="le-1")
    member("c2", "=HYPERLINK(1)", "Stone", "bob@example.com")
    for n in range(60):
        member(f"bulk{n:02d}")
    response = editor.get(f"{URL}/members.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert 'filename="segment-gold-members.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "customerId",
        "email",
        "firstName",
        "lastName",
        "legalEntityId",
        "legalEntityName",
        "assignmentType",
        "since",
    ]
    assert len(rows) == 1 + 62
    anna = next(row for row in rows if row[0] == "c1")
    assert anna[:7] == ["c1", "anna@example.com", "Anna", "Berg", "le-1", "Le-1 GmbH", "MANUAL"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", anna[7])
    bob = next(row for row in rows if row[0] == "c2")
    assert bob[2] == "'=HYPERLINK(1)" and bob[4:6] == ["", ""]


def test_csv_export_of_an_empty_segment_has_the_header(editor, app, gold):
    response = editor.get(f"{URL}/members.csv")
    assert response.get_data(as_text=True).splitlines() == [
        "customerId,email,firstName,lastName,legalEntityId,legalEntityName,assignmentType,since"
    ]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CustomerAssignment)) == 0
