"""A segment's members tab, changing: finding candidates in the directory, adding a member
(with or without JavaScript, again, or someone unknown), removing one, and that viewers and
requests without the CSRF token change nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import Customer, CustomerAssignment, LegalEntity
from segments_app.services import segment_search, substring
from tests.pages import hx_events, page_text
from tests.web.dashboard_support import GOLD_MEMBERS as URL
from tests.web.dashboard_support import next_batch as _next_batch


def _assignments(app) -> list[tuple[str, str | None]]:
    """(customer id, legal entity id) of the members of 'gold'."""
    with app.app_context():
        rows = db.session.execute(
            select(Customer.id, LegalEntity.id)
            .select_from(CustomerAssignment)
            .join(Customer, Customer.pk == CustomerAssignment.customer_pk)
            .outerjoin(LegalEntity, LegalEntity.pk == CustomerAssignment.legal_entity_pk)
            .order_by(Customer.id, LegalEntity.id)
        )
        return [tuple(row) for row in rows]


# adding a member


def test_candidates_from_the_directory(editor, member):
    member("c1", "Anna", "Berg", "anna@example.com", entities=("le-1", "le-2"), entity="le-1")
    member("c2", "Annika", "Roth", "annika@example.com", join=False)
    member("c3", "Bob", "Stone", "bob@example.com", join=False)
    response = editor.get(f"{URL}/members/candidates?find=ann", htmx=True)
    assert response.status_code == 200
    html = page_text(response)
    assert html.startswith('<div id="member-candidates"')
    assert "Anna Berg" in html and "Annika Roth" in html and "Bob" not in html
    assert '<option value="le-1">Le-1 GmbH (le-1): member already</option>' in html
    assert '<option value="le-2">Le-2 GmbH (le-2)</option>' in html
    assert '<option value="">B2C, no legal entity</option>' in html
    by_id = page_text(editor.get(f"{URL}/members/candidates?find=c3", htmx=True))
    assert "Bob Stone" in by_id
    none = page_text(editor.get(f"{URL}/members/candidates?find=zed", htmx=True))
    assert "No customer matches “zed”" in none


def test_a_candidate_search_without_an_index_goes_on_while_it_is_shown(editor, member, monkeypatch):
    monkeypatch.setattr(segment_search, "STRETCH", 3)
    monkeypatch.setattr(substring, "BUDGET_SECONDS", 0)
    for n in range(10):
        member(f"pick{n}", join=False)
    html = page_text(editor.get(f"{URL}/members/candidates?find=k9", htmx=True))
    assert html.startswith('<div id="member-candidates"') and "Searching… 3 customers" in html
    found = []
    while (url := _next_batch(html)) is not None:
        html = page_text(editor.get(url, htmx=True))
        assert not html.strip() or html.lstrip().startswith("<li")
        found += re.findall(r'name="customer_id" value="([^"]+)"', html)
    assert found == ["pick9"]
    html = page_text(editor.get(f"{URL}/members/candidates?find=zz", htmx=True))
    while (url := _next_batch(html)) is not None:
        html = page_text(editor.get(url, htmx=True))
    assert "No customer matches “zz”" in html


def test_candidates_without_javascript_are_part_of_the_page(editor, member):
    member("c2", "Annika", "Roth", join=False)
    response = editor.get(f"{URL}/members/candidates?find=annika")
    assert response.status_code == 302
    assert response.headers["Location"] == "/segments/gold?find=annika"
    html = page_text(editor.get(response.headers["Location"]))
    assert "<html" in html and "Annika Roth" in html
    assert 'name="find" value="annika"' in html


def test_a_b2c_member_shows_as_member(editor, member):
    member("c1", "Anna", "Berg")
    html = page_text(editor.get(f"{URL}/members/candidates?find=anna", htmx=True))
    assert '<span class="badge badge-ok">Member</span>' in html
    assert "Add Anna Berg" not in html


def test_add_member_with_htmx(editor, app, member):
    member("c2", "Annika", "Roth", join=False, entities=("le-1",))
    response = editor.post(
        f"{URL}/members",
        data={"customer_id": "c2", "legal_entity_id": "le-1", "find": "annika"},
        htmx=True,
    )
    assert response.status_code == 200
    events = hx_events(response)
    assert events["counts-changed"] is True
    assert events["notify"]["message"] == "Added Annika Roth (Le-1 GmbH)."
    html = page_text(response)
    assert "Le-1 GmbH (le-1): member already" in html
    assert '<li class="candidate" tabindex="-1" data-autofocus>' in html  # focus stays here
    assert _assignments(app) == [("c2", "le-1")]
    b2c = editor.post(f"{URL}/members", data={"customer_id": "c2", "find": "annika"}, htmx=True)
    assert hx_events(b2c)["notify"]["message"] == "Added Annika Roth."
    assert set(_assignments(app)) == {("c2", None), ("c2", "le-1")}
    assert "2 members" in page_text(editor.get(URL))


def test_add_member_without_javascript(editor, app, member):
    member("c2", "Annika", "Roth", join=False)
    response = editor.post(f"{URL}/members", data={"customer_id": "c2", "find": "annika"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/segments/gold?find=annika"
    assert _assignments(app) == [("c2", None)]
    assert "Added Annika Roth." in page_text(editor.get(response.headers["Location"]))


def test_adding_a_member_again_changes_nothing(editor, app, member):
    member("c1", mixins={"source": "crm"})
    response = editor.post(f"{URL}/members", data={"customer_id": "c1"}, htmx=True)
    assert response.status_code == 200
    assert hx_events(response)["notify"] == {
        "message": "Jane Doe is a member already.",
        "level": "info",
    }
    with app.app_context():
        assignment = db.session.scalar(select(CustomerAssignment))
        assert assignment.mixins == {"source": "crm"} and assignment.version == 1


def test_adding_someone_not_in_the_directory_is_refused(editor, app, gold):
    response = editor.post(f"{URL}/members", data={"customer_id": "ghost"}, htmx=True)
    assert response.status_code == 400
    assert "not in this tenant's directory" in page_text(response)
    wrong_entity = editor.post(f"{URL}/members", data={"customer_id": ""}, htmx=True)
    assert wrong_entity.status_code == 400
    assert _assignments(app) == []


# removing a member


def test_remove_member_swaps_the_row_out(editor, app, member):
    member("c1", entities=("le-1",), entity="le-1")
    member("c2")
    response = editor.post(
        f"{URL}/members/remove", data={"customer_id": "c1", "legal_entity_id": "le-1"}, htmx=True
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == ""
    assert hx_events(response)["notify"]["message"] == "Removed Jane Doe (Le-1 GmbH)."
    assert _assignments(app) == [("c2", None)]
    html = page_text(editor.get(URL))
    assert re.search(r'hx-post="/segments/gold/members/remove" hx-target="closest tr"', html)


def test_remove_without_javascript_goes_back(editor, app, member):
    member("c1")
    response = editor.post(
        f"{URL}/members/remove", data={"customer_id": "c1", "back": "/segments/gold?q=doe"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/segments/gold?q=doe"
    assert _assignments(app) == []


def test_removing_a_non_member_is_404(editor, member):
    member("c1", join=False)
    response = editor.post(f"{URL}/members/remove", data={"customer_id": "c1"}, htmx=True)
    assert response.status_code == 404


# roles and CSRF


def test_viewer_reads_but_may_not_change_members(viewer, app, member):
    member("c1", "Anna", "Berg")
    member("c2", "Annika", "Roth", join=False)
    html = page_text(viewer.get(URL))
    assert "Anna Berg" in html
    assert "Remove" not in html and "Add a member" not in html and "Edit segment" not in html
    assert viewer.get(f"{URL}/members.csv").status_code == 200
    refused = [
        viewer.get(f"{URL}/members/candidates?find=ann"),
        viewer.post(f"{URL}/members", data={"customer_id": "c2"}),
        viewer.post(f"{URL}/members/remove", data={"customer_id": "c1"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert _assignments(app) == [("c1", None)]


def test_member_writes_without_csrf_token_are_refused(editor, app, member):
    member("c1")
    member("c2", join=False)
    added = editor.post(f"{URL}/members", data={"customer_id": "c2"}, csrf=False)
    removed = editor.post(f"{URL}/members/remove", data={"customer_id": "c1"}, csrf=False)
    assert (added.status_code, removed.status_code) == (400, 400)
    assert _assignments(app) == [("c1", None)]
