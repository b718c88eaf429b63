"""The agent console in real Chromium: the whole life of an incident, at desktop and phone sizes,
plus an axe-core accessibility scan of the main pages.
"""

import re

import pytest

from keel.incidents.actions.records import open_incident
from keel.incidents.models import Incident
from keel.incidents.states import IncidentState, Level
from tests.browser.conftest import AXE, needs_chromium
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def sign_in(page, username):
    page.goto("/sign-in/")
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/incidents/"))


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in/"))


def state_badge(page):
    return page.locator(".record-header .badge--state")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_log_assign_resolve_then_the_caller_confirms(open_page, agent, requester, service_desk, viewport):
    page = open_page(viewport)
    sign_in(page, "alice")

    # The agent logs the call for Rita.
    page.get_by_role("link", name="New incident").first.click()
    page.get_by_label("Caller", exact=True).press_sequentially("rit")
    page.locator("#caller-options option[value='rita']").wait_for(state="attached")
    page.get_by_label("Caller", exact=True).fill("rita")
    page.get_by_label("Title", exact=True).fill("Cannot print payslips")
    page.get_by_label("Description", exact=True).fill("Printer says offline since this morning.")
    page.get_by_label("Impact", exact=True).select_option(label="High")
    page.get_by_label("Urgency", exact=True).select_option(label="Medium")
    page.locator("#priority-preview", has_text="P2 High").wait_for()
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d+/$"))
    number = page.locator(".record-header__number").inner_text()
    assert page.get_by_text(f"Logged {number} as P2 High.").is_visible()

    # Assign it to the service desk and to herself (htmx swaps the record in place).
    page.locator("summary", has_text="Assign…").click()
    page.get_by_label("Assignment group", exact=True).select_option(label="Service Desk")
    page.get_by_label("Assignee", exact=True).select_option(label="Alice (Service Desk)")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text(f"{number} is with Service Desk / Alice.").wait_for()
    assert state_badge(page).inner_text() == "Assigned"

    # Resolving without a code is refused inline; with one it resolves.
    page.locator("summary", has_text="Resolve…").click()
    page.get_by_label("Resolution notes", exact=True).fill("Re-added the printer queue.")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.locator("#resolved-resolution_code_error").wait_for()
    assert page.get_by_label("Resolution notes", exact=True).input_value() == "Re-added the printer queue."
    page.get_by_label("Resolution code", exact=True).select_option(label="Solved (permanently)")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.get_by_text("now resolved").wait_for()
    assert state_badge(page).inner_text() == "Resolved"
    sign_out(page)

    # Rita finds it in her list with the keyboard and confirms the fix.
    sign_in(page, "rita")
    assert page.get_by_role("heading", name="Your incidents").is_visible()
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/incidents/{number}/$"))
    page.get_by_role("button", name="Confirm and close").click()
    page.get_by_text("now closed").wait_for()
    assert state_badge(page).inner_text() == "Closed"
    assert Incident.objects.get(title="Cannot print payslips").state == IncidentState.CLOSED


def test_reading_and_core_forms_work_without_javascript(open_page, agent, requester):
    page = open_page("phone", javascript=False)
    sign_in(page, "alice")

    page.get_by_role("link", name="New incident").first.click()
    page.get_by_label("Caller", exact=True).fill("rita")
    page.get_by_label("Title", exact=True).fill("Scanner offline")
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d+/$"))
    page.locator("#comment-body").fill("Asked Rita to power-cycle it")
    page.get_by_role("button", name="Post").click()
    page.get_by_text("Work note added").wait_for()
    page.locator("summary", has_text="Resolve…").click()
    page.get_by_label("Resolution code", exact=True).select_option(label="User error / no fault")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.get_by_text("now resolved").wait_for()

    assert state_badge(page).inner_text() == "Resolved"
    assert Incident.objects.get(title="Scanner offline").state == IncidentState.RESOLVED


def test_assets_load_and_shortcuts_work(open_page, agent, requester):
    incident = open_incident(actor=agent, caller=requester, title="Mail down", impact=Level.HIGH, urgency=Level.HIGH)
    page = open_page()
    sign_in(page, "alice")
    page.goto("/incidents/?queue=open")

    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(245, 246, 248)"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    assert page.locator("#shortcuts-help").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/incidents/{incident.number}/$"))
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "comment-body"
    page.keyboard.type("Called the user back")
    page.get_by_role("button", name="Post").click()
    page.get_by_text("Work note added").wait_for()
    page.keyboard.press("e")
    page.wait_for_url(re.compile(rf"/incidents/{incident.number}/edit/$"))


def test_search_filters_the_queue_without_a_reload(open_page, agent, requester):
    open_incident(actor=agent, caller=requester, title="VPN drops")
    open_incident(actor=agent, caller=requester, title="Printer jams")
    page = open_page()
    sign_in(page, "alice")
    page.goto("/incidents/?queue=open")

    page.get_by_label("Search", exact=True).fill("printer")
    page.wait_for_url(re.compile(r"q=printer"))
    page.locator(".queue tbody tr").first.wait_for()

    assert page.locator(".queue tbody tr").count() == 1
    assert page.get_by_role("link", name="Printer jams").is_visible()


def axe_problems(page):
    # Evaluated by the browser's debugging protocol, not added as a <script>: the page's
    # Content-Security-Policy refuses inline scripts, the test's own included.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{problem['id']} ({problem['impact']}): {problem['help']} at {[node['target'] for node in problem['nodes']]}"
        for problem in result["violations"]
        if problem["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("path", ["/incidents/?queue=open", "/incidents/{number}/", "/incidents/new/"])
def test_no_serious_accessibility_problems_for_staff(open_page, agent, requester, viewport, path):
    incident = open_incident(actor=agent, caller=requester, title="Mail down", impact=Level.HIGH, urgency=Level.HIGH)
    page = open_page(viewport)
    sign_in(page, "alice")

    page.goto(path.format(number=incident.number))

    assert axe_problems(page) == []


@pytest.mark.parametrize("path", ["/sign-in/", "/incidents/", "/incidents/{number}/"])
def test_no_serious_accessibility_problems_for_a_requester(open_page, agent, requester, path):
    incident = open_incident(actor=agent, caller=requester, title="Mail down")
    page = open_page("phone")
    sign_in(page, "rita")

    page.goto(path.format(number=incident.number))

    assert axe_problems(page) == []
