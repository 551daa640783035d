"""Every dashboard page under its Content-Security-Policy, in Chromium, wide and narrow: no
violation and no script error on any of them, and what moved out of inline handlers into app.js
still works (the delete dialog, the upload's progress, the import's progress bar)."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect

from segments_app.extensions import db
from segments_app.models import Tenant
from segments_app.services import demo
from segments_app.services.imports import create_import

from .browsing import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.live]

ADMIN = next(email for email, role in demo.DEMO_MARKETERS if role == "admin")
WIDTHS = (1440, 390)


@pytest.fixture
def shop(app):
    """The demo tenant, and an import of `silver` that is a quarter through reading its file."""
    with app.app_context():
        demo.load_demo()
        db.session.commit()
        tenant = db.session.query(Tenant).filter_by(name=demo.DEMO_TENANT).one()
        busy = create_import(
            tenant, "silver", io.BytesIO(b"customerId\nc00001\n"), "busy.csv", enqueue=False
        )
        busy.status, busy.phase, busy.rows_done, busy.rows_estimated = "running", "parsing", 25, 100
        db.session.commit()


def test_every_page_keeps_to_its_policy_wide_and_narrow(
    shop, live_server, page: Page, problems, shots, tmp_path
):
    base = live_server
    log_in(page, base, ADMIN, demo.DEMO_MARKETER_PASSWORD, demo.DEMO_TENANT)

    def visit(path: str, name: str | None) -> None:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        if name:
            shots(name)
        assert not problems.violations, f"{path}: {problems.violations}"
        assert not problems.errors, f"{path}: {problems.errors}"

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        visit("/", f"overview-{width}")
        # the running import's bar is sized from data-percent by app.js: a quarter
        bar = page.locator("#overview-imports .progress").first
        expect(bar).to_be_visible()
        share = bar.evaluate("el => el.firstElementChild.offsetWidth / el.clientWidth")
        assert share == pytest.approx(0.25, abs=0.02)

        visit("/segments", f"segments-{width}")
        visit("/new-segment", f"new-segment-{width}")
        visit("/segments/gold", f"members-{width}")
        visit("/segments/gold/upload", f"upload-{width}")
        visit("/segments/gold/items", f"items-{width}")
        tree = page.get_by_role("tree", name="Categories")
        tree.get_by_role("link", name=re.compile("^Subcategories of")).first.click()
        expect(tree.locator('[role="group"] [role="treeitem"]').first).to_be_visible()
        visit("/segments/gold/history", f"history-{width}")
        visit("/catalog", f"catalog-{width}")
        visit("/catalog/customer", f"customer-{width}")
        page.get_by_label("Find a customer").fill(demo.DEMO_CUSTOMER_EMAIL)
        page.locator("#customer-results a").first.click()
        expect(page.locator("#customer-view")).to_contain_text("gold", ignore_case=True)
        shots(f"seen-as-a-customer-{width}")
        visit("/settings", f"users-{width}")
        visit("/settings/clients", f"clients-{width}")
        visit("/settings/languages", f"languages-{width}")
        visit("/docs", None)  # Redoc's page is too long to picture whole
        expect(page.get_by_role("heading", name="Customer Segment Service")).to_be_visible()
        visit("/segments/nonesuch", f"not-found-{width}")

    _delete_dialog_opens_and_cancel_closes_it(page, base, shots)
    _upload_shows_its_progress(page, base, shots, tmp_path)
    assert not problems.violations and not problems.errors


def _delete_dialog_opens_and_cancel_closes_it(page: Page, base: str, shots) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/segments")
    page.get_by_role("link", name="Delete Gold customers").click()
    dialog = page.locator("dialog#delete-dialog")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("el => el.open && el.matches(':modal')")  # showModal, not `open`
    shots("delete-dialog")
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)  # closed and dropped
    assert page.url == f"{base}/segments"
    # and it opens again afresh; Escape closes it as well
    page.get_by_role("link", name="Delete Gold customers").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def _upload_shows_its_progress(page: Page, base: str, shots, tmp_path) -> None:
    page.goto(f"{base}/segments/gold/upload")
    members = tmp_path / "members.csv"
    # about 0.8 MB: two seconds on the slow line below
    members.write_text(
        "customerId,notes\n" + "".join(f"c{n:05d},{'x' * 200}\n" for n in range(4000))
    )
    page.get_by_label("Member file").set_input_files(members)
    # app.js moves the bar as the bytes go: note every value it is given (in the session's
    # storage, since the finished upload moves on to the import's page)
    page.locator("progress[data-upload-progress]").evaluate(
        """bar => {
          const steps = [];
          new MutationObserver(() => {
            steps.push(bar.value);
            sessionStorage.setItem("uploadSteps", JSON.stringify(steps));
          }).observe(bar, {attributes: true, attributeFilter: ["value"]});
        }"""
    )
    network = page.context.new_cdp_session(page)  # a slow line: the upload takes a while
    network.send("Network.enable")
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": 400_000},
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("dl.import-counts")).to_be_visible(timeout=60_000)
    shots("uploaded")
    steps = page.evaluate("JSON.parse(sessionStorage.getItem('uploadSteps'))")
    assert steps and len(steps) >= 3 and steps[-1] == 100, steps  # it moved, and it ended
    assert steps == sorted(steps), steps
