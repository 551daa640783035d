"""The dashboard's words in a real browser whose zone is not UTC (Europe/Berlin, de-DE): a
validity typed in local time is stored in UTC and shown in local time again, with and without
the round trip of an htmx row action; "/" focuses the page's search; a new user's password is
copied by its button; the pages stay free of critical and serious axe-core violations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from segments_app.extensions import db
from segments_app.models import Segment
from segments_app.services.accounts import create_user
from tests.factories import tenant_named

from .browsing import PASSWORD, SETTLED, log_in, serious_violations, wider_than_view
from .conftest import OUTPUT

pytestmark = [pytest.mark.e2e, pytest.mark.live]

EMAIL = "lena@acme.example"


@pytest.fixture
def berlin(app, tenant, new_page, live_server):
    """An admin logged in from a browser in Berlin, speaking German."""
    with app.app_context():
        create_user(tenant_named(), EMAIL, "admin", PASSWORD)
        db.session.commit()
    page = new_page(
        viewport={"width": 1440, "height": 900},
        timezone_id="Europe/Berlin",
        locale="de-DE",
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    log_in(page, live_server, EMAIL)
    return page


def shot(page: Page, name: str) -> None:
    """A screenshot of the page as it is, for a person to look at (test-results/e2e/words)."""
    (OUTPUT / "words").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "words" / f"{name}.png"), full_page=True)


def _stored(app, segment_id: str) -> Segment:
    with app.app_context():
        segment = db.session.query(Segment).filter_by(id=segment_id).one()
        db.session.expunge(segment)
        return segment


def test_times_are_typed_and_shown_in_the_browsers_zone_and_stored_in_utc(
    app, berlin: Page, live_server
):
    page = berlin
    # the first run: a guide instead of empty cards, free of serious violations
    expect(page.get_by_role("heading", name="Get started")).to_be_visible()
    for width in (390, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        assert serious_violations(page) == [], width
        shot(page, f"first-run-{width}")
    page.get_by_role("link", name="Create a segment").click()

    expect(page.locator("[data-time-zone-hint]")).to_contain_text("Europe/Berlin")
    # the languages by name, at both widths
    page.get_by_label("Add a language").select_option("de")
    page.get_by_role("button", name="Add language").click()
    expect(page.get_by_label("Name (German)")).to_be_focused()
    for width in (390, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        assert wider_than_view(page) == [], width
        assert serious_violations(page) == [], width
        shot(page, f"form-{width}")
    page.get_by_label("Name (German)").fill("Sommerschlussverkauf")
    page.get_by_label("ID (optional)").fill("summer")
    page.get_by_label("Name (English)").fill("Summer sale")
    page.get_by_label("Site").fill("main")
    page.get_by_label("Valid from").fill("2030-07-01T12:00")  # CEST, UTC+2
    page.get_by_label("Valid until").fill("2030-12-01T12:00")  # CET, UTC+1
    # a row action goes to the server and back: the times stay the ones typed
    page.get_by_role("button", name="Add a mixin").click()
    page.wait_for_function(SETTLED)
    expect(page.get_by_label("Valid from")).to_have_value("2030-07-01T12:00")
    expect(page.get_by_label("Valid until")).to_have_value("2030-12-01T12:00")
    page.get_by_label("Key 1").fill("channel")
    page.get_by_label("Value 1").fill("email")
    page.get_by_role("button", name="Create segment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Summer sale")

    segment = _stored(app, "summer")
    assert segment.valid_from == datetime(2030, 7, 1, 10, 0, tzinfo=UTC)
    assert segment.valid_to == datetime(2030, 12, 1, 11, 0, tzinfo=UTC)

    # shown in the browser's locale and zone, the UTC text kept as the title
    start = page.locator('#segment-facts time[datetime="2030-07-01T10:00:00Z"]')
    expect(start).to_contain_text("12:00")
    expect(start).to_contain_text("2030")
    expect(start).to_have_attribute("title", "01 Jul 2030 10:00 UTC")
    expect(page.locator(".segment-about")).to_contain_text("channel")
    expect(page.locator(".page-head p.muted")).to_have_text("Segments / Summer sale")
    expect(page.get_by_text("Use the finder under “Add a member”")).to_be_visible()
    expect(page.get_by_role("link", name="Export all as CSV")).to_have_count(0)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert serious_violations(page) == [], width
        assert wider_than_view(page) == [], width
        shot(page, f"segment-{width}")
    page.set_viewport_size({"width": 1440, "height": 900})

    # the edit form shows the local times again, and saving unchanged keeps them
    page.get_by_role("link", name="Edit segment").click()
    expect(page.get_by_label("Valid from")).to_have_value("2030-07-01T12:00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Summer sale")
    assert _stored(app, "summer").valid_from == datetime(2030, 7, 1, 10, 0, tzinfo=UTC)

    # a form error in a marketer's words, beside both dates
    page.goto(f"{live_server}/segments/summer/edit")
    page.get_by_label("Valid until").fill("2030-06-01T12:00")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#f-validity-to-errors")).to_have_text(
        "The end date is before the start date."
    )
    expect(page.locator("#f-validity-from-errors")).to_be_visible()
    expect(page.get_by_label("Valid until")).to_have_value("2030-06-01T12:00")


def test_slash_focuses_the_search_and_the_copy_button_copies(berlin: Page, live_server):
    page = berlin
    page.goto(f"{live_server}/segments")
    page.locator("body").press("/")
    search = page.locator("main input[type=search]").first
    expect(search).to_be_focused()
    expect(search).to_have_attribute("aria-keyshortcuts", "/")
    search.fill("")
    search.type("a/b")  # while typing, "/" is a character
    expect(search).to_have_value("a/b")

    page.goto(f"{live_server}/settings")
    page.get_by_label("Email").fill("nina@acme.example")
    page.get_by_role("button", name="Add user").click()
    password = page.locator("#new-password").inner_text()
    page.get_by_role("button", name="Copy password").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == password
    assert serious_violations(page) == []
