"""Every dashboard page fits a phone and a desktop, light and dark, and axe-core finds nothing
critical or serious on it.

The pages are the GET routes of the dashboard's blueprints, filled with the demo tenant: the
overview, the segment list, a segment's tabs (members, items with the tree open three levels
deep, upload and an import's preview, history, rule), the forms and confirmations, the catalog
and "see as a customer", the settings and the account. At 390x844 and 1440x900, in the light and
the dark colour scheme, the page is never wider than the window (a table may scroll inside its
own box) and axe-core reports no critical or serious violation.

`SEGMENTS_SCREENSHOTS=1` also saves the main pages at both widths under docs/screenshots/.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from segments_app import jobs
from segments_app.extensions import db
from segments_app.models import Segment, Tenant, User
from segments_app.services import demo
from segments_app.services.accounts import create_user
from segments_app.services.imports import create_import
from segments_app.services.rules.service import save_rule
from tests.factories import tenant_named

from .browsing import log_in, serious_violations, wider_than_view

pytestmark = [pytest.mark.e2e, pytest.mark.live]

NEWCOMER = "new@acme.example"
ADMIN = next(email for email, role in demo.DEMO_MARKETERS if role == "admin")
VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1440, "height": 900})
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: the pages the README and docs/screenshots/ show: (file name, path)
MAIN_PAGES = (
    ("overview", "/"),
    ("segments", "/segments"),
    ("members", "/segments/gold"),
    ("rule", "/segments/gold/rule?new=1"),
    ("upload", "/segments/silver/upload"),
)
#: a full page of 50 members takes axe-core seconds; its rows are checked on a shorter list
LAYOUT_ONLY = {"/segments/gold"}
#: axe-core's defaults, and the rule that the spoken name of a control holds its visible text
#: (experimental in axe-core, so off unless asked for)
AXE_ALL = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}
#: what the colour scheme changes
AXE_COLOURS = {"resultTypes": ["violations"], "runOnly": ["color-contrast", "link-in-text-block"]}
#: the page has loaded and htmx has nothing in flight
SETTLED = "() => document.readyState === 'complete' && !document.querySelector('.htmx-request')"
#: the boxes that scroll sideways on their own
SCROLLING = ".table-wrap, .tabs, pre"


@pytest.fixture
def shop(app, make_client, tenant):
    """The demo tenant with an API client, an import waiting as a preview and one applied, a
    rule segment; and the empty tenant acme with an admin. Returns the ids the confirmation
    pages need."""
    with app.app_context():
        demo.load_demo()
        db.session.commit()
        team = db.session.query(Tenant).filter_by(name=demo.DEMO_TENANT).one()
        made = {}
        for status in ("applied", "previewed"):
            imp = create_import(
                team, "gold", io.BytesIO(b"customerId\nc00001\n"), f"{status}.csv", enqueue=False
            )
            imp.status = status
            imp.counts = {"rowsRead": 1, "membersToAdd": 1, "rejectedRows": 0}
            db.session.commit()
            made[status] = imp.id
        # "lapsed" becomes a rule segment: its Rule tab shows the editor, and it can be frozen
        lapsed = db.session.scalar(
            select(Segment).where(Segment.tenant_id == team.id, Segment.id == "lapsed")
        )
        save_rule(
            team,
            lapsed,
            {"rule": {"all": [{"field": "attributes.tier", "op": "equals", "value": "gold"}]}},
        )
        db.session.commit()
        viewer = db.session.scalar(
            select(User.id).where(User.tenant_id == team.id, User.role == "viewer")
        )
    assert jobs.wait_idle(app, 30)
    with app.app_context():
        create_user(tenant_named(tenant), NEWCOMER, "admin", demo.DEMO_MARKETER_PASSWORD)
        db.session.commit()
    client = make_client(demo.DEMO_TENANT)
    return {"client": client.client_id, "user": viewer, **made}


def pages(ids: dict) -> list[str]:
    """Every page a marketer can open in the dashboard, by the routes of its blueprints."""
    gold = "/segments/gold"
    return [
        "/",
        "/segments",
        "/new-segment",
        gold,
        f"{gold}?q=c0000&find=c0001",
        f"{gold}/edit",
        f"{gold}/delete",
        f"{gold}/items",
        f"{gold}/items?q=gold",
        f"{gold}/upload",
        f"{gold}/upload/{ids['previewed']}",
        f"{gold}/history",
        f"{gold}/history/{ids['applied']}/revert",
        f"{gold}/rule",
        f"{gold}/rule?new=1",
        "/segments/lapsed/rule",
        "/segments/lapsed/rule/freeze",
        "/catalog",
        "/catalog/customer",
        "/catalog/customer?customer=c00000",
        "/settings",
        f"/settings/users/{ids['user']}/delete",
        "/settings/clients",
        f"/settings/clients/{ids['client']}/revoke",
        "/settings/languages",
        "/account",
    ]


def open_tree(page: Page) -> None:
    """Open the category tree three levels deep, the way a marketer clicks it."""
    level = page.get_by_role("tree", name="Categories")
    for _ in (1, 2):
        node = level.locator("> li[aria-expanded]").first
        node.locator("> .tree-node > .tree-toggle").click()
        level = node.locator("> ul")
        expect(level.locator("> li[role=treeitem]").first).to_be_visible()


def reach_a_chart_bar_by_keyboard(page: Page, base: str) -> None:
    """The overview's bars are links: Tab reaches the first and Enter opens its segment."""
    page.goto(f"{base}/")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('.chart-bars')"):
            break
    else:
        pytest.fail("Tab never reaches the bars of the overview's chart")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/segments/[\w-]+$"))


def test_every_page_fits_the_window_and_passes_axe_light_and_dark(shop, live_server, page: Page):
    """Each page is loaded once per width and checked in both colour schemes: the dark one
    changes colours only, so there axe-core checks the contrast alone (and the whole run stays
    under a minute)."""
    base = live_server
    log_in(page, base, ADMIN, demo.DEMO_MARKETER_PASSWORD, demo.DEMO_TENANT)
    reach_a_chart_bar_by_keyboard(page, base)
    axe = Axe()

    def in_both_schemes(where: tuple) -> list:
        """Light: every rule; dark (which changes colours only): the contrast alone."""
        light = [(*where, "light", *found) for found in serious_violations(page, axe, AXE_ALL)]
        page.emulate_media(color_scheme="dark")
        dark = [(*where, "dark", *found) for found in serious_violations(page, axe, AXE_COLOURS)]
        return light + dark

    cdp = page.context.new_cdp_session(page)
    failures = []
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        for path in pages(shop):
            page.emulate_media(color_scheme="light")
            response = page.goto(f"{base}{path}")
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            page.wait_for_function(SETTLED)
            if path.endswith("/items"):
                open_tree(page)
            where = (viewport["width"], path)
            if wide := wider_than_view(page, SCROLLING):
                failures.append((*where, "wider than the window", wide))
            # what Chromium scrolls (and a full-page screenshot takes): an absolutely
            # positioned element can reach past the window without widening the document
            content = cdp.send("Page.getLayoutMetrics")["cssContentSize"]["width"]
            if content > viewport["width"]:
                failures.append((*where, "content wider than the window", content))
            if path in LAYOUT_ONLY:
                continue
            failures += in_both_schemes(where)
    # an empty team: the overview's first-run guide and the empty lists
    page.get_by_role("button", name="Log out").click()
    log_in(page, base, NEWCOMER, demo.DEMO_MARKETER_PASSWORD)
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        for path in ("/", "/segments"):
            page.emulate_media(color_scheme="light")
            page.goto(f"{base}{path}")
            where = (viewport["width"], f"empty {path}")
            if wide := wider_than_view(page, SCROLLING):
                failures.append((*where, "wider than the window", wide))
            failures += in_both_schemes(where)
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.skipif(not os.environ.get("SEGMENTS_SCREENSHOTS"), reason="SEGMENTS_SCREENSHOTS")
def test_screenshots_of_the_main_pages(shop, live_server, page: Page):
    """docs/screenshots/<page>-<width>.png, for the README, and the overview in dark mode."""
    log_in(page, live_server, ADMIN, demo.DEMO_MARKETER_PASSWORD, demo.DEMO_TENANT)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewport in VIEWPORTS:
        page.set_viewport_size(viewport)
        for name, path in MAIN_PAGES:
            page.goto(f"{live_server}{path}")
            page.wait_for_load_state("networkidle")
            # a phone shows the page scrolled down to 2.5 screens at most
            height = min(page.evaluate("document.documentElement.scrollHeight"), 2100)
            page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{viewport['width']}.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": viewport["width"], "height": height}
                if viewport["width"] < 1000
                else {"x": 0, "y": 0, **viewport},
            )
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_server}/")
    page.screenshot(path=str(SCREENSHOTS / "overview-dark-1440.png"))
