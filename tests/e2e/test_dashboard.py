"""A marketer's day in the real browser: Chromium drives the pages of a live server.

Log in; create a segment named in two languages; upload a member list with bad rows, check the
preview, apply it and watch it finish, download the rejected rows; open the category tree three
levels deep and assign a category; sign in as a member on the storefront API and see that
category in the tree; deactivate the segment from the list. A screenshot of every step lands in
test-results/e2e/.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
import requests
from playwright.sync_api import Page, expect
from werkzeug.security import generate_password_hash

from segments_app.extensions import db
from segments_app.models import Tenant
from segments_app.models.tenants import SCOPE_READ_OWN
from segments_app.services.accounts import create_user
from tests.factories import (
    TENANT,
    add_category,
    add_customer,
    add_legal_entity,
    add_product,
    directory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.live]

EMAIL = "mia@acme.example"
PASSWORD = "a long enough password"
SHOPPER_PASSWORD = "storefront secret"
#: the member list, semicolon-separated with Windows line ends: three good rows (by id and by
#: email), an unknown id, an unknown email and a duplicate
MEMBERS = (
    "Customer ID;E-Mail;Notes\r\n"
    "c1;;first\r\n"
    ";c2@acme.example;by email\r\n"
    "c404;;nobody has this id\r\n"
    "c1;;again\r\n"
    ";nobody@acme.example;unknown email\r\n"
    "c3;;\r\n"
)


@pytest.fixture
def shop(app, tenant):
    """Tenant acme: a marketer, customers c1..c3 (c1 may sign in on the storefront), and a
    catalog three levels deep: Clothing > Shoes > Boots."""
    with app.app_context():
        acme = db.session.query(Tenant).filter_by(name=TENANT).one()
        create_user(acme, EMAIL, "editor", PASSWORD)
        db.session.commit()
    with directory(app):
        add_legal_entity(TENANT, "le1")
        for n in (1, 2, 3):
            add_customer(TENANT, f"c{n}", f"c{n}@acme.example", legal_entity_ids=("le1",))
        add_category(TENANT, "clothing", name={"en": "Clothing", "de": "Kleidung"})
        add_category(TENANT, "shoes", "clothing", name={"en": "Shoes", "de": "Schuhe"})
        add_category(TENANT, "boots", "shoes", name={"en": "Boots", "de": "Stiefel"})
        add_category(TENANT, "hats", "clothing", name={"en": "Hats"})
        add_product(TENANT, "boot-1", ("boots",), {"en": "Hiking boot"})
    with app.app_context():
        from segments_app.models import Customer

        shopper = db.session.query(Customer).filter_by(id="c1").one()
        shopper.password_hash = generate_password_hash(SHOPPER_PASSWORD)
        db.session.commit()


def _storefront_tree(base: str, make_client) -> list[dict]:
    """The category tree the storefront gets for customer c1, through the API."""
    creds = make_client(TENANT, scopes=(SCOPE_READ_OWN,), grants=("password",))
    token = requests.post(
        f"{base}/oauth/token",
        data={
            "grant_type": "password",
            "username": "c1@acme.example",
            "password": SHOPPER_PASSWORD,
        },
        auth=(creds.client_id, creds.client_secret),
        timeout=10,
    )
    assert token.status_code == 200, token.text
    trees = requests.get(
        f"{base}/customer-segment/{TENANT}/segments/items/category-trees",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=10,
    )
    assert trees.status_code == 200, trees.text
    return trees.json()


def _ids(nodes: list[dict]) -> set[str]:
    found = set()
    for node in nodes:
        found.add(node["id"])
        found |= _ids(node.get("subcategories") or [])
    return found


def test_a_marketer_builds_a_segment_end_to_end(
    shop, live_server, page: Page, shots, make_client, tmp_path
):
    base = live_server

    # 1. log in
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Team").fill(TENANT)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    shots("login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/login" not in page.url
    shots("overview")

    # 2. create a segment named in English and German
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    page.get_by_role("link", name=re.compile("New segment")).first.click()
    page.get_by_label("ID (optional)").fill("vip")
    page.get_by_label("Name (English)").fill("VIP shoppers")
    page.get_by_label("Add a language").select_option("de")
    page.get_by_role("button", name="Add language").click()
    page.get_by_label("Name (German)").fill("VIP-Kunden")
    page.get_by_label("Site").fill("main")
    page.get_by_label("Status").select_option("ACTIVE")
    shots("segment-form")
    page.get_by_role("button", name="Create segment").click()
    page.wait_for_load_state()
    refused = page.locator(".field-errors, .alert-error").all_inner_texts()
    assert not refused, f"the form was refused: {refused}"
    expect(page.get_by_role("heading", level=1)).to_contain_text("VIP shoppers")
    assert page.url.endswith("/segments/vip") or "/segments/vip" in page.url
    shots("segment-created")

    # 3. upload a member list with bad rows: preview, apply, progress, rejected rows
    _upload_members(page, shots, tmp_path)

    # 4. the category tree, three levels deep; assign Boots
    page.get_by_role("link", name=re.compile(r"^Items\b")).click()
    tree = page.get_by_role("tree", name="Categories")
    tree.get_by_text("Subcategories of Clothing").click()
    shoes = tree.locator("li[data-category=shoes]")
    expect(shoes).to_be_visible()
    shoes.get_by_text("Subcategories of Shoes").click()
    boots = tree.locator("li[data-category=boots]")
    expect(boots).to_be_visible()
    boots.get_by_role("button", name="Assign Boots").click()
    boots = tree.locator("li[data-category=boots]")
    expect(boots).to_have_attribute("data-state", "assigned")
    expect(boots.get_by_role("button", name="Unassign Boots")).to_be_visible()
    expect(page.locator("#segment-facts")).to_contain_text("1 item")  # the frame keeps up
    shots("category-assigned")

    # 5. a member's storefront token sees the category in its tree
    assert "boots" in _ids(_storefront_tree(base, make_client))

    # 6. deactivate the segment from the list
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Segments").click()
    shots("segments-list")
    row = page.locator("tr", has=page.get_by_role("link", name="VIP shoppers"))
    row.get_by_role("button", name="Deactivate VIP shoppers").click()
    row = page.locator("tr", has=page.get_by_role("link", name="VIP shoppers"))
    expect(row.get_by_role("button", name="Activate VIP shoppers")).to_be_visible()
    expect(row).to_contain_text("Inactive")
    shots("segment-deactivated")
    # an inactive segment counts for no storefront
    assert "boots" not in _ids(_storefront_tree(base, make_client))


def _upload_members(page: Page, shots, tmp_path) -> None:
    page.get_by_role("link", name="Upload members", exact=True).click()
    members = tmp_path / "spring-list.csv"
    members.write_bytes(MEMBERS.encode("cp1252"))
    page.get_by_label("Member file").set_input_files(members)
    page.get_by_role("radio", name=re.compile("Add the listed customers")).check()
    shots("upload-form")
    page.get_by_role("button", name="Upload and preview").click()

    # the preview: counted, nothing changed yet
    counts = page.locator("dl.import-counts")
    expect(counts.locator(".count-validRows dd")).to_have_text("3")
    expect(counts.locator(".count-membersToAdd dd")).to_have_text("3")
    expect(counts.locator(".count-unknownCustomers dd")).to_have_text("2")
    expect(counts.locator(".count-duplicateRows dd")).to_have_text("1")
    problems = page.locator("table.import-problems tbody tr")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_contain_text("4")
    expect(problems.nth(0)).to_contain_text("c404")
    expect(page.get_by_text("Nothing has changed yet.")).to_be_visible()
    expect(page.locator("#segment-facts")).to_contain_text("0 members")
    shots("preview")

    # the rejected rows, ready to fix: the original columns, the row number and the reason
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the 3 rejected rows")).click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))  # as the upload was
    assert rows[0][:3] == ["Customer ID", "E-Mail", "Notes"], rows[0]
    assert rows[0][-2:] == ["row", "reason"], rows[0]
    assert [row[-2] for row in rows[1:]] == ["4", "5", "6"], rows
    assert "c404" in rows[1][-1] and "duplicate" in rows[2][-1].lower(), rows

    # apply: the progress runs to the end, then the result and the new member count
    page.get_by_role("button", name="Apply").click()
    expect(
        page.get_by_text(re.compile("Applied .*the segment's members have changed"))
    ).to_be_visible()
    expect(page.locator("#segment-facts")).to_contain_text("3 members")
    shots("applied")
    page.get_by_role("link", name=re.compile(r"^Members\b")).click()
    for email in ("c1@acme.example", "c2@acme.example", "c3@acme.example"):
        expect(page.locator("#member-list")).to_contain_text(email)
    shots("members")
