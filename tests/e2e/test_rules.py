"""A rule in the real browser: convert a list segment to a rule, build it row by row and watch
the count change before saving, save it, watch it run and see the members it selected; the
editor at 390 and 1440 pixels wide, checked by axe-core for critical and serious violations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page, expect

from .browsing import EDITOR, SETTLED, check_at_phone_width, log_in, serious_violations

pytestmark = [pytest.mark.e2e, pytest.mark.live]


@pytest.fixture
def shop(gold, api):
    """A marketer, a list segment 'gold' and four customers with a tier and an order count."""
    records = [
        {
            "id": f"c{n}",
            "email": f"c{n}@acme.example",
            "firstName": name,
            "lastName": "Doe",
            "attributes": {"tier": tier, "orders": orders},
        }
        for n, name, tier, orders in (
            (1, "Ada", "gold", 12),
            (2, "Ben", "gold", 3),
            (3, "Cem", "silver", 40),
            (4, "Dora", "bronze", 1),
        )
    ]
    response = api.put("/directory/customers", json=records)
    assert response.status_code == 207, response.get_data(as_text=True)


@contextmanager
def edited(page: Page) -> Iterator[None]:
    """Wait for the editing step the block starts: the editor re-renders itself, and htmx
    wires up the new inputs when the swap settles (typing or choosing before that would go
    into the inputs it replaces, or into ones that send nothing yet)."""
    with page.expect_response(
        lambda response: response.request.method == "POST" and response.url.endswith("/rule")
    ):
        yield
    page.wait_for_function(SETTLED)


def choose(page: Page, select: str, value: str) -> None:
    """Pick an option of a row's field or condition select: the select keeps the focus once
    the editor is back."""
    with edited(page):
        page.locator(select).select_option(value)
    expect(page.locator(select)).to_be_focused()


def test_a_marketer_builds_a_rule_sees_the_count_and_saves_it(shop, live_server, page: Page, shots):
    base = live_server
    page.set_viewport_size({"width": 1440, "height": 900})
    log_in(page, base, EDITOR)

    # a list segment's Rule tab offers to convert it
    page.goto(f"{base}/segments/gold")
    page.get_by_role("navigation", name="Segment").get_by_role("link", name="Rule").click()
    expect(page.get_by_role("heading", name="A list kept by hand")).to_be_visible()
    page.get_by_role("link", name="Convert to rule").click()

    # one row: tier is gold; the count follows the typing before anything is saved
    choose(page, "#n-1-field", "attributes.tier")
    expect(page.locator("#n-1-op")).to_have_value("equals")
    page.locator("#n-1-value").fill("gold")
    matched = page.locator('#rule-preview [data-count="matched"]')
    expect(matched).to_have_text("2")
    expect(page.locator("#rule-sample")).to_contain_text("Ada Doe")
    shots("one-row")

    # any of: tier is gold, or more than 30 orders
    page.get_by_label("Members are the customers for whom").select_option("any")
    with edited(page):
        page.get_by_role("button", name="+ Add condition").click()
    expect(page.locator("#n-2-field")).to_be_focused()
    choose(page, "#n-2-field", "attributes.orders")
    choose(page, "#n-2-op", "gt")
    page.locator("#n-2-value").fill("30")
    expect(matched).to_have_text("3")
    expect(page.locator('#rule-preview [data-count="joining"]')).to_have_text("3")
    # a value that is no number is marked beside its row
    page.locator("#n-2-value").fill("")
    choose(page, "#n-2-op", "between")
    page.locator("#n-2-value").fill("5")
    page.locator("#n-2-value2").fill("50")
    expect(matched).to_have_text("3")
    shots("two-rows-1440")
    assert serious_violations(page) == []

    # at 390 pixels the rows stack and nothing runs off the side
    check_at_phone_width(page, shots, "two-rows-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    # save: the rule runs, then the members are the ones it selected
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#rule-evaluation")).to_contain_text("The rule ran", timeout=20_000)
    expect(page.locator('#rule-evaluation [data-count="evaluated"]')).to_have_text("3")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rule")
    # the preview counts again once the members changed: nobody is left to join
    expect(page.locator('#rule-preview [data-count="joining"]')).to_have_text("0")
    shots("saved")
    page.locator("#rule-evaluation").get_by_role("link", name="See the members").click()
    members = page.locator("#member-list")
    for name in ("c1@acme.example", "c3@acme.example"):
        expect(members).to_contain_text(name)
    expect(members).not_to_contain_text("c4@acme.example")
    expect(page.locator("#segment-facts")).to_contain_text(re.compile(r"3 members"))
    shots("members")

    # freeze it into a list, through the same kind of dialog as Delete
    page.get_by_role("navigation", name="Segment").get_by_role("link", name="Rule").click()
    page.get_by_role("link", name="Freeze into a list").click()
    dialog = page.get_by_role("dialog", name=re.compile("Freeze"))
    expect(dialog).to_contain_text("its 3 members stay")
    shots("freeze-dialog")
    dialog.get_by_role("button", name="Freeze into a list").click()
    expect(page.locator("#toasts")).to_contain_text("The segment is a list now")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Rule")
    expect(page.locator("#member-list")).to_contain_text("c3@acme.example")
