"""Real headless Chromium (Debian's package, never a Playwright download) against the live server."""

from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (Debian package 'chromium'); browser tests need it"
)


@pytest.fixture
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls (final
    # checks, the database flush) are still plain synchronous code, which Django would refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium(live_server, _orm_beside_playwright):
    # Per test, started after the database and the server: a session-long Playwright loop would
    # make every later test in the run look "async" to Django.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
        # With Playwright's loop running in this thread, Django keeps the test's ORM connections
        # apart from the thread's own; left open, one of them kept PostgreSQL from dropping the
        # test database at the end of the run ("accessed by other users").
        connections.close_all()


@pytest.fixture
def open_page(chromium, live_server):
    """Open a fresh browser context (its own cookies) at a named viewport; closed after the test."""
    contexts = []

    def open_at(viewport="desktop", *, javascript=True):
        context = chromium.new_context(
            viewport=VIEWPORTS[viewport], base_url=live_server.url, java_script_enabled=javascript
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_at
    for context in contexts:
        context.close()
