"""Steps the browser tests share: logging in through the form, asking axe-core what is critical
or serious on the page, and finding what reaches past the window's right edge."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.factories import TENANT

PASSWORD = "a long enough password"
#: the editor of the `gold` fixture
EDITOR = "rosa@acme.example"
#: htmx has no swap left to settle
SETTLED = "() => !document.querySelector('.htmx-swapping, .htmx-settling')"
#: when the page is wider than the view: the elements that reach past its right edge, outside
#: the boxes (the CSS selector given) that scroll sideways on their own
_WIDER_THAN_VIEW = """(scrolling) => document.documentElement.scrollWidth <= window.innerWidth
  ? [] : Array.from(document.querySelectorAll("body *"))
  .filter((el) => !el.closest(scrolling) && el.getBoundingClientRect().right > window.innerWidth)
  .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`).slice(0, 8)"""


def log_in(page: Page, base: str, email: str, password: str = PASSWORD, team: str = TENANT) -> None:
    """The dashboard's login form, filled in and sent; done once the next page has its heading."""
    page.goto(f"{base}/login")
    page.get_by_label("Team").fill(team)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def serious_violations(page: Page, axe: Axe | None = None, options: dict | None = None) -> list:
    """What axe-core finds critical or serious on the page as it is (`options` picks the rules;
    pass one `axe` to run many pages without loading its script anew each time)."""
    axe = axe or Axe()
    # without options, axe's own defaults (not "none")
    results = axe.run(page) if options is None else axe.run(page, options=options)
    return [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("critical", "serious")
    ]


def wider_than_view(page: Page, scrolling: str = ".tabs") -> list[str]:
    """The elements that reach past the view's right edge, none when the page fits it."""
    return page.evaluate(_WIDER_THAN_VIEW, scrolling)


def check_at_phone_width(page: Page, shots, name: str, scrolling: str = ".tabs") -> None:
    """At 390 pixels, once htmx has settled: a screenshot, nothing past the right edge and
    nothing critical or serious for axe-core."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function(SETTLED)
    shots(name)
    wide = wider_than_view(page, scrolling)
    assert not wide, f"wider than 390 px: {wide}"
    assert serious_violations(page) == []
