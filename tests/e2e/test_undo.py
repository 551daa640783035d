"""Undo in the real browser: removing a member moves every count on the page at once (the
header, the tab badge, the list's total), and the Undo in its message puts the member back,
counts and all; a status change on the segment list is undone the same way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.imports_support import csv_bytes, run_file

from .browsing import EDITOR, log_in, serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.live]


@pytest.fixture
def shop(gold, api):
    """A marketer and a segment 'gold' with three members, Ada for Acme GmbH."""
    entities = api.put("/directory/legal-entities", json=[{"id": "acme-le", "name": "Acme GmbH"}])
    assert entities.status_code == 207, entities.get_data(as_text=True)
    records = [
        {"id": "c1", "email": "ada@acme.example", "firstName": "Ada", "lastName": "Doe",
         "legalEntityIds": ["acme-le"]},
        {"id": "c2", "email": "ben@acme.example", "firstName": "Ben", "lastName": "Doe"},
        {"id": "c3", "email": "cem@acme.example", "firstName": "Cem", "lastName": "Doe"},
        {"id": "c4", "email": "dora@acme.example", "firstName": "Dora", "lastName": "Doe"},
    ]  # fmt: skip
    assert api.put("/directory/customers", json=records).status_code == 207
    for path in ("c1/acme-le", "c2", "c3"):
        assert api.put(f"/segments/gold/customers/{path}").status_code == 201


def test_remove_a_member_see_every_count_change_and_undo_it(shop, live_server, page: Page, shots):
    log_in(page, live_server, EDITOR)
    page.goto(f"{live_server}/segments/gold")
    facts = page.locator("#segment-facts")
    badge = page.locator('#segment-tabs [data-count="detail"]')
    total = page.locator("#member-list > p.muted")
    expect(facts).to_contain_text("3 members")
    expect(badge).to_have_text("3")
    expect(total).to_contain_text("3 members")

    page.get_by_role("button", name="Remove Ada Doe (Acme GmbH)").click()
    message = page.locator("#toasts .toast").filter(has_text="Removed Ada Doe (Acme GmbH).")
    expect(message).to_be_visible()
    expect(facts).to_contain_text("2 members")
    expect(badge).to_have_text("2")
    expect(total).to_contain_text("2 members")
    expect(page.locator("#member-rows")).not_to_contain_text("Ada Doe")
    shots("removed")
    assert serious_violations(page) == []

    message.get_by_role("button", name="Undo").click()
    expect(page.locator("#toasts")).to_contain_text("Restored Ada Doe (Acme GmbH).")
    expect(facts).to_contain_text("3 members")
    expect(badge).to_have_text("3")
    expect(total).to_contain_text("3 members")
    expect(page.locator("#member-rows")).to_contain_text("Ada Doe")
    expect(page.locator("#member-rows")).to_contain_text("Acme GmbH")
    shots("undone")

    # the Undo is there by keyboard too, at phone width
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Remove Ben Doe").focus()
    # wait for the list's own reload too: an Undo pressed while that reload is on its way
    # starts a second one (hx-sync replace), which this test is not about
    with page.expect_response(lambda r: r.url.endswith("/segments/gold") and r.ok):
        page.keyboard.press("Enter")
    undo = page.locator("#toasts .toast").filter(has_text="Removed Ben Doe.").get_by_role("button")
    expect(facts).to_contain_text("2 members")
    expect(page.locator("#member-rows")).not_to_contain_text("Ben Doe")
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    undo.focus()
    page.keyboard.press("Enter")
    expect(facts).to_contain_text("3 members")
    expect(page.locator("#member-rows")).to_contain_text("Ben Doe")


def test_a_status_change_is_undone_from_its_message(shop, live_server, page: Page):
    log_in(page, live_server, EDITOR)
    page.goto(f"{live_server}/segments")
    page.get_by_role("button", name="Activate Gold").click()
    message = page.locator("#toasts .toast").filter(has_text="“Gold” is now active.")
    expect(page.get_by_role("button", name="Deactivate Gold")).to_be_visible()
    message.get_by_role("button", name="Undo").click()
    expect(page.locator("#toasts")).to_contain_text("“Gold” is inactive again.")
    expect(page.get_by_role("button", name="Activate Gold")).to_be_visible()


def test_confirmations_use_the_styled_dialog(shop, live_server, page: Page):
    """hx-confirm opens the page's own dialog, never the browser's confirm()."""
    log_in(page, live_server, EDITOR)
    page.on("dialog", lambda dialog: pytest.fail(f"a browser dialog opened: {dialog.message}"))
    page.goto(f"{live_server}/segments/gold")
    page.evaluate(
        """() => {
          const b = document.createElement("button");
          b.id = "asks"; b.textContent = "Ask";
          b.setAttribute("hx-get", location.pathname + "/facts");
          b.setAttribute("hx-target", "#segment-facts");
          b.setAttribute("hx-swap", "outerHTML");
          b.setAttribute("hx-confirm", "Really?");
          b.setAttribute("data-confirm-detail", "Nothing happens until you say so.");
          b.setAttribute("data-confirm-label", "Go ahead");
          document.querySelector("main").appendChild(b);
          htmx.process(b);
        }"""
    )
    page.locator("#asks").click()
    dialog = page.locator("dialog.confirm")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", name="Really?")).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.locator("#asks").click()
    with page.expect_response(lambda r: r.url.endswith("/facts")):
        page.locator("dialog.confirm").get_by_role("button", name="Go ahead").click()


def test_reverting_an_import_asks_in_the_styled_dialog(
    shop, app, import_dir, live_server, page: Page
):
    with app.app_context():
        imp = run_file(csv_bytes("customerId", "c4"), dry_run=False, file_name="more.csv")
        assert imp.status == "applied", imp.status
    log_in(page, live_server, EDITOR)
    page.on("dialog", lambda dialog: pytest.fail(f"a browser dialog opened: {dialog.message}"))
    page.goto(f"{live_server}/segments/gold/history")
    expect(page.locator("#segment-facts")).to_contain_text("4 members")
    page.get_by_role("button", name="Revert the import of more.csv").click()
    dialog = page.locator("dialog.confirm")
    expect(dialog.get_by_role("heading", name="Revert the import of more.csv?")).to_be_visible()
    assert dialog.evaluate("el => el.open && el.matches(':modal')")
    dialog.get_by_role("button", name="Revert import").click()
    expect(page.locator("#toasts")).to_contain_text("Reverted the import of more.csv.")
    expect(page.locator("#segment-facts")).to_contain_text("3 members")
    expect(page.locator('#segment-tabs [data-count="detail"]')).to_have_text("3")
