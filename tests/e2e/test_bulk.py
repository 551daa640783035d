"""Many segments at once in the real browser: tick two, deactivate them, read the count in the
dialog, undo; then tick a whole page. Checked by axe-core at 1440 and 390 pixels."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from segments_app.extensions import db
from segments_app.models import CustomerAssignment
from segments_app.services.accounts import create_user
from segments_app.services.segments import create_segment
from tests.factories import add_assignment, add_customer, tenant_named

from .browsing import EDITOR, PASSWORD, check_at_phone_width, log_in, serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.live]


@pytest.fixture
def shop(app, tenant):
    with app.app_context():
        create_user(tenant_named(), EDITOR, "editor", PASSWORD)
        made = {}
        for segment_id in ("gold", "silver", "bronze"):
            body = {
                "id": segment_id,
                "name": {"en": segment_id.title()},
                "siteCode": "main",
                "status": "ACTIVE",
            }
            made[segment_id] = create_segment(tenant_named(), body, "")
        for n, name in enumerate(("Ada", "Ben", "Cem")):
            customer = add_customer("acme", f"c{n}", first_name=name)
            for segment_id in ("gold", "silver") if n == 2 else ("gold",):
                add_assignment(
                    CustomerAssignment(segment_pk=made[segment_id].pk, customer_pk=customer.pk)
                )
        db.session.commit()


def status_cell(page: Page, name: str):
    return page.locator("tr", has=page.get_by_role("link", name=name, exact=True)).locator(".badge")


def test_tick_two_deactivate_then_undo(shop, live_server, page: Page, shots):
    base = live_server
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base, EDITOR)
    page.goto(f"{base}/segments")

    page.get_by_label("Select Gold").check()
    page.get_by_label("Select Silver").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 ticked.")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Deactivate…").click()
    dialog = page.get_by_role("dialog", name="Deactivate 2 segments?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("You can undo this")
    shots("dialog")
    dialog.get_by_role("button", name="Deactivate 2 segments").click()
    expect(page.locator("#toasts")).to_contain_text("Deactivated 2 segments.")
    expect(dialog).to_have_count(0)
    expect(status_cell(page, "Gold")).to_have_text("Inactive")
    expect(status_cell(page, "Silver")).to_have_text("Inactive")
    expect(status_cell(page, "Bronze")).to_have_text("Active")
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    shots("done")
    undo.click()
    expect(page.locator("#toasts")).to_contain_text("2 segments changed back")
    expect(status_cell(page, "Gold")).to_have_text("Active")
    expect(status_cell(page, "Silver")).to_have_text("Active")

    # the header box ticks the whole page
    page.get_by_label("Select all segments on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 ticked.")
    page.get_by_role("button", name="Delete…").click()
    dialog = page.get_by_role("dialog", name="Delete 3 segments?")
    expect(dialog).to_contain_text("cannot be undone")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    check_at_phone_width(page, shots, "390", ".table-wrap, .tabs")


def test_remove_two_members_then_undo_and_read_the_numbers(shop, live_server, page: Page, shots):
    base = live_server
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base, EDITOR)
    page.goto(f"{base}/segments/gold")
    members = page.locator("#member-list")
    expect(members).to_contain_text("3 members")
    page.get_by_label("Select Ada Doe").check()
    page.get_by_label("Select Ben Doe").check()
    page.get_by_role("button", name="Remove ticked…").click()
    dialog = page.get_by_role("dialog", name="Remove 2 members?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Remove 2 members").click()
    expect(page.locator("#toasts")).to_contain_text("Removed 2 members.")
    expect(members).to_contain_text("1 member")
    expect(members).not_to_contain_text("Ada Doe")
    undo = page.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    undo.click()
    expect(page.locator("#toasts")).to_contain_text("Restored: 2 members.")
    expect(members).to_contain_text("3 members")
    expect(members).to_contain_text("Ada Doe")

    # its numbers: overlap with silver (Cem is in both)
    numbers = page.locator("#segment-numbers")
    expect(numbers.get_by_role("img")).to_be_visible()
    numbers.get_by_label("Compare with").select_option("silver")
    numbers.get_by_role("button", name="Compare").click()
    expect(page.locator('#segment-numbers [data-count="both"]')).to_have_text("1")
    expect(page.locator('#segment-numbers [data-count="only-here"]')).to_have_text("2")
    expect(page.locator('#segment-numbers [data-count="only-there"]')).to_have_text("0")
    shots("members")
    assert serious_violations(page) == []
    check_at_phone_width(page, shots, "members-390", ".table-wrap, .tabs")
