"""The Upload tab in the real browser: a file dragged onto the tab, the columns picked when the
header names none we know, and a preview discarded by one editor seen from another's browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from segments_app.extensions import db
from segments_app.services.accounts import create_user
from tests.factories import tenant_named

from .browsing import PASSWORD, log_in, serious_violations, wider_than_view

pytestmark = [pytest.mark.e2e, pytest.mark.live, pytest.mark.usefixtures("seeded_directory")]

ALICE, BOB = "alice@acme.example", "bob@acme.example"

#: drops `text` as the file `name` on `selector`, the way a file dragged from the desktop is
DROP = """([selector, name, text]) => {
  const target = document.querySelector(selector);
  const data = new DataTransfer();
  data.items.add(new File([text], name, { type: "text/csv" }));
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = { dataTransfer: data, bubbles: true, cancelable: true };
    target.dispatchEvent(new DragEvent(type, init));
  }
}"""


@pytest.fixture
def editors(app):
    with app.app_context():
        for email in (ALICE, BOB):
            create_user(tenant_named(), email, "editor", PASSWORD)
        db.session.commit()


def test_a_dropped_file_with_unknown_columns_is_mapped_and_previewed(
    editors, live_server, page: Page, shots
):
    base = live_server
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base, ALICE)
    page.goto(f"{base}/segments/gold/upload")
    # dropped anywhere on the tab, here on its help card: the form's file input takes it
    page.evaluate(DROP, [".upload-help", "kunden.csv", "Kundennummer,Name\nc1,Jane\nc2,John\n"])
    expect(page.locator("[data-drop-chosen]")).to_have_text("Chosen: kunden.csv")
    shots("dropped")
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_text("Which column is which?")).to_be_visible()
    assert serious_violations(page) == []
    shots("columns")
    page.get_by_label("Customer id column").select_option("Kundennummer")
    page.get_by_role("button", name="Preview with these columns").click()
    expect(page.locator(".badge", has_text="Preview ready")).to_be_visible()
    expect(page.locator(".count-membersToAdd dd")).to_have_text("2")
    shots("preview")

    page.set_viewport_size({"width": 390, "height": 844})
    wide = wider_than_view(page)
    assert not wide, f"the upload tab is wider than a phone: {wide}"


def test_a_preview_discarded_by_one_editor_is_discarded_for_the_other(
    editors, live_server, browser, page: Page, shots
):
    base = live_server
    log_in(page, base, ALICE)
    page.goto(f"{base}/segments/gold/upload")
    page.set_input_files(
        "#upload-file",
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": b"customerId\nc1\n"}],
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator(".badge", has_text="Preview ready")).to_be_visible()
    import_url = page.url

    # Bob opens the same preview in his own browser
    context = browser.new_context()
    bob = context.new_page()
    try:
        log_in(bob, base, BOB)
        bob.goto(import_url)
        expect(bob.get_by_role("button", name="Apply")).to_be_visible()

        page.get_by_role("button", name="Discard and upload another").click()
        expect(page.locator("#upload-file")).to_be_visible()

        # his page is stale: Apply is refused with the reason, and the badge says discarded
        bob.get_by_role("button", name="Apply").click()
        expect(bob.get_by_text("was discarded and cannot be applied").first).to_be_visible()
        bob.goto(f"{base}/")
        row = bob.locator("#overview-imports tbody tr").first
        expect(row).to_contain_text("Discarded")
        expect(bob.locator("#overview-imports")).not_to_contain_text("Preview ready")
    finally:
        context.close()
