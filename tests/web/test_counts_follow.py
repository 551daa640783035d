"""Every count on a segment's pages follows the change that moved it: each write answers with
the one `counts-changed` event, and each count is a fragment that reloads itself on it (the
header's facts, the tab badges, the members list's total). Single destructive actions carry
an Undo that puts back exactly what was there."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import CustomerAssignment, ItemAssignment, LegalEntity, Segment
from segments_app.services.rules import evaluate
from tests.factories import (
    add_assignment,
    add_category,
    add_customer,
    add_legal_entity,
    add_product,
)
from tests.imports_support import csv_bytes, uploaded, wait_for_jobs
from tests.pages import hx_events, page_text

pytestmark = pytest.mark.usefixtures("seeded_directory")

URL = "/segments/gold"
LISTENS = 'hx-trigger="counts-changed from:body"'
SINCE = datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def _gold() -> Segment:
    return db.session.scalar(select(Segment).where(Segment.id == "gold"))


@pytest.fixture
def anna(app):
    """Anna Schmidt, a member of gold for Acme GmbH since SINCE, with mixins; Bob Stone, a
    B2C member."""
    with app.app_context():
        entity = add_legal_entity("acme", "acme-le", "Acme GmbH")
        customer = add_customer(
            "acme", "anna", "anna@example.com", "Anna", "Schmidt", legal_entity_ids=("acme-le",)
        )
        bob = add_customer("acme", "bob", "bob@example.com", "Bob", "Stone")
        add_assignment(
            CustomerAssignment(
                segment_pk=_gold().pk,
                customer_pk=customer.pk,
                legal_entity_pk=entity.pk,
                mixins={"source": "crm", "score": 7},
                metadata_mixins={"note": "vip"},
                created_at=SINCE,
                modified_at=SINCE,
            )
        )
        add_assignment(CustomerAssignment(segment_pk=_gold().pk, customer_pk=bob.pk))
        db.session.commit()
    return "anna"


def counts_shown(browser) -> dict[str, str]:
    """What every count fragment of the frame says now, each read as htmx reloads it."""
    facts = page_text(browser.get(f"{URL}/facts", htmx=True))
    tabs = page_text(browser.get(f"{URL}/tabs?tab=web.segment_detail", htmx=True))
    listed = page_text(browser.get(URL, htmx=True))
    found = {
        "facts": re.search(r"· ([\d,]+ members?) · ([\d,]+ items?)", facts).group(0),
        "members tab": re.search(r'data-count="detail">([\d,]+)<', tabs).group(1),
        "items tab": re.search(r'data-count="items">([\d,]+)<', tabs).group(1),
    }
    total = re.search(r'<p class="muted" aria-live="polite">\s*([\d,]+ members?)', listed)
    found["list"] = total.group(1) if total else "empty"
    return found


def test_every_count_on_the_page_listens_to_the_one_event(editor, anna):
    html = page_text(editor.get(URL))
    for fragment in ('id="segment-facts"', 'id="segment-tabs"', 'id="member-list"'):
        tag = re.search(rf"<[^>]*{fragment}[^>]*>", html).group(0)
        assert LISTENS in tag, tag
    assert 'data-count="detail">2<' in html and 'data-count="items">0<' in html


def test_removing_a_member_moves_every_count_and_undo_puts_it_back_exactly(app, editor, anna):
    assert counts_shown(editor)["facts"] == "· 2 members · 0 items"
    removed = editor.post(
        f"{URL}/members/remove",
        data={"customer_id": "anna", "legal_entity_id": "acme-le"},
        htmx=True,
    )
    assert removed.status_code == 200
    events = hx_events(removed)
    assert events["counts-changed"] is True
    assert events["notify"]["message"] == "Removed Anna Schmidt (Acme GmbH)."
    undo = events["notify"]["undo"]
    assert undo["url"] == f"{URL}/undo" and undo["seconds"] > 0
    assert counts_shown(editor) == {
        "facts": "· 1 member · 0 items",
        "members tab": "1",
        "items tab": "0",
        "list": "1 member",
    }

    restored = editor.post(undo["url"], data={"token": undo["token"]}, htmx=True)
    assert restored.status_code == 200
    events = hx_events(restored)
    assert events["counts-changed"] is True
    assert events["notify"]["message"] == "Restored Anna Schmidt (Acme GmbH)."
    assert counts_shown(editor)["facts"] == "· 2 members · 0 items"
    assert counts_shown(editor)["list"] == "2 members"
    with app.app_context():
        back = db.session.scalar(
            select(CustomerAssignment).where(CustomerAssignment.legal_entity_pk.is_not(None))
        )
        entity = db.session.get(LegalEntity, back.legal_entity_pk)
        assert entity.id == "acme-le"
        assert back.mixins == {"source": "crm", "score": 7}
        assert back.metadata_mixins == {"note": "vip"}
        assert back.assignment_type == "MANUAL"
        assert back.created_at == SINCE
        assert _gold().member_count == 2


def test_an_undo_token_works_once_for_its_segment_and_cannot_be_made_up(editor, anna):
    removed = editor.post(f"{URL}/members/remove", data={"customer_id": "bob"}, htmx=True)
    undo = hx_events(removed)["notify"]["undo"]
    forged = editor.post(undo["url"], data={"token": undo["token"] + "x"}, htmx=True)
    assert forged.status_code == 409
    elsewhere = editor.post("/segments/silver/undo", data={"token": undo["token"]}, htmx=True)
    assert elsewhere.status_code == 409
    assert editor.post(undo["url"], data={"token": undo["token"]}, htmx=True).status_code == 200
    # a second undo changes nothing: the member is there already
    assert editor.post(undo["url"], data={"token": undo["token"]}, htmx=True).status_code == 200
    assert counts_shown(editor)["facts"] == "· 2 members · 0 items"


def test_adding_a_member_moves_every_count(editor, anna):
    added = editor.post(f"{URL}/members", data={"customer_id": "c2"}, htmx=True)
    assert hx_events(added)["counts-changed"] is True
    assert counts_shown(editor)["members tab"] == "3"
    assert counts_shown(editor)["list"] == "3 members"


def test_a_member_the_rule_holds_shows_by_rule_without_remove(app, editor, anna, monkeypatch):
    with app.app_context():
        bob = db.session.scalar(
            select(CustomerAssignment).where(CustomerAssignment.mixins.is_(None))
        )
        bob.assignment_type = "AUTOMATIC"
        db.session.commit()
    html = page_text(editor.get(URL))
    assert ">by rule</span>" in html and "Held by the rule" in html
    assert 'aria-label="Remove Bob Stone"' not in html and 'aria-label="Pin Bob Stone"' in html
    pinned = editor.post(f"{URL}/members/pin", data={"customer_id": "bob"}, htmx=True)
    assert hx_events(pinned)["counts-changed"] is True
    assert hx_events(pinned)["notify"]["message"].startswith("Pinned Bob Stone: a manual member")
    assert 'aria-label="Remove Bob Stone"' in page_text(editor.get(URL))
    assert 'aria-label="Remove Anna Schmidt (Acme GmbH)"' in html
    # a manual B2C member the rule selects stays, held by the rule; Undo pins it again
    monkeypatch.setattr(evaluate.Selector, "selects", lambda self, pk: True)
    with app.app_context():
        bob = db.session.scalar(
            select(CustomerAssignment).where(CustomerAssignment.mixins.is_(None))
        )
        bob.assignment_type = "MANUAL"
        db.session.commit()
    removed = editor.post(f"{URL}/members/remove", data={"customer_id": "bob"}, htmx=True)
    notice = hx_events(removed)["notify"]
    assert notice["message"].startswith("Bob Stone stays in the segment as a rule member")
    assert counts_shown(editor)["list"] == "2 members"
    editor.post(notice["undo"]["url"], data={"token": notice["undo"]["token"]}, htmx=True)
    with app.app_context():
        bob = db.session.scalar(
            select(CustomerAssignment).where(CustomerAssignment.mixins.is_(None))
        )
        assert bob.assignment_type == "MANUAL"


@pytest.fixture
def saw(app):
    with app.app_context():
        add_product("acme", "p-saw", (), name={"en": "Panel saw"})
        db.session.commit()
    return "p-saw"


def test_assigning_and_unassigning_an_item_moves_the_counts_and_undo_restores_it(
    app, editor, anna, saw
):
    assigned = editor.post(f"{URL}/items/product", data={"id": saw, "assign": "1"}, htmx=True)
    events = hx_events(assigned)
    assert events["counts-changed"] is True and "undo" not in events["notify"]
    assert counts_shown(editor)["facts"] == "· 2 members · 1 item"
    assert counts_shown(editor)["items tab"] == "1"
    with app.app_context():
        item = db.session.scalar(select(ItemAssignment))
        item.mixins = {"prio": 1}
        item.created_at = SINCE
        db.session.commit()
    gone = editor.post(f"{URL}/items/product", data={"id": saw, "assign": "0"}, htmx=True)
    events = hx_events(gone)
    assert events["counts-changed"] is True
    assert events["notify"]["message"] == "“Panel saw” is no longer assigned to this segment."
    assert counts_shown(editor)["items tab"] == "0"
    undo = events["notify"]["undo"]
    back = editor.post(undo["url"], data={"token": undo["token"]}, htmx=True)
    events = hx_events(back)
    assert events["counts-changed"] is True and events["items-changed"] is True
    assert events["notify"]["message"] == "“Panel saw” is assigned again."
    assert counts_shown(editor)["facts"] == "· 2 members · 1 item"
    with app.app_context():
        item = db.session.scalar(select(ItemAssignment))
        assert item.mixins == {"prio": 1} and item.created_at == SINCE


def _version(app) -> int:
    with app.app_context():
        return _gold().version


def test_a_status_change_sends_the_event_and_undo_puts_the_old_status_back(app, editor):
    changed = editor.post(
        f"{URL}/status",
        data={"status": "ACTIVE", "version": _version(app), "back": "/segments"},
        htmx=True,
    )
    events = hx_events(changed)
    assert events["counts-changed"] is True
    assert events["notify"]["message"] == "“gold” is now active."
    undo = events["notify"]["undo"]
    back = editor.post(undo["url"], data={"token": undo["token"]}, htmx=True)
    assert back.status_code == 200
    assert hx_events(back)["notify"]["message"] == "“gold” is inactive again."
    row = page_text(back)
    assert row.startswith('<tr id="segment-row-') and 'hx-swap-oob="true"' in row
    assert ">Activate<" in row
    with app.app_context():
        assert _gold().status == "INACTIVE"


def test_undoing_a_status_someone_changed_since_is_refused(app, editor):
    changed = editor.post(
        f"{URL}/status", data={"status": "ACTIVE", "version": _version(app)}, htmx=True
    )
    undo = hx_events(changed)["notify"]["undo"]
    editor.post(f"{URL}/status", data={"status": "INACTIVE", "version": _version(app)}, htmx=True)
    editor.post(f"{URL}/status", data={"status": "ACTIVE", "version": _version(app)}, htmx=True)
    refused = editor.post(undo["url"], data={"token": undo["token"]}, htmx=True)
    assert refused.status_code == 409
    with app.app_context():
        assert _gold().status == "ACTIVE"


def test_import_apply_and_revert_move_the_counts(app, editor):
    url = uploaded(editor, csv_bytes("customerId", "c1", "c2", "c3"))
    assert editor.post(f"{url}/apply").status_code == 303
    wait_for_jobs(app)
    assert counts_shown(editor)["facts"] == "· 3 members · 0 items"
    assert counts_shown(editor)["list"] == "3 members"
    import_id = url.rsplit("/", 1)[1]
    history = page_text(editor.get(f"{URL}/history"))
    # the revert asks in the styled dialog (app.js), never the browser's confirm()
    assert 'data-confirm-label="Revert import"' in history
    reverted = editor.post(f"{URL}/history/{import_id}/revert", htmx=True)
    assert reverted.status_code == 204 and hx_events(reverted)["counts-changed"] is True
    assert counts_shown(editor) == {
        "facts": "· 0 members · 0 items",
        "members tab": "0",
        "items tab": "0",
        "list": "empty",
    }


def test_undoing_a_category_unassign_brings_its_node_back_assigned(app, editor, anna):
    with app.app_context():
        add_category("acme", "tools", name={"en": "Tools"})
        db.session.commit()
    editor.post(f"{URL}/items/category", data={"id": "tools", "assign": "1"}, htmx=True)
    gone = editor.post(f"{URL}/items/category", data={"id": "tools", "assign": "0"}, htmx=True)
    assert counts_shown(editor)["items tab"] == "0"
    undo = hx_events(gone)["notify"]["undo"]
    back = editor.post(undo["url"], data={"token": undo["token"]}, htmx=True)
    node = page_text(back)
    assert node.startswith('<li role="treeitem"') and 'hx-swap-oob="true"' in node
    assert 'data-state="assigned"' in node and ">Unassign<" in node
    assert counts_shown(editor)["items tab"] == "1"
    # without JavaScript the undo goes back to the tab
    gone = editor.post(f"{URL}/items/category", data={"id": "tools", "assign": "0"}, htmx=True)
    token = hx_events(gone)["notify"]["undo"]["token"]
    plain = editor.post(f"{URL}/undo", data={"token": token})
    assert plain.status_code == 303 and plain.headers["Location"].startswith(f"{URL}/items")
