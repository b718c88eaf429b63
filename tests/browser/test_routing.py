"""Routing in real Chromium: an incident manager builds a rule, tries it with the tester, and an
incident logged in the console lands in the rule's group with the rule on its timeline."""

import re

import pytest

from tests.browser.conftest import needs_chromium
from tests.browser.test_alerts import fits, screenshots, shoot
from tests.browser.test_console import axe_problems, sign_in

__all__ = ["screenshots"]  # the fixture, shared

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("incident_manager", "requester", "network_team")
@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_manager_builds_a_rule_tries_it_and_the_next_incident_follows_it(open_page, screenshots, viewport):
    page = open_page(viewport)
    sign_in(page, "imogen")

    page.get_by_role("link", name="Routing", exact=True).first.click()
    page.wait_for_url(re.compile(r"/routing/$"))
    page.get_by_role("link", name="Add a rule").first.click()
    page.get_by_label("Name", exact=True).fill("Printers on site")
    page.get_by_label("Route to", exact=True).select_option(label="Network")
    page.get_by_label("Words", exact=True).fill("printer, toner")
    page.get_by_label("Set urgency", exact=True).select_option(label="high")
    assert fits(page, viewport)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Added “Printers on site”").wait_for()
    assert page.locator("tr[data-rule='Printers on site']", has_text="Words: printer, toner").is_visible()

    # The tester answers in place (htmx), naming the rule.
    page.get_by_label("Title", exact=True).fill("Toner empty on floor 3")
    page.get_by_role("button", name="Try it").click()
    page.get_by_text("Rule “Printers on site” routes it to Network").wait_for()
    assert fits(page, viewport)
    assert axe_problems(page) == []
    shoot(page, screenshots, f"routing-{viewport}")

    # An incident logged in the console goes where the rule says.
    page.get_by_role("link", name="New incident").first.click()
    page.get_by_label("Caller", exact=True).fill("rita")
    page.get_by_label("Title", exact=True).fill("Printer jammed")
    page.get_by_role("button", name="Log incident").click()
    page.wait_for_url(re.compile(r"/incidents/INC\d+/$"))
    page.get_by_text("Routed to Network by rule 'Printers on site' (urgency set to high)").wait_for()
    assert page.locator(".record-header", has_text="Network").is_visible()
