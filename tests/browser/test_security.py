"""The Content-Security-Policy in real Chromium: every page, the admin and the API docs load only
from Keel's own host, nothing is refused by the policy, and htmx and Swagger UI still work."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import needs_chromium
from tests.browser.test_console import sign_in

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


class Watched:
    """What a page did: every request's host, and every message the browser printed about the CSP."""

    def __init__(self, page):
        self.hosts: set[str] = set()
        self.refusals: list[str] = []
        page.on("request", lambda request: self.hosts.add(urlsplit(request.url).netloc or urlsplit(request.url).scheme))
        page.on("console", lambda message: self._console(message.text))
        page.on("pageerror", lambda error: self.refusals.append(f"page error: {error}"))

    def _console(self, text):
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.refusals.append(text)


def host_of(live_server):
    return urlsplit(live_server.url).netloc


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_console_works_under_the_policy(open_page, live_server, admin_user, incident, viewport):
    page = open_page(viewport)
    watched = Watched(page)
    sign_in(page, "root")

    page.goto(f"/incidents/{incident.number}/")
    page.locator("#comment-body").fill("Looking into it.")
    page.get_by_role("button", name="Post").click()
    page.locator(".timeline", has_text="Looking into it.").wait_for()  # swapped in by htmx
    page.goto("/incidents/?queue=all")
    page.get_by_label("Search", exact=False).first.fill("Mail")
    page.locator(".queue tbody tr").first.wait_for()
    page.goto("/audit/")
    page.locator(".queue.audit tbody tr").first.wait_for()
    page.goto("/admin/")
    page.goto("/admin/accounts/team/add/")

    assert watched.refusals == []
    assert watched.hosts <= {host_of(live_server), "data"}


def test_the_api_docs_come_from_keel_and_work_under_the_policy(open_page, live_server):
    page = open_page()
    watched = Watched(page)

    answer = page.goto("/api/v1/docs")
    page.locator(".swagger-ui .opblock").first.wait_for()
    page.locator(".opblock-summary", has_text="/api/v1/audit").first.click()
    page.get_by_text("Who made the changes").first.wait_for()

    assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert page.locator(".swagger-ui .opblock").count() > 40
    assert watched.refusals == []
    assert watched.hosts <= {host_of(live_server), "data"}
    assert page.locator("script[src='/static/ninja/swagger-ui-bundle.js']").count() == 1
