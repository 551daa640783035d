"""Many segments at once in the real browser: tick two, deactivate them, read the count in the
dialog, undo; then tick a whole page. Checked by axe-core at 1440 and 390 pixels."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from segments_app.extensions import db
from segments_app.services.accounts import create_user
from segments_app.services.segments import create_segment
from tests.factories import TENANT, tenant_named

pytestmark = [pytest.mark.e2e, pytest.mark.live]

EMAIL = "rosa@acme.example"
PASSWORD = "a long enough password"
SETTLED = "() => !document.querySelector('.htmx-swapping, .htmx-settling')"
WIDER_THAN_VIEW = """() => document.documentElement.scrollWidth <= window.innerWidth ? [] :
  Array.from(document.querySelectorAll("body *"))
  .filter((el) => !el.closest(".table-wrap")
    && el.getBoundingClientRect().right > window.innerWidth)
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).slice(0, 8)"""


@pytest.fixture
def shop(app, tenant):
    with app.app_context():
        create_user(tenant_named(), EMAIL, "editor", PASSWORD)
        for segment_id in ("gold", "silver", "bronze"):
            body = {
                "id": segment_id,
                "name": {"en": segment_id.title()},
                "siteCode": "main",
                "status": "ACTIVE",
            }
            create_segment(tenant_named(), body, "")
        db.session.commit()


def serious_violations(page: Page) -> list[tuple]:
    results = Axe().run(page)
    return [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("critical", "serious")
    ]


def status_cell(page: Page, name: str):
    return page.locator("tr", has=page.get_by_role("link", name=name, exact=True)).locator(".badge")


def test_tick_two_deactivate_then_undo(shop, live_server, page: Page, shots):
    base = live_server
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/login")
    page.get_by_label("Team").fill(TENANT)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
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

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(SETTLED)
    shots("390")
    wide = page.evaluate(WIDER_THAN_VIEW)
    assert not wide, f"wider than 390 px: {wide}"
    assert serious_violations(page) == []
