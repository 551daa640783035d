"""Browser tests: Playwright drives Debian's Chromium against the app on a live local server.

Screenshots of each step go to `test-results/e2e/<test name>/` (or $E2E_OUTPUT). Without
Chromium the tests are skipped, unless SEGMENTS_E2E_REQUIRED is set (CI), where they fail.
A test fails when a page throws a JavaScript error or breaks its Content-Security-Policy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from segments_app.extensions import db
from segments_app.services.accounts import create_user
from segments_app.services.segments import create_segment
from tests.factories import tenant_named

from .browsing import EDITOR, PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(
    os.environ.get("E2E_OUTPUT", Path(__file__).resolve().parents[2] / "test-results" / "e2e")
)
# Chromium's own network chatter is refused on a closed network; keep it quiet and fast.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]
#: what the policies are there to block: Redoc's sidebar shows its maker's logo from a CDN
BLOCKED_ON_PURPOSE = ("https://cdn.redoc.ly/",)
# Reports every violation of the page's Content-Security-Policy to the test, whichever page.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(
    [event.violatedDirective, event.blockedURI, event.sourceFile + ":" + event.lineNumber,
     event.sample].join(" ")
  );
});
"""


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("SEGMENTS_E2E_REQUIRED"):
        raise pytest.UsageError(f"Browser tests are required but {CHROMIUM} does not exist.")
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}")
    for item in items:
        if "browser" in item.fixturenames:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@dataclass
class Problems:
    """What went wrong in the page so far: uncaught script errors and policy violations."""

    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def new_page(browser, problems):
    """`new_page(**context_options)` opens a page in a fresh browser context that reports script
    errors and policy violations to `problems`; the test fails on any once it is over."""
    errors, violations = problems.errors, problems.violations
    contexts = []

    def violated(text: str) -> None:
        if not any(url in text for url in BLOCKED_ON_PURPOSE):
            violations.append(text)

    def open_page(**context_options):
        context = browser.new_context(**context_options)
        contexts.append(context)
        context.expose_function("__cspViolation", violated)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda message: "Content Security Policy" in message.text and violated(message.text),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def page(new_page):
    return new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)


@pytest.fixture
def shots(request, page):
    """`shots("name")` saves a numbered screenshot of the page for this test."""
    folder = OUTPUT / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    counter = {"n": 0}

    def shoot(name: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shoot


@pytest.fixture
def gold(app, tenant):
    """An editor (browsing.EDITOR) and an empty list segment 'gold'."""
    with app.app_context():
        create_user(tenant_named(), EDITOR, "editor", PASSWORD)
        create_segment(
            tenant_named(), {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}, ""
        )
        db.session.commit()
